// The sequence layers' located errors: what a spec gets wrong about recurrent layers, attention and
// positions is named at the key to change.

import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel

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
