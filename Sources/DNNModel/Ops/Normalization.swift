// batchnorm and layernorm: normalization with a learnable scale (weight) and shift (bias), kernels in
// Kernels/NormalizationKernel.swift. batchnorm keeps running statistics (running_mean, running_var) that it
// updates itself in training and uses in evaluation, as torch.nn.BatchNorm1d/2d.

/// Over channels (the first dimension of a sample), normalizing over the batch and the other dimensions.

import DNNSyntax

public struct BatchNorm: LayerOp, Equatable {
    public var channels: Int
    /// Values per channel of one sample.
    public var spatial: Int
    public var momentum: Float
    public var eps: Float

    public static let kinds = [
        ChoiceKind(name: "batchnorm", params: [
            .optional("momentum", .number(Bounds(min: 0, max: 1)), default: .number(0.1), "weight of the batch in the running statistics (PyTorch's convention)"),
            .optional("eps", .number(.positive), default: .number(1e-5), "added to the variance"),
            Language.nameField, Language.inputsField,
        ], doc: "normalizes each channel (feature, after dense) over the batch; running statistics in evaluation; saved as weight, bias, running_mean, running_var"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let shape = layer.shape, C = shape[0]
        let parameters = [layer.parameter("weight", .weight, [C], .ones, fanIn: 1, fanOut: 1),
                          layer.parameter("bias", .bias, [C], .zeros, fanIn: 1, fanOut: 1),
                          layer.parameter("running_mean", .runningMean, [C], .zeros, fanIn: 1, fanOut: 1),
                          layer.parameter("running_var", .runningVariance, [C], .ones, fanIn: 1, fanOut: 1)]
        let op = BatchNorm(channels: C, spatial: shape.dropFirst().reduce(1, *), momentum: Float(layer.choice["momentum"]!.double!),
                           eps: Float(layer.choice["eps"]!.double!))
        return LoweredLayer(op, output: shape, parameters: parameters)
    }

    public var fingerprint: String { "batchnorm(channels: \(channels), spatial: \(spatial), momentum: \(momentum), eps: \(eps))" }
    public var name: String { "batchnorm" }

    /// x̂ (B, S) and 1/σ per channel.
    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers { OpBuffers(saved: capacity * layer.outputSize, invstd: channels) }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        NormalizationKernel.batchnormForward(x: io.x, y: io.z, xhat: io.saved!, invstd: io.invstd!, weight: io.weight!, bias: io.bias!,
                                             runningMean: io.runningMean!, runningVar: io.runningVar!, B: pass.rows, C: channels,
                                             S: spatial, momentum: momentum, eps: eps, training: pass.training)
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        NormalizationKernel.batchnormBackward(dy: dz, xhat: io.saved!, invstd: io.invstd!, weight: io.weight!, dweight: io.dweight!,
                                              dbias: io.dbias!, dx: io.dx, B: pass.rows, C: channels, S: spatial)
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        let t = { (suffix: String) in "\(layer.name).\(suffix)" }
        return graph.node("BatchNormalization", [inputs[0], t("weight"), t("bias"), t("running_mean"), t("running_var")],
                          [.float("epsilon", eps)])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "BatchNorm(\(channels), momentum=\(Python.number(momentum)), eps=\(Python.number(eps)), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class BatchNorm(Layer):
            def __init__(self, channels, momentum, eps, activation):
                super().__init__(activation)
                self.weight = nn.Parameter(torch.ones(channels))
                self.bias = nn.Parameter(torch.zeros(channels))
                self.register_buffer("running_mean", torch.zeros(channels))
                self.register_buffer("running_var", torch.ones(channels))
                self.momentum, self.eps = momentum, eps

            def forward(self, x):
                return self.activate(F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                                  self.training, self.momentum, self.eps))
        """#
}

/// Over each sample's last dimension, with a learnable scale and shift per feature.
public struct LayerNorm: LayerOp, Equatable {
    public var features: Int
    public var eps: Float

    public static let kinds = [
        ChoiceKind(name: "layernorm", params: [
            .optional("eps", .number(.positive), default: .number(1e-5), "added to the variance"),
            Language.nameField, Language.inputsField,
        ], doc: "normalizes each sample over its last dimension, then a learnable scale and shift per feature"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let D = layer.shape.last!
        let parameters = [layer.parameter("weight", .weight, [D], .ones, fanIn: 1, fanOut: 1),
                          layer.parameter("bias", .bias, [D], .zeros, fanIn: 1, fanOut: 1)]
        return LoweredLayer(LayerNorm(features: D, eps: Float(layer.choice["eps"]!.double!)), output: layer.shape, parameters: parameters)
    }

    public var fingerprint: String { "layernorm(features: \(features), eps: \(eps))" }
    public var name: String { "layernorm" }
    public var facts: OpFacts { OpFacts(keepsLayout: true) }

    /// x̂ (B, S) and 1/σ per normalized row.
    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers {
        let values = capacity * layer.outputSize
        return OpBuffers(saved: values, invstd: values / features)
    }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        NormalizationKernel.layernormForward(x: io.x, y: io.z, xhat: io.saved!, invstd: io.invstd!, weight: io.weight!, bias: io.bias!,
                                             rows: pass.rows * io.size / features, D: features, eps: eps)
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        NormalizationKernel.layernormBackward(dy: dz, xhat: io.saved!, invstd: io.invstd!, weight: io.weight!, dweight: io.dweight!,
                                              dbias: io.dbias!, dx: io.dx, rows: pass.rows * io.size / features, D: features)
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        graph.node("LayerNormalization", [inputs[0], "\(layer.name).weight", "\(layer.name).bias"], [.int("axis", -1), .float("epsilon", eps)])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "LayerNorm(\(features), eps=\(Python.number(eps)), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class LayerNorm(Layer):
            def __init__(self, features, eps, activation):
                super().__init__(activation)
                self.weight = nn.Parameter(torch.ones(features))
                self.bias = nn.Parameter(torch.zeros(features))
                self.eps = eps

            def forward(self, x):
                return self.activate(F.layer_norm(x, (x.shape[-1],), self.weight, self.bias, self.eps))
        """#
}

