// dropout: inverted dropout in training (each value zeroed with probability rate, the rest scaled by
// 1/(1 − rate), drawn from dnnc's dropout stream), identity in evaluation.

import DNNSyntax

public struct Dropout: LayerOp, Equatable {
    public var rate: Float

    public static let kinds = [
        ChoiceKind(name: "dropout", params: [
            .required("rate", .number(Bounds(min: 0, max: 1, maxExclusive: true)), "the share of values zeroed in training"),
            Language.nameField, Language.inputsField,
        ], doc: "inverted dropout: in training each value is zeroed with probability rate and the rest scaled by 1/(1 − rate); identity in evaluation"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        LoweredLayer(Dropout(rate: Float(layer.choice["rate"]!.double!)), output: layer.shape)
    }

    public var fingerprint: String { "dropout(rate: \(rate))" }
    public var name: String { "dropout" }
    public var facts: OpFacts { OpFacts(dropsInTraining: true, keepsLayout: true) }

    /// The mask (B, S): 0 or 1/(1 − rate).
    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers { OpBuffers(saved: capacity * layer.outputSize) }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let x = io.x, z = io.z, n = pass.rows * io.size
        guard pass.training && rate > 0, let mask = io.saved else {
            z.update(from: x, count: n)
            return
        }
        let keep = 1 / (1 - rate)
        for i in 0..<n {
            mask[i] = Float(pass.dropout.uniform()) < rate ? 0 : keep
            z[i] = x[i] * mask[i]
        }
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        guard let dx = io.dx else { return }
        let n = pass.rows * io.size
        if pass.training && rate > 0, let mask = io.saved {
            for i in 0..<n { dx[i] += dz[i] * mask[i] }
        } else {
            for i in 0..<n { dx[i] += dz[i] }
        }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        graph.node("Identity", [inputs[0]])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String { "Dropout(\(Python.number(rate)), activation=\(activation))" }

    public static let pythonClass = #"""
        class Dropout(Layer):
            """Inverted dropout. With `stream` set (one process), the masks are dnnc's: one uniform draw per
            value from dnnc's dropout stream, shared by every dropout layer in forward order."""

            stream = None

            def __init__(self, rate, activation):
                super().__init__(activation)
                self.rate = rate

            def forward(self, x):
                if self.training and self.rate > 0 and Dropout.stream is not None:
                    rate = np.float32(self.rate)
                    keep = np.float32(1) / (np.float32(1) - rate)
                    draws = np.array([Dropout.stream.uniform() for _ in range(x.numel())]).astype(np.float32)
                    mask = np.where(draws < rate, np.float32(0), keep).astype(np.float32)
                    return self.activate(x * torch.from_numpy(mask).reshape(x.shape).to(x.device))
                return self.activate(F.dropout(x, self.rate, self.training))
        """#
}
