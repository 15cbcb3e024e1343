// Every YAML and validation failure of the v1 language: its code, and the line and column it points at.

import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

/// The 1-based line and column of the first `token` on the first line containing `lineMarker`.
func position(of token: String, onLineWith lineMarker: String, in text: String) -> (Int, Int) {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let index = lines.firstIndex { $0.contains(lineMarker) }!
    let line = lines[index]
    let column = line.distance(from: line.startIndex, to: line.range(of: token)!.lowerBound) + 1
    return (index + 1, column)
}

/// Asserts that compiling `text` reports `code` at the position of `token` on the line with `lineMarker`,
/// and that an error stops compilation while a warning does not.
func expectDiagnostic(_ text: String, _ code: DiagnosticCode, at token: String, onLineWith lineMarker: String,
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let result = compile(text)
    let (line, column) = position(of: token, onLineWith: lineMarker, in: text)
    let found = result.diagnostics.all.first { $0.code == code }
    #expect(found != nil, "expected \(code.rawValue), got \(result.diagnostics.all.map { "\($0.code.rawValue) \($0.message)" })",
            sourceLocation: sourceLocation)
    #expect(found?.range.start == DNNCore.SourceLocation(line: line, column: column),
            "\(code.rawValue) should point at \(line):\(column): \(found.map { "\($0.range.start) \($0.message)" } ?? "")",
            sourceLocation: sourceLocation)
    #expect((result.model == nil) == (code.severity == .error), sourceLocation: sourceLocation)
}

struct DiagnosticTests {
    @Test func baseSpecIsValid() throws {
        let ir = try model(baseSpec)
        #expect(ir.layers.map(\.name) == ["fc1", "fc2"])
        #expect(ir.parameterCount == 10 * 2 + 10 + 10 + 1)
    }

    // Values out of range.
    @Test func zeroUnitsIsOutOfRange() {
        let text = spec(replacing: "units: 10", with: "units: 0")
        expectDiagnostic(text, .outOfRange, at: "0,", onLineWith: "units: 0")
    }

    @Test func negativeLearningRateIsOutOfRange() {
        let text = spec(replacing: "lr: 0.01", with: "lr: -1")
        expectDiagnostic(text, .outOfRange, at: "-1", onLineWith: "lr: -1")
        #expect(compile(text).diagnostics.all[0].message.contains("greater than 0"))
    }

    @Test func zeroBatchSizeIsOutOfRange() {
        expectDiagnostic(spec(replacing: "batch_size: 1", with: "batch_size: 0"), .outOfRange, at: "0", onLineWith: "batch_size")
    }

    @Test func negativeEpochsAreOutOfRange() {
        expectDiagnostic(spec(replacing: "epochs: 10", with: "epochs: -5"), .outOfRange, at: "-5", onLineWith: "epochs")
    }

    @Test func uniformNeedsLowBelowHigh() {
        let text = spec(replacing: "name: fc2}", with: "name: fc2, weights: {uniform: {low: 1, high: 0}}}")
        expectDiagnostic(text, .inconsistentValues, at: "{uniform", onLineWith: "uniform")
    }

    // Types.
    @Test func yesIsAStringNotABoolean() {
        let text = spec(replacing: "shuffle: false", with: "shuffle: yes")
        expectDiagnostic(text, .wrongType, at: "yes", onLineWith: "shuffle")
        #expect(compile(text).diagnostics.all[0].help?.contains("true or false") == true)
    }

    @Test func quotedNumberIsAWrongType() {
        let text = spec(replacing: "units: 10", with: "units: \"10\"")
        expectDiagnostic(text, .wrongType, at: "\"10\"", onLineWith: "units")
        #expect(compile(text).diagnostics.all[0].help == "remove the quotes")
    }

    @Test func booleanWhereAnIntegerBelongs() {
        expectDiagnostic(spec(replacing: "epochs: 10", with: "epochs: true"), .wrongType, at: "true", onLineWith: "epochs")
    }

