// maxpool2d and avgpool2d over [C, H, W]: the largest value or the mean of each window, with padding on
// every side (max pads with −∞, average counts the zeros, as PyTorch's defaults). Kernels in
// Kernels/ConvolutionKernel.swift (PoolingKernel).

public struct Pooling: LayerOp, Equatable {
    public var isMax: Bool
    public var channels: Int
    public var input: (h: Int, w: Int)
    public var output: (h: Int, w: Int)
    public var size: (h: Int, w: Int)
    public var stride: (h: Int, w: Int)
    public var padding: (h: Int, w: Int)

    public static func == (a: Pooling, b: Pooling) -> Bool {
        a.isMax == b.isMax && a.channels == b.channels && a.input == b.input && a.output == b.output
            && a.size == b.size && a.stride == b.stride && a.padding == b.padding
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
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let choice = layer.choice, name = layer.name, shape = layer.shape
        guard shape.count == 3 else {
            return layer.fail("\(choice.kind) `\(name)` takes [channels, height, width] per sample, but its input has shape \(shape)")
        }
        guard let size = layer.dims("size", count: 2, default: 1), let padding = layer.dims("padding", count: 2, default: 0),
              let stride = choice["stride"] == nil ? size : layer.dims("stride", count: 2, default: 1) else { return nil }
        var out: [Int] = []
        for d in 0..<2 {
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
        let op = Pooling(isMax: choice.kind == "maxpool2d", channels: shape[0], input: (shape[1], shape[2]), output: (out[0], out[1]),
                         size: (size[0], size[1]), stride: (stride[0], stride[1]), padding: (padding[0], padding[1]))
        return LoweredLayer(op, output: [shape[0]] + out)
    }

    public var name: String { isMax ? "maxpool2d" : "avgpool2d" }

    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers { OpBuffers(argmax: capacity * layer.outputSize) }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        PoolingKernel.forward(self, x: io.x, z: io.z, argmax: io.argmax!, B: pass.rows, threads: pass.threads)
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        if let dx = io.dx { PoolingKernel.backward(self, dz: dz, argmax: io.argmax!, dx: dx, B: pass.rows) }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        var attributes: [ONNXAttribute] = [.ints("kernel_shape", [size.h, size.w]), .ints("strides", [stride.h, stride.w]),
                                           .ints("pads", [padding.h, padding.w, padding.h, padding.w])]
        // PyTorch's average counts the padding zeros (count_include_pad=True), as dnnc's does.
        if !isMax { attributes.append(.int("count_include_pad", 1)) }
        return graph.node(isMax ? "MaxPool" : "AveragePool", [inputs[0]], attributes)
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "Pool(\(isMax ? "\"max\"" : "\"avg\""), size=(\(size.h), \(size.w)), stride=(\(stride.h), \(stride.w)), "
            + "padding=(\(padding.h), \(padding.w)), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class Pool(Layer):
            def __init__(self, kind, size, stride, padding, activation):
                super().__init__(activation)
                self.kind, self.size, self.stride, self.padding = kind, size, stride, padding

            def forward(self, x):
                if self.kind == "max":
                    return self.activate(F.max_pool2d(x, self.size, self.stride, self.padding))
                return self.activate(F.avg_pool2d(x, self.size, self.stride, self.padding, count_include_pad=True))
        """#
}
