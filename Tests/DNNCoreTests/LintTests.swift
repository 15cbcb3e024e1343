// The lint rules: each warns where its problem is and stays silent where it is not, and warnings never
// stop a spec from compiling. Then inline suppression by comments.

import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

/// Asserts that `text` compiles to a model and reports exactly `codes` (in source order).
func expectCodes(_ text: String, _ codes: [DiagnosticCode], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let result = compile(text)
    let found = result.diagnostics.sorted
    #expect(found.map(\.code) == codes, "\(found.map { "\($0.code.rawValue) \($0.range.start) \($0.message)" })",
            sourceLocation: sourceLocation)
    if codes.allSatisfy({ $0.severity == .warning }) {
        #expect(result.model != nil, "warnings must not stop compilation", sourceLocation: sourceLocation)
    }
}

struct LintTests {
    @Test func theBaseSpecIsClean() {
        expectCodes(baseSpec, [])
    }

    // W0354 and W0353: the output activation.
    @Test func reluOnTheOutputOfARegressionWarnsOfTheDyingUnit() {
        let text = spec(replacing: "{units: 1, name: fc2}", with: "{units: 1, activation: relu, name: fc2}")
        expectDiagnostic(text, .dyingOutput, at: "relu", onLineWith: "fc2")
        expectCodes(text, [.dyingOutput])
        #expect(compile(text).diagnostics.all[0].help == "use identity, leaky_relu or prelu on the output layer")
    }

    @Test func reluOnAHiddenLayerIsFine() {
        #expect(baseSpec.contains("activation: relu, name: fc1"))
        expectCodes(baseSpec, [])
    }

    @Test func outputActivationsThatCannotReachTheTargets() {
        let negative = spec(replacing: "[1.0]", with: "[-1.0]")
            .replacingOccurrences(of: "{units: 1, name: fc2}", with: "{units: 1, activation: relu, name: fc2}")
        expectDiagnostic(negative, .unreachableTargets, at: "relu", onLineWith: "fc2")
        expectCodes(negative, [.unreachableTargets])  // not also W0354: the stronger finding stands alone

        let sigmoid = spec(replacing: "{units: 1, name: fc2}", with: "{units: 1, activation: sigmoid, name: fc2}")
        expectDiagnostic(sigmoid, .unreachableTargets, at: "sigmoid", onLineWith: "fc2")
        #expect(compile(sigmoid).diagnostics.all[0].message.contains("reach 3.6666667"))

        let tanh = spec(replacing: "{units: 1, name: fc2}", with: "{units: 1, activation: tanh, name: fc2}")
        expectCodes(tanh, [.unreachableTargets])
    }

    @Test func theRuleSeesTheTargetsAsNormalized() {
        // minmax maps the targets to [0, 1], which sigmoid reaches; standard makes some negative.
        let sigmoid = spec(replacing: "{units: 1, name: fc2}", with: "{units: 1, activation: sigmoid, name: fc2}")
        let minmax = sigmoid.replacingOccurrences(of: "model:\n", with: "  normalize: {targets: minmax}\nmodel:\n")
        expectCodes(minmax, [])
        let relu = spec(replacing: "{units: 1, name: fc2}", with: "{units: 1, activation: relu, name: fc2}")
        let standard = relu.replacingOccurrences(of: "model:\n", with: "  normalize: {targets: standard}\nmodel:\n")
        expectCodes(standard, [.unreachableTargets])
    }

    @Test func outputActivationsThatReachEveryValueAreFine() {
        for activation in ["identity", "leaky_relu", "prelu", "linear"] {
            expectCodes(spec(replacing: "{units: 1, name: fc2}", with: "{units: 1, activation: \(activation), name: fc2}"), [])
        }
    }

    // W0350 and W0351: scales.
    @Test func largeInputsWithoutNormalization() {
        let text = spec(replacing: "[6, 7]]", with: "[600, 7]]")
        expectDiagnostic(text, .unscaledInputs, at: "[[0, 1]", onLineWith: "inputs:")
        #expect(compile(text).diagnostics.all[0].message.contains("magnitude 600"))
        expectCodes(text.replacingOccurrences(of: "model:\n", with: "  normalize: {inputs: standard}\nmodel:\n"), [])
    }