    @Test func fractionalUnitsAreAWrongType() {
        expectDiagnostic(spec(replacing: "units: 10", with: "units: 2.5"), .wrongType, at: "2.5", onLineWith: "units")
    }

    @Test func infiniteAndOverflowingNumbersAreRejected() {
        expectDiagnostic(spec(replacing: "lr: 0.01", with: "lr: .inf"), .invalidNumber, at: ".inf", onLineWith: "lr")
        expectDiagnostic(spec(replacing: "lr: 0.01", with: "lr: 1e999"), .invalidNumber, at: "1e999", onLineWith: "lr")
        expectDiagnostic(spec(replacing: "epochs: 10", with: "epochs: 99999999999999999999"), .invalidNumber,
                    at: "9", onLineWith: "epochs")
    }

    // Keys and kinds.
    @Test func unknownKeySuggestsTheClosest() {
        let text = spec(replacing: "shuffle: false", with: "shufle: false")
        expectDiagnostic(text, .unknownKey, at: "shufle", onLineWith: "shufle")
        #expect(compile(text).diagnostics.all[0].help == "did you mean `shuffle`?")
    }

    @Test func unknownActivationSuggestsTheClosest() {
        let text = spec(replacing: "activation: relu", with: "activation: rleu")
        expectDiagnostic(text, .unknownKind, at: "rleu", onLineWith: "rleu")
        #expect(compile(text).diagnostics.all[0].help == "did you mean `relu`?")
    }

    @Test func unknownLayerKindAndOptimizer() {
        expectDiagnostic(spec(replacing: "- dense: {units: 1", with: "- dens: {units: 1"), .unknownKind, at: "dens", onLineWith: "dens:")
        let text = spec(replacing: "{sgd: {lr: 0.01}}", with: "{adan: {lr: 0.01}}")
        expectDiagnostic(text, .unknownKind, at: "adan", onLineWith: "adan")
        #expect(compile(text).diagnostics.all[0].help == "did you mean `adam`?")
    }

    @Test func unknownParameterOfAChoice() {
        let text = spec(replacing: "{sgd: {lr: 0.01}}", with: "{sgd: {lr: 0.01, momentun: 0.9}}")
        expectDiagnostic(text, .unknownKey, at: "momentun", onLineWith: "momentun")
        #expect(compile(text).diagnostics.all[0].help == "did you mean `momentum`?")
    }

    @Test func missingRequiredKeys() {
        let text = spec(replacing: "  loss: mse\n", with: "")
        expectDiagnostic(text, .missingKey, at: "optimizer", onLineWith: "optimizer")
        #expect(compile(text).diagnostics.all[0].message == "missing required key `loss` in `train`")
        expectDiagnostic(spec(replacing: "{sgd: {lr: 0.01}}", with: "sgd"), .missingKey, at: "sgd", onLineWith: "optimizer")
    }

    @Test func choiceWithTwoKeysIsMalformed() {
        expectDiagnostic(spec(replacing: "activation: relu", with: "activation: {relu: {}, tanh: {}}"), .malformedChoice,
                    at: "{relu", onLineWith: "tanh")
    }

    @Test func otherLanguageVersionsAreRejected() {
        expectDiagnostic(spec(replacing: "dnnc: 1", with: "dnnc: 2"), .unsupportedVersion, at: "2", onLineWith: "dnnc:")
    }

    @Test func duplicateLayerNames() {
        let text = spec(replacing: "name: fc2", with: "name: fc1")
        expectDiagnostic(text, .duplicateName, at: "fc1", onLineWith: "units: 1,")
        #expect(compile(text).diagnostics.all[0].notes.first?.range?.start.line == 10)
    }

    @Test func defaultLayerNamesCountEachKind() throws {
        let text = spec(replacing: ", name: fc1}", with: "}").replacingOccurrences(of: ", name: fc2}", with: "}")
        #expect(try model(text).layers.map(\.name) == ["dense_1", "dense_2"])
    }

