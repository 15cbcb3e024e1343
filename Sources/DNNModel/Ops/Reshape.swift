// flatten and reshape: the same values in another shape per sample.

import DNNSyntax

public struct Reshape: LayerOp, Equatable {
    /// flatten: [d1, d2, ...] → [d1·d2·...]; otherwise the spec's `shape`.
    public var flattens: Bool

    public static let kinds = [
        ChoiceKind(name: "flatten", params: [Language.nameField, Language.inputsField], doc: "[d1, d2, ...] → [d1·d2·...]"),
        ChoiceKind(name: "reshape", params: [
            .required("shape", .shape, "the new shape of a sample, with as many values"), Language.nameField, Language.inputsField,
        ], doc: "the same values in another shape"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let shape = layer.shape
        guard layer.choice.kind == "reshape" else { return LoweredLayer(Reshape(flattens: true), output: [shape.reduce(1, *)]) }
        let target = layer.choice["shape"]!.list!.map { $0.int! }
        let count = IRBuilder.checkedProduct(target)
        guard count == shape.reduce(1, *) else {
            return layer.fail("reshape `\(layer.name)` to \(target) needs \(count.map(String.init) ?? "more than 2^63") values, but its input \(shape) has \(shape.reduce(1, *))",
                              at: layer.choice["shape"]!.range)
        }
        return LoweredLayer(Reshape(flattens: false), output: target)
    }

    public var fingerprint: String { name }
    public var name: String { flattens ? "flatten" : "reshape" }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) { io.z.update(from: io.x, count: pass.rows * io.size) }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        if let dx = io.dx { for i in 0 ..< pass.rows * io.size { dx[i] += dz[i] } }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        graph.node("Reshape", [inputs[0], graph.int64s([-1] + layer.outputShape.map(Int64.init))])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "Reshape(\(Python.tuple(layer.outputShape)), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class Reshape(Layer):
            def __init__(self, shape, activation):
                super().__init__(activation)
                self.shape = shape

            def forward(self, x):
                return self.activate(x.reshape((x.shape[0],) + self.shape))
        """#
}
