// global_avgpool and global_maxpool: the mean or the largest value over every position of each channel,
// [C, ...] → [C]. Max pooling sends each channel's gradient to the position of its maximum (the first,
// on ties), kept in the argmax buffer. The mean over [C, L] positions that descend from an embedding with a
// padding_index leaves the padded positions out (all padded: 0).

import DNNSyntax

public struct GlobalPooling: LayerOp, Equatable {
    public var isMax: Bool
    public var channels: Int
    /// Positions per channel.
    public var spatial: Int
    /// The padding index whose positions the mean leaves out (PassContext.padding), when its input is
    /// [C, L] over the tokens of an embedding with a padding_index.
    public var skipsPadding: Int? = nil

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
        let isMax = kind == Self.kinds[1].name
        let skipsPadding = !isMax && shape.count == 2 ? layer.paddingIndex(input: 0, positions: shape[1]) : nil
        return LoweredLayer(GlobalPooling(isMax: isMax, channels: shape[0], spatial: shape.dropFirst().reduce(1, *), skipsPadding: skipsPadding),
                            output: [shape[0]])
    }

    public var fingerprint: String {
        "\(isMax ? "globalMaxPool" : "globalAvgPool")(channels: \(channels), spatial: \(spatial)" + (skipsPadding.map { ", skipsPadding: \($0))" } ?? ")")
    }
    public var readsPadding: Bool { skipsPadding != nil }
    public var name: String { Self.kinds[isMax ? 1 : 0].name }
    public var facts: OpFacts { OpFacts(readsChannelsFirst: true) }

    /// Max pooling's argmax: one position per channel.
    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers { OpBuffers(argmax: isMax ? capacity * channels : 0) }

    /// z (B, C) is the mean or the largest of x (B, C, spatial).
    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let x = io.x, z = io.z, S = spatial
        if skipsPadding != nil, let padded = pass.padding {
            // The mean over the positions kept: z = Σ_s x·(1 − pad) / max(kept, 1).
            for b in 0 ..< pass.rows {
                let pad = padded + b * S, kept = Self.kept(pad, S)
                for c in 0..<channels {
                    let plane = x + (b * channels + c) * S
                    var sum: Float = 0
                    for s in 0..<S where pad[s] == 0 { sum += plane[s] }
                    z[b * channels + c] = sum / kept
                }
            }
            return
        }
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
        if skipsPadding != nil, let padded = pass.padding {
            for b in 0 ..< pass.rows {
                let pad = padded + b * S, kept = Self.kept(pad, S)
                for c in 0..<channels {
                    let nc = b * channels + c
                    for s in 0..<S where pad[s] == 0 { dx[nc * S + s] += dz[nc] / kept }
                }
            }
            return
        }
        for nc in 0 ..< pass.rows * channels {
            if isMax {
                dx[nc * S + Int(io.argmax![nc])] += dz[nc]
            } else {
                for s in 0..<S { dx[nc * S + s] += dz[nc] / Float(S) }
            }
        }
    }

    /// Positions of one sample that are not padding, at least 1 (all padding: a mean of 0).
    static func kept(_ pad: UnsafePointer<Float>, _ S: Int) -> Float {
        var kept: Float = 0
        for s in 0..<S where pad[s] == 0 { kept += 1 }
        return max(kept, 1)
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        if let index = skipsPadding {
            // Σ x·keep / max(Σ keep, 1), keep [B, 1, L] = 1 where the token is not padding.
            let padded = graph.node("Equal", [graph.modelInput, graph.floats([Float(index)], shape: [])])
            let keep = graph.node("Reshape", [graph.node("Where", [padded, graph.floats([0], shape: []), graph.floats([1], shape: [])]),
                                              graph.int64s([-1, 1, Int64(spatial)])])
            let sum = graph.node("ReduceSum", [graph.node("Mul", [inputs[0], keep]), graph.int64s([2])], [.int("keepdims", 0)])
            let kept = graph.node("Max", [graph.node("ReduceSum", [keep, graph.int64s([2])], [.int("keepdims", 0)]), graph.floats([1], shape: [])])
            return graph.node("Div", [sum, kept])
        }
        return graph.node(isMax ? "ReduceMax" : "ReduceMean", [inputs[0]], [.ints("axes", Array(2 ..< layer.inputShape.count + 1)), .int("keepdims", 0)])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "GlobalPool(\(Python.string(isMax ? "max" : "avg")), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class GlobalPool(Layer):
            def __init__(self, kind, activation):
                super().__init__(activation)
                self.kind = kind

            def forward(self, x, padding=None):
                """padding: [N, L], True where the position's token is the embedding's padding_index."""
                flat = x.flatten(2)
                if padding is not None:
                    keep = (~padding).to(flat.dtype).unsqueeze(1)
                    return self.activate((flat * keep).sum(2) / keep.sum(2).clamp(min=1))
                return self.activate(flat.amax(2) if self.kind == "max" else flat.mean(2))
        """#
}
