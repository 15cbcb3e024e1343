// activation: an activation as a layer of its own; the layer's op passes its input through and the
// activation (from `fn`) does the work.

import DNNSyntax

public struct ActivationLayer: LayerOp, Equatable {
    public static let kinds = [
        ChoiceKind(name: "activation", params: [
            .required("fn", .choice(Language.activations), "the activation"), Language.nameField, Language.inputsField,
        ], doc: "an activation as a layer of its own"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? { LoweredLayer(ActivationLayer(), output: layer.shape) }

    public var fingerprint: String { "activation" }
    public var name: String { "activation" }
    public var facts: OpFacts { OpFacts(keepsLayout: true) }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) { io.z.update(from: io.x, count: pass.rows * io.size) }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        if let dx = io.dx { for i in 0 ..< pass.rows * io.size { dx[i] += dz[i] } }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String { graph.node("Identity", [inputs[0]]) }

    public func pytorch(_ layer: Layer, activation: String) -> String { "Activate(activation=\(activation))" }

    public static let pythonClass = #"""
        class Activate(Layer):
            def forward(self, x):
                return self.activate(x)
        """#
}