    @Test func inputColumnsOnDifferentScales() {
        let text = spec(replacing: "inputs:  [[0, 1], [2, 3], [4, 5], [6, 7]]",
                        with: "inputs:  [[0, 0.001], [2, 0.003], [4, 0.005], [6, 0.007]]")
        expectDiagnostic(text, .unscaledInputs, at: "[[0,", onLineWith: "inputs:")
        #expect(compile(text).diagnostics.all[0].message.contains("column 1 spans 6 but column 2 only 0.007"))
        // 6 / 0.7 is under the 100× threshold.
        let close = spec(replacing: "inputs:  [[0, 1], [2, 3], [4, 5], [6, 7]]",
                         with: "inputs:  [[0, 0.1], [2, 0.3], [4, 0.5], [6, 0.7]]")
        expectCodes(close, [])
    }

    @Test func largeTargetsWithoutNormalization() {
        let text = spec(replacing: "[3.6666667]", with: "[3666.6667]")
        expectDiagnostic(text, .unscaledTargets, at: "[[1.6666667]", onLineWith: "targets:")
        expectCodes(text.replacingOccurrences(of: "model:\n", with: "  normalize: {targets: minmax}\nmodel:\n"), [])
    }

    // W0352 and W0355: the layers.
    @Test func aHiddenLayerOfWidthOneIsABottleneck() {
        let text = spec(replacing: "{units: 10, activation: relu, name: fc1}", with: "{units: 1, activation: relu, name: fc1}")
        expectDiagnostic(text, .bottleneck, at: "1,", onLineWith: "fc1")
        expectCodes(text, [.bottleneck])
        let note = compile(text).diagnostics.all[0].notes[0]
        #expect(note.message == "`fc2` works from it here")
        #expect(note.range?.start.line == 11)
    }

    @Test func constantWeightsInAHiddenLayerAreSymmetric() {
        let perLayer = spec(replacing: "{units: 10, activation: relu, name: fc1}",
                            with: "{units: 10, activation: relu, name: fc1, weights: {constant: {value: 0.5}}}")
        expectDiagnostic(perLayer, .symmetricInit, at: "{constant", onLineWith: "fc1")
        let modelWide = spec(replacing: "  layers:\n", with: "  init: {weights: zeros}\n  layers:\n")
        expectDiagnostic(modelWide, .symmetricInit, at: "zeros", onLineWith: "init:")
        expectCodes(modelWide, [.symmetricInit])  // fc1 only: zero weights in the output layer are fine
        let outputOnly = spec(replacing: "{units: 1, name: fc2}", with: "{units: 1, name: fc2, weights: zeros}")
        expectCodes(outputOnly, [])
    }

    // W0450, W0451, E0402: training.
    @Test func learningRatesOutsideTheUsualRange() {
        expectDiagnostic(spec(replacing: "lr: 0.01", with: "lr: 2"), .implausibleLearningRate, at: "2", onLineWith: "lr: 2")
        expectDiagnostic(spec(replacing: "lr: 0.01", with: "lr: 1e-7"), .implausibleLearningRate, at: "1e-7", onLineWith: "lr")
        expectCodes(spec(replacing: "lr: 0.01", with: "lr: 1"), [])
        let adam = spec(replacing: "{sgd: {lr: 0.01}}", with: "{adam: {lr: 0.5}}")
        expectDiagnostic(adam, .implausibleLearningRate, at: "0.5", onLineWith: "adam")
        expectCodes(spec(replacing: "{sgd: {lr: 0.01}}", with: "adam"), [])
    }

    @Test func logEveryBeyondTheEpochs() {
        let text = spec(replacing: "  shuffle: false\n", with: "  shuffle: false\n  log_every: 11\n")
        expectDiagnostic(text, .logEveryBeyondEpochs, at: "11", onLineWith: "log_every")
        expectCodes(spec(replacing: "  shuffle: false\n", with: "  shuffle: false\n  log_every: 10\n"), [])
    }

    @Test func aWrittenBatchSizeLargerThanTheTrainingSetIsAnError() {
        expectDiagnostic(spec(replacing: "batch_size: 1", with: "batch_size: 5"), .batchLargerThanData, at: "5", onLineWith: "batch_size")
        expectCodes(spec(replacing: "batch_size: 1", with: "batch_size: 4"), [])
        expectCodes(spec(replacing: "  batch_size: 1\n", with: ""), [])  // the default, 32, is clamped
    }

