// conv1d and conv2d: convolution over [C, L] or [C, H, W] (NCHW), weight [F, C/groups, k...] and bias [F]
// as torch.nn.Conv1d/Conv2d. A 1-d convolution runs as a 2-d one with height 1 (Kernels/ConvolutionKernel.swift).

/// A convolution's geometry; a 1-d one is stored as 2-d with height 1.
/// Shapes per sample: input [C_in, H, W], output [C_out, H_out, W_out], weight [C_out, C_in/groups, kh, kw].

import DNNSyntax

public struct Convolution: LayerOp, Equatable {
    public var inChannels: Int
    public var outChannels: Int
    public var input: (h: Int, w: Int)
    public var output: (h: Int, w: Int)
    public var kernel: (h: Int, w: Int)
    public var stride: (h: Int, w: Int)
    /// Zeros added before the first row/column (after the last comes from the output size).
    public var padding: (h: Int, w: Int)
    public var dilation: (h: Int, w: Int)
    public var groups: Int
    public var hasBias: Bool
    /// conv1d: weights are saved as [C_out, C_in/groups, k].
    public var oneDimensional: Bool

    /// The zeros after the last row and column that the output's last window reaches (never negative;
    /// `same` with an even span puts one more after than before).
    public var paddingAfter: (h: Int, w: Int) {
        func after(_ input: Int, _ output: Int, _ k: Int, _ s: Int, _ d: Int, _ before: Int) -> Int {
            max(0, (output - 1) * s + d * (k - 1) + 1 - input - before)
        }
        return (after(input.h, output.h, kernel.h, stride.h, dilation.h, padding.h),
                after(input.w, output.w, kernel.w, stride.w, dilation.w, padding.w))
    }

    public static func == (a: Convolution, b: Convolution) -> Bool {
        a.inChannels == b.inChannels && a.outChannels == b.outChannels && a.input == b.input && a.output == b.output
            && a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.dilation == b.dilation
            && a.groups == b.groups && a.hasBias == b.hasBias && a.oneDimensional == b.oneDimensional
    }

    static func kind(_ name: String, _ shape: String) -> ChoiceKind {
        ChoiceKind(name: name, params: [
            .required("filters", .integer(.size), "output channels"),
            .required("kernel", .dims(.size), "kernel size, one number or one per spatial dimension"),
            .optional("stride", .dims(.size), default: .int(1), "step between kernel positions"),
            .optional("padding", Language.paddingType, default: .word("valid"),
                      "valid (none), same (output size = ceil(input / stride), stride 1 only as in PyTorch), or zeros per side"),
            .optional("dilation", .dims(.size), default: .int(1), "spacing between kernel elements"),
            .optional("groups", .integer(.size), default: .int(1), "input and output channels split into groups"),
            Language.activationField, Language.nameField, Language.inputsField, Language.weightsField, Language.biasField,
            Language.l1Field, Language.l2Field,
        ], doc: "convolution over \(shape) (NCHW layout); weight [filters, in/groups, kernel...], as PyTorch")
    }

