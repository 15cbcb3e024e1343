// maxpool2d and avgpool2d over [C, H, W], maxpool1d and avgpool1d over [C, L]: the largest value or the
// mean of each window, with padding on every side (max pads with −∞, average counts the zeros, as
// PyTorch's defaults). A 1-d pooling runs as a 2-d one with height 1. Kernels in
// Kernels/ConvolutionKernel.swift (PoolingKernel).

import DNNSyntax

public struct Pooling: LayerOp, Equatable {
    public var isMax: Bool
    public var channels: Int
    public var input: (h: Int, w: Int)
    public var output: (h: Int, w: Int)
    public var size: (h: Int, w: Int)
    public var stride: (h: Int, w: Int)
    public var padding: (h: Int, w: Int)
    /// maxpool1d, avgpool1d: [C, L], run with height 1.
    public var oneDimensional = false

    public static func == (a: Pooling, b: Pooling) -> Bool {
        a.isMax == b.isMax && a.channels == b.channels && a.input == b.input && a.output == b.output
            && a.size == b.size && a.stride == b.stride && a.padding == b.padding && a.oneDimensional == b.oneDimensional
    }

    static func kind(_ name: String, _ doc: String) -> ChoiceKind {
        ChoiceKind(name: name, params: [
            .required("size", .dims(.size), "window size"),
            .optional("stride", .dims(.size), default: .contextual("size"), "step between windows"),
            .optional("padding", .dims(.padding), default: .int(0), "padding on every side"),
            Language.nameField, Language.inputsField,
        ], doc: doc)
    }

    public static let kinds = [
        kind("maxpool2d", "the largest value of each window of [channels, height, width]; padding counts as −∞"),
        kind("avgpool2d", "the mean of each window of [channels, height, width]; padding counts as 0 (PyTorch's count_include_pad)"),
        kind("maxpool1d", "the largest value of each window of [channels, length]; padding counts as −∞"),
        kind("avgpool1d", "the mean of each window of [channels, length]; padding counts as 0 (PyTorch's count_include_pad)"),
    ]

    /// Only the 1-d kinds can read a [length, features] sample (the 2-d ones need three axes).
    public var facts: OpFacts { OpFacts(readsChannelsFirst: true) }

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let choice = layer.choice, name = layer.name, shape = layer.shape
        let spatial = choice.kind.hasSuffix("1d") ? 1 : 2
        guard shape.count == spatial + 1 else {
            return layer.fail("\(choice.kind) `\(name)` takes [channels, \(spatial == 1 ? "length" : "height, width")] per sample, but its input has shape \(shape)",
                              help: spatial == 1 ? "give it [channels, length]: a reshape adds a channel axis, a permute turns [length, features] into [features, length]" : nil)
        }
        guard let size = layer.dims("size", count: spatial, default: 1), let padding = layer.dims("padding", count: spatial, default: 0),
              let stride = choice["stride"] == nil ? size : layer.dims("stride", count: spatial, default: 1) else { return nil }
        var out: [Int] = []
        for d in 0..<spatial {
            guard padding[d] * 2 <= size[d] else {
                return layer.fail("padding \(padding[d]) of `\(name)` is more than half its window \(size[d]), which PyTorch refuses",
                                  at: choice["padding"]!.range)
            }
            let padded = shape[d + 1] + 2 * padding[d]
            guard padded >= size[d] else {
                return layer.fail("the window of `\(name)` (\(size[d])) is larger than its input (\(padded))", at: choice["size"]!.range)
            }
            out.append((padded - size[d]) / stride[d] + 1)
        }
        // A 1-d pooling runs with height 1: sizes get h 1, paddings h 0.
        let twoD = { (v: [Int], h: Int) in spatial == 1 ? (h: h, w: v[0]) : (h: v[0], w: v[1]) }
        let op = Pooling(isMax: choice.kind.hasPrefix("max"), channels: shape[0], input: twoD(Array(shape.dropFirst()), 1),
                         output: twoD(out, 1), size: twoD(size, 1), stride: twoD(stride, 1), padding: twoD(padding, 0),
                         oneDimensional: spatial == 1)
        return LoweredLayer(op, output: [shape[0]] + out)
    }

    public var fingerprint: String { 
        let fields = "isMax: \(isMax), channels: \(channels), input: \(fingerprintPair(input)), output: \(fingerprintPair(output)), "
            + "size: \(fingerprintPair(size)), stride: \(fingerprintPair(stride)), padding: \(fingerprintPair(padding))"
        return oneDimensional ? "pool1d(\(fields))" : "pool(DNNCore.Pooling(\(fields)))"
     }
    public var name: String { (isMax ? "maxpool" : "avgpool") + (oneDimensional ? "1d" : "2d") }

    /// A per-dimension size as the spec's dimensions: [w] for 1-d, [h, w] for 2-d.
    func spatial(_ v: (h: Int, w: Int)) -> [Int] { oneDimensional ? [v.w] : [v.h, v.w] }

    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers { OpBuffers(argmax: capacity * layer.outputSize) }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        PoolingKernel.forward(self, x: io.x, z: io.z, argmax: io.argmax!, B: pass.rows, threads: pass.threads)
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        if let dx = io.dx { PoolingKernel.backward(self, dz: dz, argmax: io.argmax!, dx: dx, B: pass.rows) }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        var attributes: [ONNXAttribute] = [.ints("kernel_shape", spatial(size)), .ints("strides", spatial(stride)),
                                           .ints("pads", spatial(padding) + spatial(padding))]
        // PyTorch's average counts the padding zeros (count_include_pad=True), as dnnc's does.
        if !isMax { attributes.append(.int("count_include_pad", 1)) }
        return graph.node(isMax ? "MaxPool" : "AveragePool", [inputs[0]], attributes)
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "Pool(\(isMax ? "\"max\"" : "\"avg\""), size=\(Python.tuple(spatial(size))), stride=\(Python.tuple(spatial(stride))), "
            + "padding=\(Python.tuple(spatial(padding))), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class Pool(Layer):
            def __init__(self, kind, size, stride, padding, activation):
                super().__init__(activation)
                self.kind, self.size, self.stride, self.padding = kind, size, stride, padding

            def forward(self, x):
                one = len(self.size) == 1
                if self.kind == "max":
                    pool = F.max_pool1d if one else F.max_pool2d
                    return self.activate(pool(x, self.size, self.stride, self.padding))
                pool = F.avg_pool1d if one else F.avg_pool2d
                return self.activate(pool(x, self.size, self.stride, self.padding, count_include_pad=True))
        """#
}
