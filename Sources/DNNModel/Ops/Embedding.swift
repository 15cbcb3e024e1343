// embedding: integer indices [L] → vectors [L, dim] (one index per sample: [dim]); weight [vocab, dim] as
// torch.nn.Embedding. It reads the model's input, whose values every entry point checks are integers in
// [0, vocab) (ModelIR.indexViolation) before a pass runs.
//
// With padding_index p, as torch.nn.Embedding(padding_idx=p): row p starts at zeros and gets no gradient,
// and each forward pass writes which positions hold p (PassContext.padding, [B, L]) for the layers after
// it: attention leaves those keys out and global_avgpool leaves them out of its mean.

import DNNSyntax

public struct Embedding: LayerOp, Equatable {
    public var vocab: Int
    public var dim: Int
    /// Indices per sample.
    public var length: Int
    /// The index whose row is padding: zeros, no gradient, masked after.
    public var paddingIndex: Int? = nil

    public static let kinds = [
        ChoiceKind(name: "embedding", params: [
            .required("vocab", .integer(.size), "the number of indices"),
            .required("dim", .integer(.size), "the vector size"),
            .optional("weights", .choice(Language.initializers), default: .choice("normal"), "initializer of the table (PyTorch draws N(0, 1))"),
            .optional("padding_index", .integer(Bounds(min: 0, max: 16_777_216)), default: .off("none"),
                      "an index that marks padding, as PyTorch's padding_idx: its row is zeros and gets no gradient, attention leaves those positions out of its keys and global_avgpool out of its mean"),
            Language.nameField, Language.inputsField,
        ], doc: "integer indices [L] → vectors [L, dim]; an index outside [0, vocab) is an error"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        guard layer.inputs == [-1] else {
            return layer.fail("embedding `\(layer.name)` reads integer indices, so it must read the model's input", help: "make it the first layer")
        }
        let shape = layer.shape, vocab = layer.choice["vocab"]!.int!, dim = layer.choice["dim"]!.int!
        let weights = Lowering.initializer(layer.choice["weights"]!)
        let padding = layer.choice["padding_index"]
        if let padding, let index = padding.int, index >= vocab {
            return layer.fail("embedding `\(layer.name)`'s padding_index \(index) is not an index of its table (0 to \(vocab - 1))", at: padding.range,
                              help: "use an index below vocab, often 0")
        }
        let op = Embedding(vocab: vocab, dim: dim, length: shape.reduce(1, *), paddingIndex: padding?.int)
        return LoweredLayer(op, output: shape == [1] ? [dim] : shape + [dim],
                            parameters: [layer.parameter("weight", .weight, [vocab, dim], weights, fanIn: vocab, fanOut: dim)])
    }

    public var fingerprint: String {
        "embedding(vocab: \(vocab), dim: \(dim)" + (paddingIndex.map { ", padding: \($0))" } ?? ")")
    }
    public var name: String { "embedding" }
    public var vocabulary: Int? { vocab }
    public var facts: OpFacts { OpFacts(outputsSequence: true) }
    public var padding: Padding? { paddingIndex.map { Padding(length: length, index: $0) } }

    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers { OpBuffers(padding: paddingIndex == nil ? 0 : capacity * length) }

    public func initialized(_ parameters: UnsafeMutablePointer<Float>) {
        if let paddingIndex { (parameters + paddingIndex * dim).update(repeating: 0, count: dim) }
    }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let x = io.x, w = io.weight!, z = io.z
        for i in 0 ..< pass.rows * length {
            // Every entry point checks its data (ModelIR.indexViolation); this is the last guard.
            guard let row = x[i].index(below: vocab) else { preconditionFailure("embedding index \(x[i]) was not checked") }
            for d in 0..<dim { z[i * dim + d] = w[row * dim + d] }
        }
        if let paddingIndex, let mask = pass.padding {
            for i in 0 ..< pass.rows * length { mask[i] = Int(x[i]) == paddingIndex ? 1 : 0 }
        }
    }

    /// Adds each position's ∂L/∂z into the row of the table it read (not the padding row); indices have
    /// no gradient.
    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        let x = io.x, dw = io.dweight!
        for i in 0 ..< pass.rows * length {
            guard let row = x[i].index(below: vocab) else { preconditionFailure("embedding index \(x[i]) was not checked") }
            if row == paddingIndex { continue }
            for d in 0..<dim { dw[row * dim + d] += dz[i * dim + d] }
        }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        let indices = graph.node("Cast", [inputs[0]], [.int("to", onnxInt64Type)])
        let gathered = graph.node("Gather", ["\(layer.name).weight", indices], [.int("axis", 0)])
        guard layer.outputShape.count == 1 else { return gathered }
        // One index per sample: [N, 1, dim] → [N, dim].
        return graph.node("Reshape", [gathered, graph.int64s([-1, Int64(dim)])])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "Embedding(\(vocab), \(dim), squeeze=\(Python.bool(layer.outputShape.count == 1)), padding=\(paddingIndex.map(String.init) ?? "None"), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class Embedding(Layer):
            def __init__(self, vocab, dim, squeeze, padding, activation):
                super().__init__(activation)
                self.weight = nn.Parameter(torch.zeros(vocab, dim))
                self.squeeze = squeeze
                self.padding = padding

            def forward(self, x):
                y = F.embedding(x.long(), self.weight, padding_idx=self.padding)
                return self.activate(y.squeeze(1) if self.squeeze else y)
        """#
}
