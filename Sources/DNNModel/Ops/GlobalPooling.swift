// global_avgpool and global_maxpool: the mean or the largest value over every position of each channel,
// [C, ...] → [C]. Max pooling sends each channel's gradient to the position of its maximum (the first,
// on ties), kept in the argmax buffer.

import DNNSyntax

public struct GlobalPooling: LayerOp, Equatable {
    public var isMax: Bool
    public var channels: Int
    /// Positions per channel.
    public var spatial: Int

    public static let kinds = [
        ChoiceKind(name: "global_avgpool", params: [Language.nameField, Language.inputsField],
                   doc: "the mean over every position of each channel: [C, ...] → [C]"),
        ChoiceKind(name: "global_maxpool", params: [Language.nameField, Language.inputsField],
                   doc: "the largest value over every position of each channel: [C, ...] → [C]"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let shape = layer.shape, kind = layer.choice.kind
        guard shape.count >= 2 else {
            return layer.fail("\(kind) `\(layer.name)` pools the positions of each channel, but its input \(shape) has none",
                              help: "use it after a convolution")
        }
        return LoweredLayer(GlobalPooling(isMax: kind == Self.kinds[1].name, channels: shape[0], spatial: shape.dropFirst().reduce(1, *)),
                            output: [shape[0]])
    }

    public var fingerprint: String { "\(isMax ? "globalMaxPool" : "globalAvgPool")(channels: \(channels), spatial: \(spatial))" }
    public var name: String { Self.kinds[isMax ? 1 : 0].name }
    public var facts: OpFacts { OpFacts(readsChannelsFirst: true) }

    /// Max pooling's argmax: one position per channel.
    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers { OpBuffers(argmax: isMax ? capacity * channels : 0) }

    /// z (B, C) is the mean or the largest of x (B, C, spatial).
    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let x = io.x, z = io.z, S = spatial
        for nc in 0 ..< pass.rows * channels {
            let plane = x + nc * S
            if isMax {
                var best = 0
                for s in 1..<max(S, 1) where plane[s] > plane[best] || (plane[s].isNaN && !plane[best].isNaN) { best = s }
                io.argmax![nc] = Int32(best)
                z[nc] = plane[best]
            } else {
                var sum: Float = 0
                for s in 0..<S { sum += plane[s] }
                z[nc] = sum / Float(S)
            }
        }
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        guard let dx = io.dx else { return }
        let S = spatial
        for nc in 0 ..< pass.rows * channels {
            if isMax {
                dx[nc * S + Int(io.argmax![nc])] += dz[nc]
            } else {
                for s in 0..<S { dx[nc * S + s] += dz[nc] / Float(S) }
            }
        }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        graph.node(isMax ? "ReduceMax" : "ReduceMean", [inputs[0]], [.ints("axes", Array(2 ..< layer.inputShape.count + 1)), .int("keepdims", 0)])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "GlobalPool(\(Python.string(isMax ? "max" : "avg")), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class GlobalPool(Layer):
            def __init__(self, kind, activation):
                super().__init__(activation)
                self.kind = kind

            def forward(self, x):
                flat = x.flatten(2)
                return self.activate(flat.amax(2) if self.kind == "max" else flat.mean(2))
        """#
}