    public static let kinds = [kind("conv1d", "[channels, length]"), kind("conv2d", "[channels, height, width]")]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let choice = layer.choice, name = layer.name, shape = layer.shape
        let spatial = choice.kind == "conv1d" ? 1 : 2
        guard shape.count == spatial + 1 else {
            return layer.fail("\(choice.kind) `\(name)` takes [channels, \(spatial == 1 ? "length" : "height, width")] per sample, but its input has shape \(shape)",
                              help: spatial == 2 ? "make model.input [channels, height, width], e.g. [1, 8, 8]" : "make model.input [channels, length]")
        }
        guard let kernel = layer.dims("kernel", count: spatial, default: 1), let stride = layer.dims("stride", count: spatial, default: 1),
              let dilation = layer.dims("dilation", count: spatial, default: 1) else { return nil }
        let C = shape[0], F = choice["filters"]!.int!, groups = choice["groups"]!.int!
        guard C % groups == 0, F % groups == 0 else {
            return layer.fail("\(choice.kind) `\(name)` has groups \(groups), which must divide its \(C) input channels and \(F) filters",
                              at: choice["groups"]!.range)
        }
        let sizes = Array(shape.dropFirst())
        var before = [Int](repeating: 0, count: spatial), after = before
        if let word = choice["padding"]?.string {
            if word == "same" {
                guard stride.allSatisfy({ $0 == 1 }) else {
                    return layer.fail("padding `same` needs stride 1, as in PyTorch", at: choice["padding"]!.range,
                                      help: "use padding: N with stride \(stride)")
                }
                for d in 0..<spatial {
                    let total = dilation[d] * (kernel[d] - 1)
                    before[d] = total / 2
                    after[d] = total - total / 2
                }
            }
        } else if let pad = layer.dims("padding", count: spatial, default: 0) {
            before = pad
            after = pad
        } else {
            return nil
        }
        var out: [Int] = []
        for d in 0..<spatial {
            let span = dilation[d] * (kernel[d] - 1) + 1
            let padded = sizes[d] + before[d] + after[d]
            guard padded >= span else {
                return layer.fail("the kernel of \(choice.kind) `\(name)` spans \(span) positions, more than its input's \(padded) (padding included)",
                                  at: choice["kernel"]!.range, help: "use a smaller kernel or more padding")
            }
            out.append((padded - span) / stride[d] + 1)
        }
        // conv1d runs as conv2d with height 1: sizes get h 1, paddings h 0.
        let twoD = { (v: [Int]) in spatial == 1 ? (h: 1, w: v[0]) : (h: v[0], w: v[1]) }
        let twoDPadding = { (v: [Int]) in spatial == 1 ? (h: 0, w: v[0]) : (h: v[0], w: v[1]) }
        let receptive = kernel.reduce(1, *)
        var parameters = [layer.parameter("weight", .weight, [F, C / groups] + kernel, layer.weightInitializer(),
                                          fanIn: C / groups * receptive, fanOut: F * receptive)]
        let bias = layer.biasInitializer()
        if let bias { parameters.append(layer.parameter("bias", .bias, [F], bias, fanIn: C / groups * receptive, fanOut: F * receptive)) }
        let op = Convolution(inChannels: C, outChannels: F, input: twoD(sizes), output: twoD(out), kernel: twoD(kernel),
                             stride: twoD(stride), padding: twoDPadding(before), dilation: twoD(dilation), groups: groups,
                             hasBias: bias != nil, oneDimensional: spatial == 1)
        return LoweredLayer(op, output: [F] + out, parameters: parameters, width: choice["filters"]!.range)
    }

    public var fingerprint: String { 
        "conv(DNNCore.Convolution(inChannels: \(inChannels), outChannels: \(outChannels), input: \(fingerprintPair(input)), "
            + "output: \(fingerprintPair(output)), kernel: \(fingerprintPair(kernel)), stride: \(fingerprintPair(stride)), "
            + "padding: \(fingerprintPair(padding)), dilation: \(fingerprintPair(dilation)), groups: \(groups), hasBias: \(hasBias), "
            + "oneDimensional: \(oneDimensional)))"
     }
    public var name: String { oneDimensional ? "conv1d" : "conv2d" }
    public var facts: OpFacts { OpFacts(mixesThroughWeights: true, readsChannelsFirst: true) }

    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers {
        OpBuffers(columns: FastConvolutionKernel.scratchSize(self), partial: FastConvolutionKernel.partialSize(self))
    }

    public func multiplyAdds(_ layer: Layer) -> Int {
        outChannels * output.h * output.w * (inChannels / groups) * kernel.h * kernel.w
    }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        FastConvolutionKernel.forward(self, x: io.x, w: io.weight!, b: io.bias.map { UnsafePointer($0) }, z: io.z, B: pass.rows,
                                      cols: pass.columns, threads: pass.threads)
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        FastConvolutionKernel.backward(self, x: io.x, w: io.weight!, dz: dz, dw: io.dweight!, db: io.dbias, dx: io.dx, B: pass.rows,
                                       cols: pass.columns, dcols: pass.columnGradients, partial: pass.partial, threads: pass.threads)
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        var operands = [inputs[0], "\(layer.name).weight"]
        if hasBias { operands.append("\(layer.name).bias") }
        let after = paddingAfter
        return graph.node("Conv", operands, [
            .ints("kernel_shape", spatial(kernel)), .ints("strides", spatial(stride)), .ints("dilations", spatial(dilation)),
            .ints("pads", spatial(padding) + spatial(after)), .int("group", groups),
        ])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        func list(_ v: (h: Int, w: Int)) -> String { "[" + spatial(v).map(String.init).joined(separator: ", ") + "]" }
        return "Conv(\(inChannels), \(outChannels), kernel=\(list(kernel)), stride=\(list(stride)), pad_before=\(list(padding)), "
            + "pad_after=\(list(paddingAfter)), dilation=\(list(dilation)), groups=\(groups), bias=\(Python.bool(hasBias)), activation=\(activation))"
    }

    /// A per-dimension size as the spec's dimensions: [w] for conv1d, [h, w] for conv2d.
    func spatial(_ v: (h: Int, w: Int)) -> [Int] { oneDimensional ? [v.w] : [v.h, v.w] }

    public static let pythonClass = #"""
        class Conv(Layer):
            """conv1d or conv2d; padding before and after may differ (`same` with an even kernel)."""

            def __init__(self, channels, filters, kernel, stride, pad_before, pad_after, dilation, groups, bias, activation):
                super().__init__(activation)
                self.weight = nn.Parameter(torch.zeros(filters, channels // groups, *kernel))
                self.bias = nn.Parameter(torch.zeros(filters)) if bias else None
                self.stride, self.dilation, self.groups = stride, dilation, groups
                self.pad = []
                for before, after in reversed(list(zip(pad_before, pad_after))):
                    self.pad += [before, after]

            def forward(self, x):
                if any(self.pad):
                    x = F.pad(x, self.pad)
                conv = F.conv1d if len(self.stride) == 1 else F.conv2d
                return self.activate(conv(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups))
        """#
}