/// Over groups of channels: each sample's channels split into `groups` groups, each normalized over its
/// channels and positions, then a learnable scale and shift per channel, as torch.nn.GroupNorm.
/// Shape letters: G groups, M = (C/G)·spatial values per group.
public struct GroupNorm: LayerOp, Equatable {
    public var groups: Int
    public var channels: Int
    /// Values per channel of one sample.
    public var spatial: Int
    public var eps: Float

    public static let kinds = [
        ChoiceKind(name: "groupnorm", params: [
            .required("groups", .integer(.size), "the number of groups; it divides the channels"),
            .optional("eps", .number(.positive), default: .number(1e-5), "added to the variance"),
            Language.nameField, Language.inputsField,
        ], doc: "normalizes each group of channels of a sample over its channels and positions, then a learnable scale and shift per channel; saved as weight and bias, as torch.nn.GroupNorm"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let shape = layer.shape, C = shape[0], written = layer.choice["groups"]!, G = written.int!
        guard C % G == 0 else {
            return layer.fail("groups \(G) of groupnorm `\(layer.name)` must divide its \(C) channels", at: written.range,
                              help: "use a divisor of \(C), e.g. \((1...C).last { C % $0 == 0 && $0 <= G } ?? 1)")
        }
        let parameters = [layer.parameter("weight", .weight, [C], .ones, fanIn: 1, fanOut: 1),
                          layer.parameter("bias", .bias, [C], .zeros, fanIn: 1, fanOut: 1)]
        let op = GroupNorm(groups: G, channels: C, spatial: shape.dropFirst().reduce(1, *), eps: Float(layer.choice["eps"]!.double!))
        return LoweredLayer(op, output: shape, parameters: parameters)
    }

    public var fingerprint: String { "groupnorm(groups: \(groups), channels: \(channels), spatial: \(spatial), eps: \(eps))" }
    public var name: String { "groupnorm" }

    /// x̂ (B, S) and 1/σ per sample and group.
    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers { OpBuffers(saved: capacity * layer.outputSize, invstd: capacity * groups) }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let M = channels / groups * spatial, x = io.x, y = io.z, xhat = io.saved!, invstd = io.invstd!
        for ng in 0 ..< pass.rows * groups {
            let base = ng * M
            var mean: Float = 0
            for k in 0..<M { mean += x[base + k] }
            mean /= Float(M)
            var variance: Float = 0
            for k in 0..<M { variance += (x[base + k] - mean) * (x[base + k] - mean) }
            let r = 1 / (variance / Float(M) + eps).squareRoot()
            invstd[ng] = r
            for k in 0..<M {
                let c = (ng % groups) * (channels / groups) + k / spatial
                xhat[base + k] = (x[base + k] - mean) * r
                y[base + k] = xhat[base + k] * io.weight![c] + io.bias![c]
            }
        }
    }

