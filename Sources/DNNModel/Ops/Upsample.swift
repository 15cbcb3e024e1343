// upsample: [C, H, W] → [C, H·sh, W·sw], as torch.nn.Upsample(scale_factor, mode, align_corners=False).
// nearest: output (p, q) reads input (⌊p/sh⌋, ⌊q/sw⌋). bilinear: output p reads the input at
// src = (p + 0.5)/sh − 0.5 (0 where negative), between rows ⌊src⌋ and the next (the last row stands
// for both at the edge), weighted by the distances, and likewise along the width.

import DNNSyntax

public struct Upsample: LayerOp, Equatable {
    public var bilinear: Bool
    public var channels: Int
    public var input: (h: Int, w: Int)
    public var scale: (h: Int, w: Int)
    /// Per output row and column: the two input rows (columns) it reads and the second one's weight.
    var rows: [(Int, Int, Float)]
    var columns: [(Int, Int, Float)]

    public static func == (a: Upsample, b: Upsample) -> Bool {
        a.bilinear == b.bilinear && a.channels == b.channels && a.input == b.input && a.scale == b.scale
    }

    public static let kinds = [
        ChoiceKind(name: "upsample", params: [
            .required("scale", .dims(.size), "the factor of the height and width, one number or one each"),
            .optional("mode", .word(["nearest", "bilinear"]), default: .word("nearest"), "nearest copies each value; bilinear interpolates (align_corners false)"),
            Language.activationField, Language.nameField, Language.inputsField,
        ], doc: "[channels, height, width] → [channels, height·scale, width·scale], as torch.nn.Upsample with align_corners false"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let shape = layer.shape
        guard shape.count == 3 else {
            return layer.fail("upsample `\(layer.name)` takes [channels, height, width] per sample, but its input has shape \(shape)")
        }
        guard let scale = layer.dims("scale", count: 2, default: 1) else { return nil }
        let bilinear = layer.choice["mode"]?.string == "bilinear"
        let output = [shape[0], shape[1] * scale[0], shape[2] * scale[1]]
        guard layer.checkSizes([], output: output) else { return nil }
        let op = Upsample(bilinear: bilinear, channels: shape[0], input: (shape[1], shape[2]), scale: (scale[0], scale[1]),
                          rows: taps(input: shape[1], scale: scale[0], bilinear: bilinear),
                          columns: taps(input: shape[2], scale: scale[1], bilinear: bilinear))
        return LoweredLayer(op, output: output)
    }

    /// PyTorch's source index per output position (area_pixel_compute_source_index, align_corners false,
    /// with the scale given) and its neighbour.
    static func taps(input: Int, scale: Int, bilinear: Bool) -> [(Int, Int, Float)] {
        (0 ..< input * scale).map { p in
            guard bilinear else { return (p / scale, p / scale, 0) }
            let source = max(Float(1) / Float(scale) * (Float(p) + 0.5) - 0.5, 0)
            let low = min(Int(source), input - 1)
            let high = low < input - 1 ? low + 1 : low
            return (low, high, source - Float(low))
        }
    }

    public var fingerprint: String { "upsample(bilinear: \(bilinear), channels: \(channels), input: \(fingerprintPair(input)), scale: \(fingerprintPair(scale)))" }
    public var name: String { "upsample" }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let (H, W) = input, P = H * scale.h, Q = W * scale.w, x = io.x, z = io.z
        for plane in 0 ..< pass.rows * channels {
            let xp = x + plane * H * W, zp = z + plane * P * Q
            for p in 0..<P {
                let (r0, r1, lr) = rows[p]
                for q in 0..<Q {
                    let (c0, c1, lc) = columns[q]
                    if bilinear {
                        let top = (1 - lc) * xp[r0 * W + c0] + lc * xp[r0 * W + c1]
                        let bottom = (1 - lc) * xp[r1 * W + c0] + lc * xp[r1 * W + c1]
                        zp[p * Q + q] = (1 - lr) * top + lr * bottom
                    } else {
                        zp[p * Q + q] = xp[r0 * W + c0]
                    }
                }
            }
        }
    }

    /// Each output's gradient goes back to the inputs it read, with the weights it read them by.
    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        guard let dx = io.dx else { return }
        let (H, W) = input, P = H * scale.h, Q = W * scale.w
        for plane in 0 ..< pass.rows * channels {
            let dxp = dx + plane * H * W, dzp = dz + plane * P * Q
            for p in 0..<P {
                let (r0, r1, lr) = rows[p]
                for q in 0..<Q {
                    let (c0, c1, lc) = columns[q], g = dzp[p * Q + q]
                    if bilinear {
                        dxp[r0 * W + c0] += (1 - lr) * (1 - lc) * g
                        dxp[r0 * W + c1] += (1 - lr) * lc * g
                        dxp[r1 * W + c0] += lr * (1 - lc) * g
                        dxp[r1 * W + c1] += lr * lc * g
                    } else {
                        dxp[r0 * W + c0] += g
                    }
                }
            }
        }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        let scales = graph.floats([1, 1, Float(scale.h), Float(scale.w)], shape: [4])
        // PyTorch's nearest is ONNX's asymmetric floor; its bilinear with align_corners false is pytorch_half_pixel.
        let attributes: [ONNXAttribute] = bilinear
            ? [.string("mode", "linear"), .string("coordinate_transformation_mode", "pytorch_half_pixel")]
            : [.string("mode", "nearest"), .string("coordinate_transformation_mode", "asymmetric"), .string("nearest_mode", "floor")]
        return graph.node("Resize", [inputs[0], "", scales], attributes)
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "Upsample((\(scale.h), \(scale.w)), \(Python.string(bilinear ? "bilinear" : "nearest")), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class Upsample(Layer):
            def __init__(self, scale, mode, activation):
                super().__init__(activation)
                self.scale, self.mode = scale, mode

            def forward(self, x):
                aligned = {} if self.mode == "nearest" else {"align_corners": False}
                return self.activate(F.interpolate(x, scale_factor=self.scale, mode=self.mode, **aligned))
        """#
}
