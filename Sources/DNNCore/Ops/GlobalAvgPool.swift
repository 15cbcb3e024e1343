// global_avgpool: the mean over every position of each channel, [C, ...] → [C].

public struct GlobalAvgPool: LayerOp, Equatable {
    public var channels: Int
    /// Positions per channel.
    public var spatial: Int

    public static let kinds = [
        ChoiceKind(name: "global_avgpool", params: [Language.nameField, Language.inputsField],
                   doc: "the mean over every position of each channel: [C, ...] → [C]"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let shape = layer.shape
        guard shape.count >= 2 else {
            return layer.fail("global_avgpool `\(layer.name)` averages the positions of each channel, but its input \(shape) has none",
                              help: "use it after a convolution")
        }
        return LoweredLayer(GlobalAvgPool(channels: shape[0], spatial: shape.dropFirst().reduce(1, *)), output: [shape[0]])
    }

    public var name: String { "global_avgpool" }

    /// z (B, C) is the mean of x (B, C, spatial).
    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let x = io.x, z = io.z, S = spatial
        for nc in 0 ..< pass.rows * channels {
            var sum: Float = 0
            for s in 0..<S { sum += x[nc * S + s] }
            z[nc] = sum / Float(S)
        }
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        guard let dx = io.dx else { return }
        let S = spatial
        for nc in 0 ..< pass.rows * channels { for s in 0..<S { dx[nc * S + s] += dz[nc] / Float(S) } }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        graph.node("ReduceMean", [inputs[0]], [.ints("axes", Array(2 ..< layer.inputShape.count + 1)), .int("keepdims", 0)])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String { "GlobalAvgPool(activation=\(activation))" }

    public static let pythonClass = #"""
        class GlobalAvgPool(Layer):
            def forward(self, x):
                return self.activate(x.flatten(2).mean(2))
        """#
}