    @Test func nesterovNeedsMomentum() {
        expectDiagnostic(spec(replacing: "{sgd: {lr: 0.01}}", with: "{sgd: {lr: 0.01, nesterov: true}}"), .invalidOptimizer,
                    at: "true", onLineWith: "nesterov")
    }

    // Data and shapes.
    @Test func raggedRows() {
        expectDiagnostic(spec(replacing: "[[0, 1], [2, 3],", with: "[[0, 1], [2],"), .raggedRows, at: "[2]", onLineWith: "inputs")
    }

    @Test func inputsAndTargetsRowCounts() {
        let text = spec(replacing: "[[1.6666667], [3.6666667], [1.0], [1.6666667]]", with: "[[1.6666667], [3.6666667], [1.0]]")
        expectDiagnostic(text, .rowCountMismatch, at: "[[1.6", onLineWith: "targets")
        #expect(compile(text).diagnostics.all[0].message == "the targets have 3 rows, but the inputs (line 5) have 4")
    }

    @Test func inputRowsMustMatchTheInputShape() {
        let text = spec(replacing: "input: [2]", with: "input: [3]")
        expectDiagnostic(text, .inputWidth, at: "[0, 1]", onLineWith: "inputs")
        #expect(compile(text).diagnostics.all[0].message == "each input row has 2 values, but model.input [3] (line 8) takes 3")
    }

    @Test func lastLayerMustMatchTheTargets() {
        let text = spec(replacing: "[[1.6666667], [3.6666667], [1.0], [1.6666667]]", with: "[[1, 2], [3, 4], [5, 6], [7, 8]]")
        expectDiagnostic(text, .outputWidth, at: "1,", onLineWith: "name: fc2")
        #expect(compile(text).diagnostics.all[0].message == "fc2 outputs 1 value per sample, but the targets (line 6) have 2")
    }

    @Test func emptyData() {
        expectDiagnostic(spec(replacing: "[[0, 1], [2, 3], [4, 5], [6, 7]]", with: "[]"), .emptyData, at: "[]", onLineWith: "inputs")
    }

    @Test func hugeModelsAreRefusedNotAllocated() {
        let wide = spec(replacing: "units: 10", with: "units: 16777216")
            .replacingOccurrences(of: "{units: 1, name: fc2}", with: "{units: 16777216, name: fc2}")
        expectDiagnostic(wide, .modelTooLarge, at: "dense", onLineWith: "name: fc2")
        #expect(compile(wide).diagnostics.all[0].message == "layer `fc2` needs a tensor of shape [16777216, 16777216], more than 268435456 values")
        expectDiagnostic(spec(replacing: "input: [2]", with: "input: [16777216, 16777216]"), .modelTooLarge,
                    at: "[16777216", onLineWith: "input: [")
    }

    @Test func sizesBeyondTwoToTheTwentyFourAreOutOfRange() {
        expectDiagnostic(spec(replacing: "units: 10", with: "units: 99999999999"), .outOfRange, at: "99999999999", onLineWith: "units")
        expectDiagnostic(spec(replacing: "input: [2]", with: "input: [4294967296]"), .outOfRange, at: "4294967296", onLineWith: "input: [")
    }

    @Test func dataBeyondFloat32IsRejected() {
        expectDiagnostic(spec(replacing: "[4, 5], [6, 7]]", with: "[4, 5e300], [6, 7]]"), .invalidNumber, at: "[4, 5e300]",
                    onLineWith: "inputs")
    }

    // YAML.
    @Test func duplicateKeysPointAtTheSecond() {
        let text = spec(replacing: "seed: 3", with: "seed: 3\nseed: 4")
        expectDiagnostic(text, .duplicateKey, at: "seed", onLineWith: "seed: 4")
        #expect(compile(text).diagnostics.all[0].notes.first?.range?.start.line == 2)
    }

