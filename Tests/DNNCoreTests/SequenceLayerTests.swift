// The sequence layers' located errors: what a spec gets wrong about recurrent layers, attention and
// positions is named at the key to change.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNRuntime

struct SequenceLayerTests {
    static func spec(_ layers: String) -> String {
        LintTests.sequenceSpec(layers)
    }

    @Test func attentionHeadsMustDivideTheWidth() throws {
        let text = Self.spec("    - embedding: {vocab: 2, dim: 6}\n    - attention: {heads: 4, name: att}\n")
        expectDiagnostic(text, .layerGeometry, at: "4", onLineWith: "heads: 4")
        let error = try #require(compile(text).diagnostics.all.first)
        #expect(error.message.contains("width 6 does not split into 4 heads") && error.help == "use a number of heads that divides 6: 1, 2, 3, 6")
        expectCodes(Self.spec("    - embedding: {vocab: 2, dim: 6}\n    - attention: {heads: 3}\n"), [])
    }

    @Test func crossAttentionNeedsEqualWidthsAndAtMostTwoInputs() {
        let widths = Self.spec("    - embedding: {vocab: 2, dim: 4, name: e}\n    - permute: {dims: [1, 0], name: t}\n    - attention: {heads: 1, inputs: [e, t]}\n")
        expectDiagnostic(widths, .branchMismatch, at: "[e, t]", onLineWith: "attention")
        let three = Self.spec("    - embedding: {vocab: 2, dim: 4, name: e}\n    - attention: {heads: 1, inputs: [e, e, e]}\n")
        expectDiagnostic(three, .layerGeometry, at: "[e, e, e]", onLineWith: "attention")
    }

    @Test func aSequenceLongerThanThePositionTableIsLocatedAtMaxLength() throws {
        let text = Self.spec("    - embedding: {vocab: 2, dim: 4}\n    - position_embedding: {max_length: 2}\n")
        expectDiagnostic(text, .layerGeometry, at: "2", onLineWith: "max_length")
        #expect(try #require(compile(text).diagnostics.all.first).help == "raise max_length to at least 3")
        expectCodes(Self.spec("    - embedding: {vocab: 2, dim: 4}\n    - position_embedding: {max_length: 3}\n"), [])
    }

    @Test func recurrentLayersReadSequences() throws {
        for kind in ["lstm", "gru", "rnn"] {
            let text = Self.spec("    - dense: {units: 4, name: d}\n    - \(kind): {units: 2}\n")
            expectDiagnostic(text, .layerGeometry, at: kind, onLineWith: "units: 2")
            #expect(try #require(compile(text).diagnostics.all.first).message.contains("reads a sequence [length, features], but its input has shape [4]"))
        }
        // rnn's activation is its step's nonlinearity, a word; a layer activation choice is refused there.
        expectCodes(Self.spec("    - embedding: {vocab: 2, dim: 4}\n    - rnn: {units: 2, activation: relu}\n"), [])
        expectDiagnostic(Self.spec("    - embedding: {vocab: 2, dim: 4}\n    - rnn: {units: 2, activation: gelu}\n"), .unknownKind,
                         at: "gelu", onLineWith: "rnn")
    }

    @Test func theOutputsShapesFollowReturnSequencesAndDirections() throws {
        let text = Self.spec("""
                - embedding: {vocab: 2, dim: 4}
                - lstm: {units: 5, return_sequences: true, bidirectional: true, name: a}
                - gru: {units: 3, name: b}

            """)
        let model = try #require(compile(text).model)
        #expect(model.layers[1].outputShape == [3, 10] && model.layers[2].outputShape == [3])
        #expect(model.layers[1].parameters.map(\.name) == ["a.weight_ih", "a.weight_hh", "a.bias_ih", "a.bias_hh",
                                                           "a.weight_ih_reverse", "a.weight_hh_reverse", "a.bias_ih_reverse", "a.bias_hh_reverse"])
        #expect(model.layers[1].parameters.map(\.shape) == [[20, 4], [20, 5], [20], [20], [20, 4], [20, 5], [20], [20]])
        #expect(model.layers[2].parameters.map(\.shape) == [[9, 10], [9, 3], [9], [9]])
    }
}

/// padding_index and the loss over every position.
struct PaddingAndPositionTests {
    static func tokens(targets: String, loss: String, layers: String) -> String {
        """
        dnnc: 1
        data:
          train:
            inputs: [[1, 2, 0], [2, 1, 1], [1, 0, 0], [2, 2, 1]]
            targets: \(targets)
        model:
          input: [3]
          layers:
        \(layers)
        train:
          loss: \(loss)
          optimizer: {sgd: {lr: 0.1}}
          epochs: 2
        """
    }

    static let perPosition = "    - embedding: {vocab: 3, dim: 4, padding_index: 0}\n    - gru: {units: 4, return_sequences: true}\n    - dense: {units: 3, name: out}"

