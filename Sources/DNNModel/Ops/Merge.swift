// add, multiply and concat: layers that join two or more inputs. add and multiply combine inputs of one
// shape element by element; concat joins them along their first dimension (channels or features).

import DNNSyntax

public struct Merge: LayerOp, Equatable {
    public enum Kind: String, Sendable { case add, multiply, concat }
    public var kind: Kind
    /// Values per sample of each input.
    public var parts: [Int]

    public static let kinds = [
        ChoiceKind(name: "add", params: [Language.activationField, Language.nameField, Language.inputsField],
                   doc: "the element-wise sum of its inputs, all of one shape"),
        ChoiceKind(name: "multiply", params: [Language.activationField, Language.nameField, Language.inputsField],
                   doc: "the element-wise product of its inputs, all of one shape"),
        ChoiceKind(name: "concat", params: [Language.activationField, Language.nameField, Language.inputsField],
                   doc: "its inputs joined along their first dimension (channels or features); the other dimensions must agree"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let choice = layer.choice, name = layer.name, shape = layer.shape, shapes = layer.shapes
        let kind = Kind(rawValue: choice.kind)!
        guard layer.inputs.count >= 2 else {
            return layer.fail(.badReference, "\(choice.kind) `\(name)` joins layers, but it reads \(layer.inputs.count)",
                              at: choice["inputs"]?.range, help: "name two or more layers in `inputs: [a, b]`")
        }
        for (k, other) in shapes.enumerated().dropFirst() {
            let fits = kind == .concat ? other.count == shape.count && Array(other.dropFirst()) == Array(shape.dropFirst()) : other == shape
            if !fits {
                let reference = choice["inputs"]!.list!
                layer.bag.error(.branchMismatch,
                                kind == .concat
                                    ? "concat `\(name)` joins shapes \(shape) and \(other), which differ beyond their first dimension"
                                    : "\(choice.kind) `\(name)` joins shapes \(shape) and \(other); they must be equal",
                                at: reference[k].range,
                                notes: [DiagnosticNote("shape \(shape) comes from here", at: layer.inputRanges[0]),
                                        DiagnosticNote("shape \(other) comes from here", at: layer.inputRanges[k])],
                                help: "make the branches the same shape, e.g. with a dense or conv layer on one of them")
                return nil
            }
        }
        let output = kind == .concat ? [shapes.reduce(0) { $0 + $1[0] }] + shape.dropFirst() : shape
        return LoweredLayer(Merge(kind: kind, parts: shapes.map { $0.reduce(1, *) }), output: output)
    }

    public var fingerprint: String { kind.rawValue }
    public var name: String { kind.rawValue }
    public var facts: OpFacts { OpFacts(keepsLayout: kind != .concat) }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let z = io.z, n = pass.rows * io.size, inputs = io.inputs
        switch kind {
        case .add, .multiply:
            z.update(from: inputs[0], count: n)
            for k in 1 ..< inputs.count {
                let other = inputs[k]
                if kind == .add { for i in 0..<n { z[i] += other[i] } } else { for i in 0..<n { z[i] *= other[i] } }
            }
        case .concat:
            var offset = 0
            for (k, part) in parts.enumerated() {
                let source = inputs[k]
                for r in 0 ..< pass.rows {
                    for i in 0..<part { z[r * io.size + offset + i] = source[r * part + i] }
                }
                offset += part
            }
        }
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        let n = pass.rows * io.size, inputs = io.inputs
        switch kind {
        case .add:
            for case let dx? in io.inputGradients { for i in 0..<n { dx[i] += dz[i] } }
        case .multiply:
            // ∂(Π x_j)/∂x_k = Π_{j≠k} x_j.
            for (k, gradient) in io.inputGradients.enumerated() {
                guard let dx = gradient else { continue }
                for i in 0..<n {
                    var others: Float = 1
                    for j in inputs.indices where j != k { others *= inputs[j][i] }
                    dx[i] += dz[i] * others
                }
            }
        case .concat:
            var offset = 0
            for (k, part) in parts.enumerated() {
                if let dx = io.inputGradients[k] {
                    for r in 0 ..< pass.rows { for i in 0..<part { dx[r * part + i] += dz[r * io.size + offset + i] } }
                }
                offset += part
            }
        }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        switch kind {
        case .add: return graph.node("Sum", inputs)
        case .multiply:
            var y = inputs[0]
            for other in inputs.dropFirst() { y = graph.node("Mul", [y, other]) }
            return y
        case .concat: return graph.node("Concat", inputs, [.int("axis", 1)])
        }
    }

    public func pytorch(_ layer: Layer, activation: String) -> String { "Join(\(Python.string(kind.rawValue)), activation=\(activation))" }

    public static let pythonClass = #"""
        class Join(Layer):
            """add, multiply and concat of several layers."""

            def __init__(self, kind, activation):
                super().__init__(activation)
                self.kind = kind

            def forward(self, *xs):
                y = xs[0]
                if self.kind == "add":
                    for x in xs[1:]:
                        y = y + x
                elif self.kind == "multiply":
                    for x in xs[1:]:
                        y = y * x
                else:
                    y = torch.cat(xs, dim=1)
                return self.activate(y)
        """#
}
