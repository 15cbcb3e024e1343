// permute: the sample's axes reordered, as torch.permute on dims 1..n (the batch stays first):
// output axis k is input axis dims[k]. It turns [length, features] into [channels, length] and back.

import DNNSyntax

public struct Permute: LayerOp, Equatable {
    /// The input axis each output axis reads, 0-based.
    public var dims: [Int]
    /// For each output position of a sample in order, the input position it reads (computed once).
    public var sources: [Int]

    public static let kinds = [
        ChoiceKind(name: "permute", params: [
            .required("dims", .list(.integer(.countOrZero), minCount: 1), "the input axis of each output axis, 0-based, the batch excluded: [1, 0] swaps two"),
            Language.nameField, Language.inputsField,
        ], doc: "the sample's axes in another order, as torch.permute on the dimensions after the batch: [L, F] → [F, L] with dims [1, 0]"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let shape = layer.shape, written = layer.choice["dims"]!
        let dims = written.list!.map { $0.int! }
        guard dims.sorted() == Array(0 ..< shape.count) else {
            return layer.fail("`dims` \(dims) of permute `\(layer.name)` must list each axis of its input \(shape) once, from 0 to \(shape.count - 1)",
                              at: written.range, help: shape.count == 2 ? "use [1, 0]" : "use an order of \(Array(0 ..< shape.count))")
        }
        return LoweredLayer(Permute(dims: dims, sources: sources(input: shape, dims: dims)), output: dims.map { shape[$0] })
    }

    public var fingerprint: String { "permute(dims: \(dims))" }
    public var name: String { "permute" }

    static func sources(input: [Int], dims: [Int]) -> [Int] {
        let rank = input.count, output = dims.map { input[$0] }
        var inputStrides = [Int](repeating: 1, count: rank)
        for k in stride(from: rank - 2, through: 0, by: -1) { inputStrides[k] = inputStrides[k + 1] * input[k + 1] }
        let count = input.reduce(1, *)
        var result = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<count {
            var source = 0
            for k in 0..<rank { source += index[k] * inputStrides[dims[k]] }
            result[o] = source
            var k = rank - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < output[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        return result
    }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let S = io.size, x = io.x, z = io.z
        sources.withUnsafeBufferPointer { source in
            for r in 0 ..< pass.rows { for o in 0..<S { z[r * S + o] = x[r * S + source[o]] } }
        }
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        guard let dx = io.dx else { return }
        let S = io.size
        sources.withUnsafeBufferPointer { source in
            for r in 0 ..< pass.rows { for o in 0..<S { dx[r * S + source[o]] += dz[r * S + o] } }
        }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        graph.node("Transpose", [inputs[0]], [.ints("perm", [0] + dims.map { $0 + 1 })])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "Permute(\(Python.tuple(dims)), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class Permute(Layer):
            def __init__(self, dims, activation):
                super().__init__(activation)
                self.dims = dims

            def forward(self, x):
                return self.activate(x.permute(0, *[d + 1 for d in self.dims]))
        """#
}