    /// dx = r/M·(M·g − Σg − x̂·Σ g·x̂) with g = dy·w per value, within each group.
    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        let M = channels / groups * spatial, xhat = io.saved!, invstd = io.invstd!, w = io.weight!
        let dw = io.dweight!, db = io.dbias!
        for ng in 0 ..< pass.rows * groups {
            let base = ng * M
            var sum: Float = 0, dot: Float = 0
            for k in 0..<M {
                let c = (ng % groups) * (channels / groups) + k / spatial
                let g = dz[base + k] * w[c]
                sum += g
                dot += g * xhat[base + k]
                dw[c] += dz[base + k] * xhat[base + k]
                db[c] += dz[base + k]
            }
            guard let dx = io.dx else { continue }
            let r = invstd[ng]
            for k in 0..<M {
                let c = (ng % groups) * (channels / groups) + k / spatial
                dx[base + k] += r / Float(M) * (Float(M) * dz[base + k] * w[c] - sum - xhat[base + k] * dot)
            }
        }
    }

    /// Opset 17 has no GroupNormalization: InstanceNormalization over [N, G, M], then the per-channel
    /// scale and shift.
    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        let rank = layer.outputShape.count
        let grouped = graph.node("Reshape", [inputs[0], graph.int64s([0, Int64(groups), -1])])
        let normalized = graph.node("InstanceNormalization", [grouped, graph.floats([Float](repeating: 1, count: groups), shape: [groups]),
                                                             graph.floats([Float](repeating: 0, count: groups), shape: [groups])],
                                    [.float("epsilon", eps)])
        let back = graph.node("Reshape", [normalized, graph.int64s([-1] + layer.outputShape.map(Int64.init))])
        let perChannel = graph.int64s([Int64(channels)] + [Int64](repeating: 1, count: rank - 1))
        let scaled = graph.node("Mul", [back, graph.node("Reshape", ["\(layer.name).weight", perChannel])])
        return graph.node("Add", [scaled, graph.node("Reshape", ["\(layer.name).bias", perChannel])])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "GroupNorm(\(groups), \(channels), eps=\(Python.number(eps)), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class GroupNorm(Layer):
            def __init__(self, groups, channels, eps, activation):
                super().__init__(activation)
                self.weight = nn.Parameter(torch.ones(channels))
                self.bias = nn.Parameter(torch.zeros(channels))
                self.groups, self.eps = groups, eps

            def forward(self, x):
                return self.activate(F.group_norm(x, self.groups, self.weight, self.bias, self.eps))
        """#
}

/// Over each sample's last dimension: x / sqrt(mean(x²) + eps), then a learnable scale per feature, as
/// torch.nn.RMSNorm (no shift, no centering).
public struct RMSNorm: LayerOp, Equatable {
    public var features: Int
    public var eps: Float

    public static let kinds = [
        ChoiceKind(name: "rmsnorm", params: [
            .optional("eps", .number(.positive), default: .number(Double(Float.ulpOfOne)),
                      "added to the mean square; torch.nn.RMSNorm's default is float32's machine epsilon"),
            Language.nameField, Language.inputsField,
        ], doc: "x / sqrt(mean(x²) + eps) over each sample's last dimension, times a learnable scale per feature; saved as weight, as torch.nn.RMSNorm"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let D = layer.shape.last!
        return LoweredLayer(RMSNorm(features: D, eps: Float(layer.choice["eps"]!.double!)), output: layer.shape,
                            parameters: [layer.parameter("weight", .weight, [D], .ones, fanIn: 1, fanOut: 1)])
    }

    public var fingerprint: String { "rmsnorm(features: \(features), eps: \(eps))" }
    public var name: String { "rmsnorm" }
    public var facts: OpFacts { OpFacts(keepsLayout: true) }

    /// x̂ = x·r (B, S) and r = 1/rms per normalized row.
    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers {
        let values = capacity * layer.outputSize
        return OpBuffers(saved: values, invstd: values / features)
    }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let D = features, x = io.x, y = io.z, xhat = io.saved!, invstd = io.invstd!, w = io.weight!
        for row in 0 ..< pass.rows * io.size / D {
            let base = row * D
            var square: Float = 0
            for d in 0..<D { square += x[base + d] * x[base + d] }
            let r = 1 / (square / Float(D) + eps).squareRoot()
            invstd[row] = r
            for d in 0..<D {
                xhat[base + d] = x[base + d] * r
                y[base + d] = xhat[base + d] * w[d]
            }
        }
    }

    /// dx = r·(g − x̂·mean(g·x̂)) with g = dy·w; dw += dy·x̂.
    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        let D = features, xhat = io.saved!, invstd = io.invstd!, w = io.weight!, dw = io.dweight!
        for row in 0 ..< pass.rows * io.size / D {
            let base = row * D
            var dot: Float = 0
            for d in 0..<D {
                dot += dz[base + d] * w[d] * xhat[base + d]
                dw[d] += dz[base + d] * xhat[base + d]
            }
            guard let dx = io.dx else { continue }
            let r = invstd[row], mean = dot / Float(D)
            for d in 0..<D { dx[base + d] += r * (dz[base + d] * w[d] - xhat[base + d] * mean) }
        }
    }

    /// Opset 17 has no RMSNormalization: x / sqrt(ReduceMean(x·x) + eps) · weight.
    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        let x = inputs[0]
        let meanSquare = graph.node("ReduceMean", [graph.node("Mul", [x, x])], [.ints("axes", [-1]), .int("keepdims", 1)])
        let rms = graph.node("Sqrt", [graph.node("Add", [meanSquare, graph.floats([eps], shape: [])])])
        return graph.node("Mul", [graph.node("Div", [x, rms]), "\(layer.name).weight"])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "RMSNorm(\(features), eps=\(Python.number(eps)), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class RMSNorm(Layer):
            def __init__(self, features, eps, activation):
                super().__init__(activation)
                self.weight = nn.Parameter(torch.ones(features))
                self.eps = eps

            def forward(self, x):
                return self.activate(F.rms_norm(x, (x.shape[-1],), self.weight, self.eps))
        """#
}