    @Test func aPaddingIndexOutsideTheTableIsLocatedAtTheKey() throws {
        let text = SequenceLayerTests.spec("    - embedding: {vocab: 2, dim: 4, padding_index: 5}\n")
        expectDiagnostic(text, .layerGeometry, at: "5", onLineWith: "padding_index")
        #expect(try #require(compile(text).diagnostics.all.first).message.contains("padding_index 5 is not an index of its table (0 to 1)"))
    }

    @Test func embeddingsWithDifferentPaddingAreRefused() {
        let text = SequenceLayerTests.spec("    - embedding: {vocab: 2, dim: 4, padding_index: 0, name: a}\n    - embedding: {vocab: 2, dim: 4, padding_index: 1, inputs: [input]}\n")
        expectDiagnostic(text, .layerGeometry, at: "1", onLineWith: "padding_index: 1")
    }

    @Test func thePaddingRowStartsAtZerosAndTheMasksFollowTheTokens() throws {
        let text = SequenceLayerTests.spec("    - embedding: {vocab: 3, dim: 4, padding_index: 1, name: e}\n    - attention: {heads: 2, name: a}\n    - permute: {dims: [1, 0]}\n    - global_avgpool: {name: g}\n")
        let model = try #require(compile(text).model)
        #expect((model.layers[1].kind as? Attention)?.keyPadding == 1)
        #expect((model.layers[3].kind as? GlobalPooling)?.skipsPadding == 1)
        let network = Network(model: model, capacity: 4)
        network.initialize(seed: 3)
        let table = network.values(ofParameter: 0)
        #expect(table[4 ..< 8].allSatisfy { $0 == 0 } && table[0 ..< 4].contains { $0 != 0 }, "row 1 is zeros, the others drawn")
        // Without a padding_index, nothing is masked.
        let plain = try #require(compile(SequenceLayerTests.spec("    - embedding: {vocab: 3, dim: 4}\n    - attention: {heads: 2}\n")).model)
        #expect((plain.layers[1].kind as? Attention)?.keyPadding == nil)
    }

    @Test func anLOutputReadsOneClassPerPosition() throws {
        let text = Self.tokens(targets: "[[2, 0, -100], [1, 1, 2], [0, -100, -100], [2, 1, 0]]", loss: "{cross_entropy: {ignore_index: -100}}",
                               layers: Self.perPosition)
        let model = try #require(compile(text).model)
        #expect(model.positions == 3 && model.classWidth == 3 && model.classes == ["0", "1", "2"])
        // A class beyond the output's, at its row and column.
        let beyond = Self.tokens(targets: "[[2, 0, 1], [1, 1, 2], [0, 3, 1], [2, 1, 0]]", loss: "cross_entropy", layers: Self.perPosition)
        expectDiagnostic(beyond, .classOutOfRange, at: "[0, 3, 1]", onLineWith: "targets")
        #expect(try #require(compile(beyond).diagnostics.all.first).message.hasPrefix("row 3, column 2 is class 3"))
        // Padded targets without ignore_index: the help names it.
        let padded = Self.tokens(targets: "[[2, 0, -100], [1, 1, 2], [0, 1, 1], [2, 1, 0]]", loss: "cross_entropy", layers: Self.perPosition)
        let error = try #require(compile(padded).diagnostics.all.first)
        #expect(error.message == "row 1, column 3: class index -100 is not a whole number from 0" && error.help == "to leave padded targets out, set the loss's ignore_index")
        // Targets as wide as neither the output nor its positions.
        let wide = Self.tokens(targets: "[[2, 0], [1, 1], [0, 1], [2, 1]]", loss: "cross_entropy", layers: Self.perPosition)
        #expect(try #require(compile(wide).diagnostics.all.first).help?.hasSuffix("or 3 class indices per row, one per position of its [3, 3] output") == true)
    }

    @Test func theLossMeansOverTheTargetsNotIgnored() throws {
        let text = Self.tokens(targets: "[[2, 0, -100], [1, 1, 2], [0, -100, -100], [2, 1, 0]]", loss: "{cross_entropy: {ignore_index: -100}}",
                               layers: Self.perPosition)
        let model = try #require(compile(text).model)
        let trainer = Trainer(model: model)
        // Each counted position alone, then their mean: the loss over the batch is their mean, padding left out.
        let outputs = trainer.predict(model.train.inputs).values, t = model.train.targets.values
        var sum = 0.0, counted = 0
        for i in 0 ..< 12 where t[i] != -100 {
            let row: [Double] = outputs[i * 3 ..< i * 3 + 3].map(Double.init)
            let top = row.max()!
            let logSum: Double = top + Foundation.log(row.map { Foundation.exp($0 - top) }.reduce(0, +))
            sum += logSum - row[Int(t[i])]
            counted += 1
        }
        #expect(counted == 9)
        #expect(abs(trainer.evaluate(model.train) - sum / 9) < 1e-5)
    }
}
