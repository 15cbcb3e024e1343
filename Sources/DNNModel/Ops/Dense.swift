// dense: fully connected, z = x·Wᵀ + b over [I] → [O]; weight [O, I] and bias [O] as torch.nn.Linear. On a
// sequence [L, I] it applies to every position, [L, I] → [L, O], as torch.nn.Linear and Keras's Dense
// apply to the last axis.

import DNNSyntax

public struct Dense: LayerOp, Equatable {
    public var inFeatures: Int
    public var outFeatures: Int
    public var hasBias: Bool
    /// Positions per sample it applies to (L of an [L, I] input; 1 for a feature vector).
    public var positions = 1

    public static let kinds = [
        ChoiceKind(name: "dense", params: [
            .required("units", .integer(.size), "output features"),
            Language.activationField, Language.nameField, Language.inputsField,
            .optional("weights", .choice(Language.initializers), default: .contextual("model.init.weights"),
                      "initializer of the weight matrix [units, inputs]"),
            Language.biasField, Language.l1Field, Language.l2Field,
        ], doc: "fully connected: y = x·Wᵀ + b, then the activation; on a sequence [L, I], applied to every position"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let shape = layer.shape
        guard shape.count <= 2 else {
            return layer.fail(.inputWidth, "dense layer `\(layer.name)` takes one feature vector per sample, or a sequence [length, features], but its input has shape \(shape)",
                              help: "put a flatten layer before it, or make model.input a single number of features, e.g. [\(shape.reduce(1, *))]")
        }
        let I = shape.last!, O = layer.choice["units"]!.int!, L = shape.count == 2 ? shape[0] : 1
        var parameters = [layer.parameter("weight", .weight, [O, I], layer.weightInitializer(), fanIn: I, fanOut: O)]
        let bias = layer.biasInitializer()
        if let bias { parameters.append(layer.parameter("bias", .bias, [O], bias, fanIn: I, fanOut: O)) }
        return LoweredLayer(Dense(inFeatures: I, outFeatures: O, hasBias: bias != nil, positions: L), output: shape.dropLast() + [O], parameters: parameters,
                            width: layer.choice["units"]!.range)
    }

    public var fingerprint: String {
        "dense(inFeatures: \(inFeatures), outFeatures: \(outFeatures), bias: \(hasBias)" + (positions == 1 ? ")" : ", positions: \(positions))")
    }
    public var name: String { "dense" }
    public var facts: OpFacts { OpFacts(mixesThroughWeights: true) }
    public func multiplyAdds(_ layer: Layer) -> Int { positions * inFeatures * outFeatures }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        DenseKernel.forward(z: io.z, x: io.x, w: io.weight!, b: io.bias.map { UnsafePointer($0) }, B: pass.rows * positions,
                            I: inFeatures, O: outFeatures, threads: pass.threads)
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        DenseKernel.backward(dz: dz, x: io.x, w: io.weight!, dw: io.dweight!, db: io.dbias, dx: io.dx, B: pass.rows * positions,
                             I: inFeatures, O: outFeatures, threads: pass.threads)
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        let b = hasBias ? "\(layer.name).bias" : graph.floats([Float](repeating: 0, count: outFeatures), shape: [outFeatures])
        guard positions > 1 else { return graph.node("Gemm", [inputs[0], "\(layer.name).weight", b], [.int("transB", 1)]) }
        // Every position: x [N, L, I] · Wᵀ [I, O] + b.
        let wt = graph.node("Transpose", ["\(layer.name).weight"], [.ints("perm", [1, 0])])
        return graph.node("Add", [graph.node("MatMul", [inputs[0], wt]), b])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "Dense(\(inFeatures), \(outFeatures), bias=\(Python.bool(hasBias)), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class Dense(Layer):
            def __init__(self, inputs, units, bias, activation):
                super().__init__(activation)
                self.weight = nn.Parameter(torch.zeros(units, inputs))  # [out, in]
                self.bias = nn.Parameter(torch.zeros(units)) if bias else None

            def forward(self, x):
                return self.activate(F.linear(x, self.weight, self.bias))
        """#
}