    @Test func zeroEpochsIsAnError() {
        expectDiagnostic(spec(replacing: "epochs: 10", with: "epochs: 0"), .outOfRange, at: "0", onLineWith: "epochs")
    }

    // W0359: a [length, features] sequence read as [channels, length].
    static func sequenceSpec(_ layers: String) -> String {
        """
        dnnc: 1
        data:
          train:
            inputs: [[0, 0, 1], [0, 1, 1], [1, 0, 0], [1, 1, 0]]
            targets: [[0], [1], [1], [2]]
        model:
          input: [3]
          layers:
        \(layers)    - flatten
            - dense: {units: 1, name: out}
        train:
          loss: mse
          optimizer: {sgd: {lr: 0.1}}
          epochs: 5
        """
    }

    @Test func aSequenceReadAsChannelsIsNamedWithBothLayersAndAFix() throws {
        let text = Self.sequenceSpec("""
                - embedding: {vocab: 2, dim: 4, name: tokens}
                - dropout: {rate: 0.1}
                - conv1d: {filters: 5, kernel: 2, name: conv}

            """)
        expectDiagnostic(text, .sequenceLayout, at: "conv1d", onLineWith: "name: conv")
        let result = compile(text)
        let warning = try #require(result.diagnostics.all.first { $0.code == .sequenceLayout })
        #expect(warning.message.contains("`conv`") && warning.message.contains("embedding `tokens`")
                && warning.message.contains("3 positions as channels and the 4 features as the length"))
        #expect(warning.notes.first?.range?.start.line == 9, "the note points at the embedding")
        // The fix inserts the permute as a line of its own, and the fixed spec is clean.
        #expect(warning.fixes.count == 1 && warning.fixes[0].replacement == "permute: {dims: [1, 0]}\n    - ")
        let fixed = FixItTests.apply(warning.fixes, to: text)
        #expect(fixed.contains("    - permute: {dims: [1, 0]}\n    - conv1d: {filters: 5, kernel: 2, name: conv}"))
        expectCodes(fixed, [])
        #expect(compile(fixed).model?.layers.first { $0.name == "conv" }?.inputShape == [4, 3])
    }

    @Test func globalAndOneDimensionalPoolingOfASequenceWarnToo() {
        for reader in ["global_avgpool", "global_maxpool", "maxpool1d: {size: 2}", "avgpool1d: {size: 2}"] {
            let text = Self.sequenceSpec("    - embedding: {vocab: 2, dim: 4}\n    - layernorm\n    - \(reader)\n")
            expectCodes(text, [.sequenceLayout])
        }
    }

    @Test func aRecurrentLayersStepsAreASequenceToo() {
        let steps = Self.sequenceSpec("    - embedding: {vocab: 2, dim: 4}\n    - gru: {units: 5, return_sequences: true, name: g}\n    - conv1d: {filters: 2, kernel: 2}\n")
        expectCodes(steps, [.sequenceLayout])
        // The last step alone is one vector, [units]: nothing to mistake.
        expectCodes(Self.sequenceSpec("    - embedding: {vocab: 2, dim: 4}\n    - lstm: {units: 5}\n    - reshape: {shape: [1, 5]}\n    - conv1d: {filters: 2, kernel: 2}\n"), [])
    }

    @Test func aPermutedSequenceOrAChannelsFirstInputIsFine() {
        expectCodes(Self.sequenceSpec("    - embedding: {vocab: 2, dim: 4}\n    - permute: {dims: [1, 0]}\n    - conv1d: {filters: 5, kernel: 2}\n"), [])
        // A conv1d after a conv1d reads channels first; a reshape's [1, 3] is a one-channel signal.
        expectCodes(Self.sequenceSpec("    - embedding: {vocab: 2, dim: 4}\n    - permute: {dims: [1, 0]}\n    - conv1d: {filters: 5, kernel: 2}\n    - global_maxpool\n"), [])
        expectCodes(Self.sequenceSpec("    - reshape: {shape: [1, 3]}\n    - conv1d: {filters: 5, kernel: 2}\n"), [])
    }

    @Test func aReaderThatNamesItsInputGetsTheWarningWithoutAFix() throws {
        let text = Self.sequenceSpec("    - embedding: {vocab: 2, dim: 4, name: tokens}\n    - dense: {units: 2, inputs: [input], name: side}\n    - global_avgpool: {inputs: [tokens]}\n    - concat: {inputs: [global_avgpool_1, side]}\n")
        expectCodes(text, [.sequenceLayout])
        let warning = try #require(compile(text).diagnostics.all.first)
        #expect(warning.fixes.isEmpty, "a permute inserted before it would not be what it reads")
    }

    @Test func warningsAreReportedOnlyWhenTheSpecVerifies() {
        let text = spec(replacing: "{units: 1, name: fc2}", with: "{units: 1, activation: relu, name: fc2}")
            .replacingOccurrences(of: "epochs: 10", with: "epochs: -1")
        expectCodes(text, [.outOfRange])
    }
}