    @Test func syntaxErrorsAreLocated() {
        let result = compile("dnnc: 1\nseed: [1, 2\n")
        #expect(result.diagnostics.all.map(\.code) == [.yamlSyntax])
        #expect(result.diagnostics.all[0].notes.first?.range?.start == DNNCore.SourceLocation(line: 2, column: 7))
    }

    @Test func undefinedAlias() {
        expectDiagnostic(spec(replacing: "seed: 3", with: "seed: *nope"), .undefinedAlias, at: "*nope", onLineWith: "seed")
    }

    @Test func aliasesWork() throws {
        let text = spec(replacing: "input: [2]", with: "input: &shape [2]")
            .replacingOccurrences(of: "lr: 0.01", with: "lr: &rate 0.01")
            .replacingOccurrences(of: "epochs: 10", with: "epochs: 10\n  log_every: &every 5")
        #expect(try model(text).schedule.logEvery == 5)
    }

    @Test func billionLaughsHitsTheAliasBudget() {
        var text = "dnnc: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let result = compile(text)
        #expect(result.diagnostics.all.contains { $0.code == .aliasBudget })
    }

    @Test func tagsBeyondTheCoreSchemaAreRejected() {
        expectDiagnostic(spec(replacing: "seed: 3", with: "seed: !custom 3"), .unsupportedTag, at: "!custom", onLineWith: "seed")
        #expect(compile(spec(replacing: "seed: 3", with: "seed: !!int 3")).model?.seed == 3)
        #expect(compile(spec(replacing: "name: fc1", with: "name: !!str 12")).model?.layers[0].name == "12")
    }

    @Test func onlyOneDocument() {
        let text = baseSpec + "---\ndnnc: 1\n"
        expectDiagnostic(text, .multipleDocuments, at: "---", onLineWith: "---")
    }

    @Test func emptyFile() {
        #expect(compile("").diagnostics.all.map(\.code) == [.emptyDocument])
        #expect(compile("# only a comment\n").diagnostics.all.map(\.code) == [.emptyDocument])
    }

    @Test func deepNestingIsBoundedNotACrash() {
        let text = "dnnc: 1\nx: " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "\n"
        #expect(compile(text).diagnostics.all.map(\.code) == [.nestingTooDeep])
    }

    @Test func aSpecThatIsNotAMapping() {
        expectDiagnostic("- dnnc: 1\n", .wrongType, at: "-", onLineWith: "dnnc")
    }

    @Test func everyErrorOfAFileIsReported() {
        let text = spec(replacing: "units: 10", with: "units: 0")
            .replacingOccurrences(of: "shuffle: false", with: "shuffle: off")
            .replacingOccurrences(of: "lr: 0.01", with: "lr: 0")
        let codes = compile(text).diagnostics.sorted.map { "\($0.range.start.line):\($0.code.rawValue)" }
        #expect(codes == ["10:E0205", "14:E0205", "17:E0201"])
    }

    @Test func renderedErrorsCarryFileLineColumnAndCaret() {
        let result = compile(spec(replacing: "activation: relu", with: "activation: rleu"), path: "specs/bad.yaml")
        let text = DiagnosticRenderer.text(result.diagnostics.all[0], in: result.file)
        #expect(text == """
            specs/bad.yaml:10:38: error[E0203]: unknown activation `rleu`
             10 |     - dense: {units: 10, activation: rleu, name: fc1}
                |                                      ^^^^
              help: did you mean `relu`?

            """)
    }

    @Test func didYouMeanDistances() {
        #expect(Suggestions.editDistance("rleu", "relu") == 1)
        #expect(Suggestions.editDistance("kitten", "sitting") == 3)
        #expect(Suggestions.closest(to: "tahn", among: ["tanh", "relu"]) == ["tanh"])
        #expect(Suggestions.closest(to: "xyz", among: ["tanh", "relu"]).isEmpty)
    }
}
