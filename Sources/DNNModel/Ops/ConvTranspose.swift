// conv_transpose2d: the transpose (gradient) of a 2-d convolution, as torch.nn.ConvTranspose2d
// (dilation 1). Shape letters: C input channels, H×W input, F filters, P×Q output, G groups; weight
// [C, F/G, KH, KW], bias [F]. Input (c, i, j) adds x·w[c, f, a, b] into output (f, i·SH − PH + a,
// j·SW − PW + b) for the filters f of c's group; P = (H − 1)·SH − 2·PH + KH + OPH.

import DNNSyntax

public struct ConvTranspose: LayerOp, Equatable {
    public var inChannels: Int
    public var outChannels: Int
    public var input: (h: Int, w: Int)
    public var output: (h: Int, w: Int)
    public var kernel: (h: Int, w: Int)
    public var stride: (h: Int, w: Int)
    public var padding: (h: Int, w: Int)
    public var outputPadding: (h: Int, w: Int)
    public var groups: Int
    public var hasBias: Bool

    public static func == (a: ConvTranspose, b: ConvTranspose) -> Bool {
        a.inChannels == b.inChannels && a.outChannels == b.outChannels && a.input == b.input && a.output == b.output
            && a.kernel == b.kernel && a.stride == b.stride && a.padding == b.padding && a.outputPadding == b.outputPadding
            && a.groups == b.groups && a.hasBias == b.hasBias
    }