struct SuppressionTests {
    static let dying = spec(replacing: "{units: 1, name: fc2}", with: "{units: 1, activation: relu, name: fc2}")

    @Test func aCommentOnTheLineSilencesTheCodeThere() {
        let text = Self.dying.replacingOccurrences(of: "name: fc2}", with: "name: fc2}  # dnnc: disable=W0354")
        expectCodes(text, [])
    }

    @Test func aCommentAloneOnTheLineAboveSilencesTheNextLine() {
        let text = Self.dying.replacingOccurrences(of: "    - dense: {units: 1, activation: relu",
                                                   with: "    # dnnc: disable=W0354 the study needs relu here\n    - dense: {units: 1, activation: relu")
        expectCodes(text, [])
    }

    @Test func aTrailingCommentOnTheLineAboveDoesNotReachDown() {
        let text = Self.dying.replacingOccurrences(of: "name: fc1}", with: "name: fc1}  # dnnc: disable=W0354")
        expectCodes(text, [.unusedSuppression, .dyingOutput])
    }

    @Test func disableFileSilencesTheCodeEverywhere() {
        let text = "# dnnc: disable-file=W0354, W0450\n" + Self.dying.replacingOccurrences(of: "lr: 0.01", with: "lr: 5")
        expectCodes(text, [])
    }

    @Test func onlyTheNamedCodeIsSilenced() {
        let text = Self.dying.replacingOccurrences(of: "name: fc2}", with: "name: fc2}  # dnnc: disable=W0352")
        expectCodes(text, [.dyingOutput, .unusedSuppression])
    }

    @Test func anUnusedSuppressionIsAWarningAtItsCode() {
        let text = spec(replacing: "epochs: 10", with: "epochs: 10  # dnnc: disable=W0451")
        expectDiagnostic(text, .unusedSuppression, at: "W0451", onLineWith: "epochs")
    }

    @Test func unknownCodesErrorsAndDirectivesAreReported() {
        let unknown = spec(replacing: "epochs: 10", with: "epochs: 10  # dnnc: disable=W354")
        expectDiagnostic(unknown, .invalidSuppression, at: "W354", onLineWith: "epochs")
        #expect(compile(unknown).diagnostics.all[0].help == "did you mean `W0354`?")

        let error = spec(replacing: "epochs: 10", with: "epochs: 0  # dnnc: disable=E0205")
        expectCodes(error, [.outOfRange, .invalidSuppression])

        let directive = spec(replacing: "epochs: 10", with: "epochs: 10  # dnnc: disabel=W0354")
        expectDiagnostic(directive, .invalidSuppression, at: "disabel", onLineWith: "epochs")
        #expect(compile(directive).diagnostics.all[0].help == "did you mean `disable`?")

        expectCodes(spec(replacing: "epochs: 10", with: "epochs: 10  # dnnc: disable="), [.invalidSuppression])
    }

    @Test func ordinaryCommentsAndQuotedHashesAreNotDirectives() {
        expectCodes(spec(replacing: "epochs: 10", with: "epochs: 10  # dnnc: the version is 1"), [])
        let quoted = Self.dying.replacingOccurrences(of: "seed: 3\n", with: "seed: 3\nname: \"x # dnnc: disable=W0354\"\n")
        expectCodes(quoted, [.dyingOutput])
    }
}
