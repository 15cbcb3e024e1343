// column_embedding: the model's first op when a table's categorical column is declared
// `{categorical: {embedding: d}}`. The encoding (Data/TabularEncoder.swift) gives such a column as one
// value, its slot (0 to K − 1 for the training rows' categories, K for an unseen one); this op replaces
// it by row `slot` of a learned table [K + 1, d], as torch.nn.Embedding(K + 1, d), and passes every
// other value through, so the layers the spec writes read model.input's width. It is not written in a
// spec: IRBuilder puts it first when the encoding has such a column, named `column_embedding`, its
// tables `column_embedding.<k>` for the k-th embedded column (from 0), drawn N(0, 1) as PyTorch's.
//
// Shapes: x is (B, I), the encoded width; z is (B, O), model.input's width.

import DNNSyntax

public struct ColumnEmbedding: LayerOp, Equatable {
    /// The encoded row, left to right: values passed through, or a slot looked up in a table.
    public enum Segment: Sendable, Equatable {
        case pass(Int)
        case embed(vocab: Int, dim: Int)
    }

    public var segments: [Segment]

    public static let layerName = "column_embedding"

    /// Not written in specs: IRBuilder adds it (see the header).
    public static let kinds: [ChoiceKind] = []

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? { nil }

    public init(segments: [Segment]) { self.segments = segments }

    /// The encoded width it reads, and the width it gives.
    public var inputWidth: Int { segments.reduce(0) { if case .pass(let n) = $1 { $0 + n } else { $0 + 1 } } }
    public var outputWidth: Int { segments.reduce(0) { if case .pass(let n) = $1 { $0 + n } else if case .embed(_, let d) = $1 { $0 + d } else { $0 } } }
    var tables: [(vocab: Int, dim: Int)] { segments.compactMap { if case .embed(let v, let d) = $0 { (v, d) } else { nil } } }

    /// The layer, reading the model's input [inputWidth] and giving [outputWidth].
    public func layer(range: SourceRange) -> Layer {
        let parameters = tables.enumerated().map { k, t in
            Parameter(name: "\(Self.layerName).\(k)", role: .weight, shape: [t.vocab, t.dim], initializer: .normal(mean: 0, stddev: 1),
                      fanIn: t.vocab, fanOut: t.dim)
        }
        return Layer(name: Self.layerName, kind: self, activation: .identity, inputs: [-1], inputShapes: [[inputWidth]],
                     outputShape: [outputWidth], parameters: parameters, range: range, source: LayerSource(kind: range, name: range))
    }

    public var fingerprint: String {
        "column_embedding(" + segments.map { if case .embed(let v, let d) = $0 { "embed \(v)×\(d)" } else if case .pass(let n) = $0 { "pass \(n)" } else { "" } }
            .joined(separator: ", ") + ")"
    }
    public var name: String { Self.layerName }

    /// z = the passed values and each slot's table row, in order. Slots were checked when encoded.
    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let x = io.x, z = io.z, I = inputWidth, O = outputWidth
        for b in 0 ..< pass.rows {
            var i = b * I, o = b * O, table = io.parameters!
            for segment in segments {
                switch segment {
                case .pass(let n):
                    for k in 0 ..< n { z[o + k] = x[i + k] }
                    i += n; o += n
                case .embed(let vocab, let dim):
                    guard let row = x[i].index(below: vocab) else { preconditionFailure("column slot \(x[i]) was not checked") }
                    for d in 0 ..< dim { z[o + d] = table[row * dim + d] }
                    table += vocab * dim
                    i += 1; o += dim
                }
            }
        }
    }

    /// Adds each row's ∂L/∂z of an embedded column into the table row its slot read; the input (the
    /// model's) has no gradient.
    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        let x = io.x, I = inputWidth, O = outputWidth
        for b in 0 ..< pass.rows {
            var i = b * I, o = b * O, dtable = io.gradients!
            for segment in segments {
                switch segment {
                case .pass(let n):
                    i += n; o += n
                case .embed(let vocab, let dim):
                    let row = x[i].index(below: vocab)!
                    for d in 0 ..< dim { dtable[row * dim + d] += dz[o + d] }
                    dtable += vocab * dim
                    i += 1; o += dim
                }
            }
        }
    }

    /// Slices of the input, each slot gathered from its table, concatenated.
    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        var parts: [String] = [], i = 0, k = 0
        func slice(_ from: Int, _ to: Int) -> String {
            graph.node("Slice", [inputs[0], graph.int64s([Int64(from)]), graph.int64s([Int64(to)]), graph.int64s([1])])
        }
        for segment in segments {
            switch segment {
            case .pass(let n):
                parts.append(slice(i, i + n))
                i += n
            case .embed(_, let dim):
                let slot = graph.node("Cast", [slice(i, i + 1)], [.int("to", onnxInt64Type)])
                let rows = graph.node("Gather", ["\(Self.layerName).\(k)", slot], [.int("axis", 0)])
                parts.append(graph.node("Reshape", [rows, graph.int64s([-1, Int64(dim)])]))
                i += 1; k += 1
            }
        }
        return parts.count == 1 ? parts[0] : graph.node("Concat", parts, [.int("axis", 1)])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "ColumnEmbedding([" + segments.map { if case .embed(let v, let d) = $0 { "(\(v), \(d))" } else if case .pass(let n) = $0 { "\(n)" } else { "" } }
            .joined(separator: ", ") + "], activation=\(activation))"
    }

    public static let pythonClass = #"""
        class ColumnEmbedding(Layer):
            """Segments of the encoded row: n values passed through, or (vocab, dim): a slot looked up in a
            table registered as parameter `k` (the k-th table), as torch.nn.Embedding (Ops/ColumnEmbedding.swift)."""
            def __init__(self, segments, activation):
                super().__init__(activation)
                self.segments = segments
                tables = [s for s in segments if isinstance(s, tuple)]
                for k, (vocab, dim) in enumerate(tables):
                    self.register_parameter(str(k), nn.Parameter(torch.zeros(vocab, dim)))

            def forward(self, x):
                parts, i, k = [], 0, 0
                for s in self.segments:
                    if isinstance(s, tuple):
                        parts.append(F.embedding(x[:, i].long(), getattr(self, str(k))))
                        i, k = i + 1, k + 1
                    else:
                        parts.append(x[:, i:i + s])
                        i += s
                return torch.cat(parts, dim=1)
        """#
}
