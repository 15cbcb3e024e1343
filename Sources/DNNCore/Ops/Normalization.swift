// batchnorm and layernorm: normalization with a learnable scale (weight) and shift (bias), kernels in
// Kernels/NormalizationKernel.swift. batchnorm keeps running statistics (running_mean, running_var) that it
// updates itself in training and uses in evaluation, as torch.nn.BatchNorm1d/2d.

/// Over channels (the first dimension of a sample), normalizing over the batch and the other dimensions.
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

    public var name: String { "layernorm" }

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