    public static let kinds = [
        ChoiceKind(name: "conv_transpose2d", params: [
            .required("filters", .integer(.size), "output channels"),
            .required("kernel", .dims(.size), "kernel size, one number or one per spatial dimension"),
            .optional("stride", .dims(.size), default: .int(1), "the output's step per input position"),
            .optional("padding", .dims(.padding), default: .int(0), "rows and columns removed from each side of the output"),
            .optional("output_padding", .dims(.padding), default: .int(0), "rows and columns added after the output's last (less than stride)"),
            .optional("groups", .integer(.size), default: .int(1), "input and output channels split into groups"),
            Language.activationField, Language.nameField, Language.inputsField, Language.weightsField, Language.biasField,
            Language.l1Field, Language.l2Field,
        ], doc: "transposed convolution over [channels, height, width]: output size (in − 1)·stride − 2·padding + kernel + output_padding; weight [in, filters/groups, kernel...], as torch.nn.ConvTranspose2d"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let choice = layer.choice, name = layer.name, shape = layer.shape
        guard shape.count == 3 else {
            return layer.fail("conv_transpose2d `\(name)` takes [channels, height, width] per sample, but its input has shape \(shape)")
        }
        guard let kernel = layer.dims("kernel", count: 2, default: 1), let stride = layer.dims("stride", count: 2, default: 1),
              let padding = layer.dims("padding", count: 2, default: 0),
              let extra = layer.dims("output_padding", count: 2, default: 0) else { return nil }
        let C = shape[0], F = choice["filters"]!.int!, groups = choice["groups"]!.int!
        guard C % groups == 0, F % groups == 0 else {
            return layer.fail("conv_transpose2d `\(name)` has groups \(groups), which must divide its \(C) input channels and \(F) filters",
                              at: choice["groups"]!.range)
        }
        var out: [Int] = []
        for d in 0..<2 {
            guard extra[d] < stride[d] else {
                return layer.fail("output_padding \(extra[d]) of `\(name)` must be less than its stride \(stride[d]), as PyTorch requires",
                                  at: choice["output_padding"]!.range, help: "use an output_padding from 0 to \(stride[d] - 1)")
            }
            let size = (shape[d + 1] - 1) * stride[d] - 2 * padding[d] + kernel[d] + extra[d]
            guard size >= 1 else {
                return layer.fail("conv_transpose2d `\(name)` gives an empty output: padding \(padding[d]) removes more than its \((shape[d + 1] - 1) * stride[d] + kernel[d] + extra[d]) positions",
                                  at: choice["padding"]!.range, help: "use less padding")
            }
            out.append(size)
        }
        let receptive = kernel[0] * kernel[1]
        // PyTorch's fans for a weight [C, F/G, k...]: fan_in from its second dimension, fan_out from its first.
        var parameters = [layer.parameter("weight", .weight, [C, F / groups] + kernel, layer.weightInitializer(),
                                          fanIn: F / groups * receptive, fanOut: C * receptive)]
        let bias = layer.biasInitializer()
        if let bias { parameters.append(layer.parameter("bias", .bias, [F], bias, fanIn: F / groups * receptive, fanOut: C * receptive)) }
        let op = ConvTranspose(inChannels: C, outChannels: F, input: (shape[1], shape[2]), output: (out[0], out[1]),
                               kernel: (kernel[0], kernel[1]), stride: (stride[0], stride[1]), padding: (padding[0], padding[1]),
                               outputPadding: (extra[0], extra[1]), groups: groups, hasBias: bias != nil)
        return LoweredLayer(op, output: [F] + out, parameters: parameters, width: choice["filters"]!.range)
    }

    public var fingerprint: String { 
        "convTranspose2d(inChannels: \(inChannels), outChannels: \(outChannels), input: \(fingerprintPair(input)), "
            + "output: \(fingerprintPair(output)), kernel: \(fingerprintPair(kernel)), stride: \(fingerprintPair(stride)), "
            + "padding: \(fingerprintPair(padding)), outputPadding: \(fingerprintPair(outputPadding)), groups: \(groups), hasBias: \(hasBias))"
     }
    public var name: String { "conv_transpose2d" }
    public var facts: OpFacts { OpFacts(mixesThroughWeights: true) }

    public func multiplyAdds(_ layer: Layer) -> Int {
        inChannels * input.h * input.w * (outChannels / groups) * kernel.h * kernel.w
    }

    /// Calls body(n, c, i, j, f, a, b, out) for every input position, filter of its group and kernel
    /// tap that lands inside the output, `out` being the output's index.
    @inline(__always)
    func forEachTap(rows B: Int, _ body: (_ input: Int, _ weight: Int, _ output: Int) -> Void) {
        let (C, H, W, F, P, Q) = (inChannels, input.h, input.w, outChannels, output.h, output.w)
        let cg = C / groups, fg = F / groups, K = kernel
        for n in 0..<B {
            for c in 0..<C {
                let group = c / cg
                for i in 0..<H {
                    for j in 0..<W {
                        let x = ((n * C + c) * H + i) * W + j
                        for f in 0..<fg {
                            let filter = group * fg + f
                            for a in 0..<K.h {
                                let p = i * stride.h - padding.h + a
                                if p < 0 || p >= P { continue }
                                for b in 0..<K.w {
                                    let q = j * stride.w - padding.w + b
                                    if q < 0 || q >= Q { continue }
                                    body(x, ((c * fg + f) * K.h + a) * K.w + b, ((n * F + filter) * P + p) * Q + q)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let z = io.z, x = io.x, w = io.weight!, PQ = output.h * output.w
        for n in 0 ..< pass.rows {
            for f in 0..<outChannels {
                let bias = io.bias?[f] ?? 0
                for k in 0..<PQ { z[(n * outChannels + f) * PQ + k] = bias }
            }
        }
        forEachTap(rows: pass.rows) { xi, wi, zi in z[zi] += x[xi] * w[wi] }
    }

    /// dw += Σ x·dz, db += Σ dz, dx += Σ w·dz over the same taps.
    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        let x = io.x, w = io.weight!, dw = io.dweight!, dx = io.dx, PQ = output.h * output.w
        if let db = io.dbias {
            for n in 0 ..< pass.rows {
                for f in 0..<outChannels { for k in 0..<PQ { db[f] += dz[(n * outChannels + f) * PQ + k] } }
            }
        }
        forEachTap(rows: pass.rows) { xi, wi, zi in
            dw[wi] += x[xi] * dz[zi]
            dx?[xi] += w[wi] * dz[zi]
        }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        var operands = [inputs[0], "\(layer.name).weight"]
        if hasBias { operands.append("\(layer.name).bias") }
        return graph.node("ConvTranspose", operands, [
            .ints("kernel_shape", [kernel.h, kernel.w]), .ints("strides", [stride.h, stride.w]),
            .ints("pads", [padding.h, padding.w, padding.h, padding.w]), .ints("output_padding", [outputPadding.h, outputPadding.w]),
            .int("group", groups),
        ])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "ConvTranspose(\(inChannels), \(outChannels), kernel=(\(kernel.h), \(kernel.w)), stride=(\(stride.h), \(stride.w)), "
            + "padding=(\(padding.h), \(padding.w)), output_padding=(\(outputPadding.h), \(outputPadding.w)), groups=\(groups), "
            + "bias=\(Python.bool(hasBias)), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class ConvTranspose(Layer):
            def __init__(self, channels, filters, kernel, stride, padding, output_padding, groups, bias, activation):
                super().__init__(activation)
                self.weight = nn.Parameter(torch.zeros(channels, filters // groups, *kernel))
                self.bias = nn.Parameter(torch.zeros(filters)) if bias else None
                self.stride, self.padding, self.output_padding, self.groups = stride, padding, output_padding, groups

            def forward(self, x):
                return self.activate(F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                                        self.output_padding, self.groups))
        """#
}
