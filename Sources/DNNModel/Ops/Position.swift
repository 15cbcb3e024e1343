// position_embedding and sinusoidal_position: where each position of a sequence [length, width] is,
// added to it. position_embedding learns a table weight [max_length, width] (as an nn.Embedding of
// positions); sinusoidal_position adds the fixed encoding of Vaswani et al. (2017):
// PE[p, 2i] = sin(p / 10000^(2i/width)), PE[p, 2i + 1] = cos(p / 10000^(2i/width)), computed in double
// precision and rounded to float32 once.

import Foundation
import DNNSyntax

public struct PositionEncoding: LayerOp, Equatable {
    public var length: Int
    public var width: Int
    /// nil for the sinusoidal encoding; the table's rows for a learned one.
    public var maxLength: Int?
    /// The sinusoidal encoding of the first `length` positions, [length, width].
    public var table: [Float]

    public static let kinds = [
        ChoiceKind(name: "position_embedding", params: [
            .required("max_length", .integer(.size), "the longest sequence it can place; the table has this many rows"),
            .optional("weights", .choice(Language.initializers), default: .choice("normal"), "initializer of the table"),
            Language.nameField, Language.inputsField,
        ], doc: "a learned [max_length, width] table, row p added to position p of [length, width]; weight as nn.Embedding's"),
        ChoiceKind(name: "sinusoidal_position", params: [Language.nameField, Language.inputsField],
                   doc: "adds the fixed sin/cos encoding of Vaswani et al. to [length, width]; no parameters"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let shape = layer.shape, choice = layer.choice
        guard shape.count == 2 else {
            return layer.fail("\(choice.kind) `\(layer.name)` places the positions of a sequence [length, width], but its input has shape \(shape)",
                              help: "use it after an embedding, which gives [length, dim]")
        }
        let L = shape[0], D = shape[1]
        guard choice.kind == kinds[0].name else {
            return LoweredLayer(PositionEncoding(length: L, width: D, maxLength: nil, table: sinusoid(length: L, width: D)), output: shape)
        }
        let written = choice["max_length"]!, maxLength = written.int!
        guard L <= maxLength else {
            return layer.fail("position_embedding `\(layer.name)` has \(maxLength) positions (max_length), but its sequences are \(L) long",
                              at: written.range, help: "raise max_length to at least \(L)")
        }
        let weights = Lowering.initializer(choice["weights"]!)
        return LoweredLayer(PositionEncoding(length: L, width: D, maxLength: maxLength, table: []), output: shape,
                            parameters: [layer.parameter("weight", .weight, [maxLength, D], weights, fanIn: maxLength, fanOut: D)])
    }

    static func sinusoid(length: Int, width: Int) -> [Float] {
        (0 ..< length).flatMap { p in
            (0 ..< width).map { k in
                let angle = Double(p) / pow(10000, Double(k - k % 2) / Double(width))
                return Float(k % 2 == 0 ? sin(angle) : cos(angle))
            }
        }
    }

    public var fingerprint: String {
        maxLength.map { "positionEmbedding(length: \(length), width: \(width), maxLength: \($0))" }
            ?? "sinusoidalPosition(length: \(length), width: \(width))"
    }
    public var name: String { Self.kinds[maxLength == nil ? 1 : 0].name }
    public var facts: OpFacts { OpFacts(keepsLayout: true) }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let S = length * width, x = io.x, z = io.z
        let rows = maxLength == nil ? nil : io.weight!
        table.withUnsafeBufferPointer { fixed in
            for r in 0 ..< pass.rows {
                for i in 0..<S { z[r * S + i] = x[r * S + i] + (rows?[i] ?? fixed[i]) }
            }
        }
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        let S = length * width
        if let dx = io.dx { for i in 0 ..< pass.rows * S { dx[i] += dz[i] } }
        guard let dw = io.dweight else { return }
        for r in 0 ..< pass.rows { for i in 0..<S { dw[i] += dz[r * S + i] } }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        guard maxLength != nil else { return graph.node("Add", [inputs[0], graph.floats(table, shape: [length, width])]) }
        let rows = graph.node("Slice", ["\(layer.name).weight", graph.int64s([0]), graph.int64s([Int64(length)]), graph.int64s([0])])
        return graph.node("Add", [inputs[0], rows])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        maxLength.map { "PositionEmbedding(\($0), \(width), activation=\(activation))" }
            ?? "SinusoidalPosition(\(length), \(width), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class PositionEmbedding(Layer):
            def __init__(self, max_length, width, activation):
                super().__init__(activation)
                self.weight = nn.Parameter(torch.zeros(max_length, width))

            def forward(self, x):
                return self.activate(x + self.weight[: x.shape[1]])


        class SinusoidalPosition(Layer):
            def __init__(self, length, width, activation):
                super().__init__(activation)
                p = np.arange(length, dtype=np.float64)[:, None]
                k = np.arange(width)
                angle = p / np.power(10000.0, (k - k % 2) / width)
                table = np.where(k % 2 == 0, np.sin(angle), np.cos(angle)).astype(np.float32)
                self.register_buffer("table", torch.from_numpy(table), persistent=False)

            def forward(self, x):
                return self.activate(x + self.table)
        """#
}
