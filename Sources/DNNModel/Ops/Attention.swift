// attention: multi-head scaled dot-product attention as torch.nn.MultiheadAttention(E, heads,
// batch_first=True): self-attention on one input [L, E], or `inputs: [queries, keys_values]` for
// cross-attention, [Lq, E] and [Lk, E] → [Lq, E]. Parameters as PyTorch's state_dict: in_proj_weight
// [3E, E] (the query, key and value projections, in that order), in_proj_bias [3E], out_proj.weight
// [E, E], out_proj.bias [E]; initialized as PyTorch does (Xavier-uniform in_proj_weight, out_proj.weight
// uniform on ±1/sqrt(E), zero biases).
//
//   Q = Xq·Wqᵀ + bq, K = Xkv·Wkᵀ + bk, V = Xkv·Wvᵀ + bv, split into heads of d = E / heads values;
//   per head P = softmax(Q·Kᵀ / sqrt(d)) (causal: position i sees keys j ≤ i), O = dropout(P)·V;
//   Y = concat(O)·Woᵀ + bo.
//
// Dropout on P draws from dnnc's dropout stream, in training only. When its keys descend from an embedding
// with a padding_index, padded keys are masked as PyTorch's key_padding_mask masks them (a query whose
// every key is padding attends to nothing: its O is 0, where PyTorch's is nan).

import Foundation
import DNNSyntax

public struct Attention: LayerOp, Equatable {
    public var width: Int
    public var heads: Int
    public var queries: Int
    public var keys: Int
    public var causal: Bool
    public var dropout: Float
    /// Keys and values come from a second input.
    public var isCross: Bool
    /// The padding index whose keys are left out (PassContext.padding), when the keys descend from an
    /// embedding with a padding_index, one key per token.
    public var keyPadding: Int? = nil

    public static let kinds = [
        ChoiceKind(name: "attention", params: [
            .required("heads", .integer(.size), "the number of heads; the width E must be a multiple of it"),
            .optional("causal", .boolean, default: .bool(false), "each position attends only to itself and the positions before it"),
            .optional("dropout", .number(Bounds(min: 0, max: 1, maxExclusive: true)), default: .number(0),
                      "dropout on the attention weights, in training"),
            Language.nameField, Language.inputsField,
        ], doc: "multi-head scaled dot-product attention over [length, E], as torch.nn.MultiheadAttention(batch_first=True); self-attention, or inputs [queries, keys_values]; in_proj_weight [3E, E], in_proj_bias [3E], out_proj.weight [E, E], out_proj.bias [E]"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let shapes = layer.shapes, choice = layer.choice, name = layer.name
        guard shapes.count <= 2 else {
            return layer.fail("attention `\(name)` reads one input (self-attention) or two, [queries, keys_values]; `inputs` names \(shapes.count)",
                              at: choice["inputs"]?.range)
        }
        guard shapes.allSatisfy({ $0.count == 2 }) else {
            return layer.fail("attention `\(name)` reads sequences [length, width], but \(shapes.count == 1 ? "its input has" : "its inputs have") shape \(shapes.map(\.description).joined(separator: " and "))",
                              help: "an embedding gives [length, dim]")
        }
        let E = shapes[0][1]
        if shapes.count == 2, shapes[1][1] != E {
            return layer.fail(.branchMismatch, "attention `\(name)`'s queries are \(E) wide but its keys and values \(shapes[1][1]); they must be as wide",
                              at: choice["inputs"]?.range)
        }
        let heads = choice["heads"]!
        guard E % heads.int! == 0 else {
            let divisors = (1...E).filter { E % $0 == 0 && $0 <= 64 }.map(String.init).joined(separator: ", ")
            return layer.fail("attention `\(name)`'s width \(E) does not split into \(heads.int!) heads", at: heads.range,
                              help: "use a number of heads that divides \(E): \(divisors)")
        }
        let op = Attention(width: E, heads: heads.int!, queries: shapes[0][0], keys: shapes.last![0], causal: choice["causal"]!.bool!,
                           dropout: Float(choice["dropout"]!.double!), isCross: shapes.count == 2,
                           keyPadding: layer.paddingIndex(input: shapes.count - 1, positions: shapes.last![0]))
        let bound = 1 / Double(E).squareRoot()
        let parameters = [layer.parameter("in_proj_weight", .weight, [3 * E, E], .glorotUniform, fanIn: E, fanOut: 3 * E),
                          layer.parameter("in_proj_bias", .bias, [3 * E], .zeros, fanIn: E, fanOut: 3 * E),
                          layer.parameter("out_proj.weight", .weight, [E, E], .uniform(low: -bound, high: bound), fanIn: E, fanOut: E),
                          layer.parameter("out_proj.bias", .bias, [E], .zeros, fanIn: E, fanOut: E)]
        return LoweredLayer(op, output: [op.queries, E], parameters: parameters)
    }

    public var fingerprint: String {
        "attention(width: \(width), heads: \(heads), queries: \(queries), keys: \(keys), causal: \(causal), dropout: \(dropout), cross: \(isCross)"
            + (keyPadding.map { ", keyPadding: \($0))" } ?? ")")
    }
    public var readsPadding: Bool { keyPadding != nil }
    public var name: String { "attention" }
    public var facts: OpFacts { OpFacts(mixesThroughWeights: true, outputsSequence: true) }

    var headWidth: Int { width / heads }
    /// Per sample: Q, O, their gradients [queries, E]; K, V, their gradients [keys, E]; P and the dropout
    /// mask [heads, queries, keys].
    var perSample: Int { 4 * queries * width + 4 * keys * width + 2 * heads * queries * keys }

    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers {
        OpBuffers(saved: capacity * perSample + queries * keys)
    }

    /// A head collapses when every query (with more than one key to see) of every sample spreads its
    /// weight evenly, its entropy at least `uniformShare` of log(keys seen) (two keys: each weight within
    /// 0.48 to 0.52), or puts at least `oneKeyShare` of it on one key: it passes on an average, or one
    /// position, whatever its input.
    public static let uniformShare: Float = 0.999
    public static let oneKeyShare: Float = 0.99

    /// Two slots per head: each query's entropy over log(keys seen), and its largest weight.
    public var watchedSlots: Int { 2 * heads }

    public func watch(_ io: LayerIO, _ pass: PassContext, _ tally: inout PartTally) {
        let B = pass.rows, buffer = layout(io.saved!, B), Lq = queries, Lk = keys
        let padded = keyPadding != nil ? pass.padding : nil
        for b in 0 ..< B {
            for h in 0 ..< heads {
                let p = buffer.p + (b * heads + h) * Lq * Lk
                for i in 0 ..< Lq {
                    let row = p + i * Lk
                    // The keys it may see: causal ones up to i, padded ones left out.
                    var seen = 0, entropy: Float = 0, largest: Float = 0
                    for j in 0 ..< (causal ? min(i + 1, Lk) : Lk) {
                        if let padded, padded[b * Lk + j] != 0 { continue }
                        seen += 1
                        let w = row[j]
                        if w > 0 { entropy -= w * Foundation.log(w) }
                        largest = max(largest, w)
                    }
                    guard seen > 1 else { continue }
                    tally.add(2 * h, entropy / Foundation.log(Float(seen)))
                    tally.add(2 * h + 1, largest)
                }
            }
        }
    }

    public func stuckParts(_ tally: PartTally) -> [StuckPart] {
        (0 ..< heads).compactMap { h in
            guard tally.observed(2 * h) else { return nil }
            if tally.low[2 * h] >= Self.uniformShare { return StuckPart(.head, "head \(h + 1)", "uniform over its keys") }
            if tally.low[2 * h + 1] >= Self.oneKeyShare { return StuckPart(.head, "head \(h + 1)", "focused on one key") }
            return nil
        }
    }

    public func multiplyAdds(_ layer: Layer) -> Int {
        queries * width * width * 2 + keys * width * width * 2 + 2 * heads * queries * keys * headWidth
    }

    /// Where each of `perSample`'s blocks starts for a batch of B, then one head's [queries, keys] scratch.
    struct Blocks {
        var q, k, v, o, p, mask, dq, dk, dv, dO, scratch: UnsafeMutablePointer<Float>
    }

    func layout(_ saved: UnsafeMutablePointer<Float>, _ B: Int) -> Blocks {
        let E = width, Lq = queries, Lk = keys, H = heads
        let q = saved, o = q + B * Lq * E, k = o + B * Lq * E, v = k + B * Lk * E, p = v + B * Lk * E, mask = p + B * H * Lq * Lk
        let dq = mask + B * H * Lq * Lk, dO = dq + B * Lq * E, dk = dO + B * Lq * E, dv = dk + B * Lk * E
        return Blocks(q: q, k: k, v: v, o: o, p: p, mask: mask, dq: dq, dk: dk, dv: dv, dO: dO, scratch: dv + B * Lk * E)
    }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let B = pass.rows, E = width, Lq = queries, Lk = keys, H = heads, d = headWidth
        let buffer = layout(io.saved!, B), weights = io.parameters!
        let wo = weights + 3 * E * E + 3 * E, bo = wo + E * E
        let xq = io.inputs[0], xkv = io.inputs[isCross ? 1 : 0]
        DenseKernel.forward(z: buffer.q, x: xq, w: weights, b: weights + 3 * E * E, B: B * Lq, I: E, O: E, threads: pass.threads)
        DenseKernel.forward(z: buffer.k, x: xkv, w: weights + E * E, b: weights + 3 * E * E + E, B: B * Lk, I: E, O: E, threads: pass.threads)
        DenseKernel.forward(z: buffer.v, x: xkv, w: weights + 2 * E * E, b: weights + 3 * E * E + 2 * E, B: B * Lk, I: E, O: E,
                            threads: pass.threads)
        let scale = 1 / Float(d).squareRoot()
        let drops = pass.training && dropout > 0
        let keep = 1 / (1 - dropout)
        for b in 0..<B {
            for h in 0..<H {
                let p = buffer.p + (b * H + h) * Lq * Lk
                Gemm.multiply(.none, .transposed, M: Lq, N: Lk, K: d, alpha: scale, A: buffer.q + b * Lq * E + h * d, lda: E,
                              B: buffer.k + b * Lk * E + h * d, ldb: E, beta: 0, C: p, ldc: Lk, threads: 1)
                let padded = keyPadding != nil ? pass.padding.map { UnsafePointer($0 + b * Lk) } : nil
                for i in 0..<Lq {
                    let row = p + i * Lk, seen = causal ? min(i + 1, Lk) : Lk
                    if let padded { for j in 0..<seen where padded[j] != 0 { row[j] = -Float.infinity } }
                    var largest = -Float.infinity
                    for j in 0..<seen { largest = max(largest, row[j]) }
                    guard largest > -Float.infinity else { (row).update(repeating: 0, count: Lk); continue }
                    var sum: Float = 0
                    for j in 0..<seen { row[j] = Foundation.exp(row[j] - largest); sum += row[j] }
                    for j in 0..<seen { row[j] /= sum }
                    for j in seen ..< Lk { row[j] = 0 }
                }
                // The weights O is made of: P, or P with dnnc's dropout mask applied.
                var used = UnsafePointer(p)
                if drops {
                    let mask = buffer.mask + (b * H + h) * Lq * Lk, dropped = buffer.scratch
                    for m in 0 ..< Lq * Lk {
                        mask[m] = Float(pass.dropout.uniform()) < dropout ? 0 : keep
                        dropped[m] = p[m] * mask[m]
                    }
                    used = UnsafePointer(dropped)
                }
                Gemm.multiply(.none, .none, M: Lq, N: d, K: Lk, A: used, lda: Lk, B: buffer.v + b * Lk * E + h * d, ldb: E, beta: 0,
                              C: buffer.o + b * Lq * E + h * d, ldc: E, threads: 1)
            }
        }
        DenseKernel.forward(z: io.z, x: buffer.o, w: wo, b: bo, B: B * Lq, I: E, O: E, threads: pass.threads)
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        let B = pass.rows, E = width, Lq = queries, Lk = keys, H = heads, d = headWidth
        let buffer = layout(io.saved!, B), weights = io.parameters!, gradients = io.gradients!
        let wo = weights + 3 * E * E + 3 * E
        let drops = pass.training && dropout > 0
        buffer.dO.update(repeating: 0, count: B * Lq * E)
        DenseKernel.backward(dz: dz, x: buffer.o, w: wo, dw: gradients + 3 * E * E + 3 * E, db: gradients + 3 * E * E + 3 * E + E * E,
                             dx: buffer.dO, B: B * Lq, I: E, O: E, threads: pass.threads)
        let scale = 1 / Float(d).squareRoot()
        let dp = buffer.scratch
        for b in 0..<B {
            for h in 0..<H {
                let p = buffer.p + (b * H + h) * Lq * Lk, mask = buffer.mask + (b * H + h) * Lq * Lk
                let dOh = buffer.dO + b * Lq * E + h * d, vh = buffer.v + b * Lk * E + h * d
                // ∂L/∂V = (the weights used)ᵀ·∂L/∂O, and ∂L/∂(the weights used) = ∂L/∂O·Vᵀ.
                if drops { for m in 0 ..< Lq * Lk { dp[m] = p[m] * mask[m] } }
                Gemm.multiply(.transposed, .none, M: Lk, N: d, K: Lq, A: drops ? UnsafePointer(dp) : UnsafePointer(p), lda: Lk, B: dOh, ldb: E,
                              beta: 0, C: buffer.dv + b * Lk * E + h * d, ldc: E, threads: 1)
                Gemm.multiply(.none, .transposed, M: Lq, N: Lk, K: d, A: dOh, lda: E, B: vh, ldb: E, beta: 0, C: dp, ldc: Lk, threads: 1)
                // Through dropout and the softmax: dS = P ⊙ (dP − Σ_j dP ⊙ P), masked positions have P = 0.
                for i in 0..<Lq {
                    let row = dp + i * Lk, prob = p + i * Lk
                    if drops { for j in 0..<Lk { row[j] *= mask[i * Lk + j] } }
                    var dot: Float = 0
                    for j in 0..<Lk { dot += row[j] * prob[j] }
                    for j in 0..<Lk { row[j] = prob[j] * (row[j] - dot) }
                }
                Gemm.multiply(.none, .none, M: Lq, N: d, K: Lk, alpha: scale, A: dp, lda: Lk, B: buffer.k + b * Lk * E + h * d, ldb: E,
                              beta: 0, C: buffer.dq + b * Lq * E + h * d, ldc: E, threads: 1)
                Gemm.multiply(.transposed, .none, M: Lk, N: d, K: Lq, alpha: scale, A: dp, lda: Lk, B: buffer.q + b * Lq * E + h * d,
                              ldb: E, beta: 0, C: buffer.dk + b * Lk * E + h * d, ldc: E, threads: 1)
            }
        }
        // The projections: their weights' gradients, and the inputs'.
        let xq = io.inputs[0], xkv = io.inputs[isCross ? 1 : 0]
        let dxq = io.inputGradients[0], dxkv = io.inputGradients[isCross ? 1 : 0]
        let dbias = gradients + 3 * E * E
        DenseKernel.backward(dz: buffer.dq, x: xq, w: weights, dw: gradients, db: dbias, dx: dxq, B: B * Lq, I: E, O: E, threads: pass.threads)
        DenseKernel.backward(dz: buffer.dk, x: xkv, w: weights + E * E, dw: gradients + E * E, db: dbias + E, dx: dxkv, B: B * Lk, I: E, O: E,
                             threads: pass.threads)
        DenseKernel.backward(dz: buffer.dv, x: xkv, w: weights + 2 * E * E, dw: gradients + 2 * E * E, db: dbias + 2 * E, dx: dxkv,
                             B: B * Lk, I: E, O: E, threads: pass.threads)
    }

    /// MatMul and Softmax: the projections sliced out of in_proj, heads by Reshape and Transpose, the
    /// causal mask an added constant.
    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        let E = width, H = heads, d = headWidth, Lq = queries, Lk = keys
        let axis0 = graph.int64s([0])
        func projection(_ x: String, _ k: Int) -> String {
            let w = graph.node("Slice", ["\(layer.name).in_proj_weight", graph.int64s([Int64(k * E)]), graph.int64s([Int64((k + 1) * E)]), axis0])
            let b = graph.node("Slice", ["\(layer.name).in_proj_bias", graph.int64s([Int64(k * E)]), graph.int64s([Int64((k + 1) * E)]), axis0])
            let product = graph.node("MatMul", [x, graph.node("Transpose", [w], [.ints("perm", [1, 0])])])
            return graph.node("Add", [product, b])
        }
        func split(_ x: String, _ length: Int, _ perm: [Int]) -> String {
            let heads = graph.node("Reshape", [x, graph.int64s([-1, Int64(length), Int64(H), Int64(d)])])
            return graph.node("Transpose", [heads], [.ints("perm", perm)])
        }
        let kv = inputs[isCross ? 1 : 0]
        let q = split(projection(inputs[0], 0), Lq, [0, 2, 1, 3])   // [B, H, Lq, d]
        let k = split(projection(kv, 1), Lk, [0, 2, 3, 1])          // [B, H, d, Lk]
        let v = split(projection(kv, 2), Lk, [0, 2, 1, 3])          // [B, H, Lk, d]
        var scores = graph.node("Mul", [graph.node("MatMul", [q, k]), graph.floats([1 / Float(d).squareRoot()], shape: [])])
        if causal {
            let mask = (0 ..< Lq).flatMap { i in (0 ..< Lk).map { j in j > i ? -Float.infinity : 0 } }
            scores = graph.node("Add", [scores, graph.floats(mask, shape: [Lq, Lk])])
        }
        if let keyPadding {
            // −∞ on the keys whose token is the padding index: [B, Lk] → [B, 1, 1, Lk].
            let padded = graph.node("Equal", [graph.modelInput, graph.floats([Float(keyPadding)], shape: [])])
            let mask = graph.node("Where", [padded, graph.floats([-Float.infinity], shape: []), graph.floats([0], shape: [])])
            scores = graph.node("Add", [scores, graph.node("Reshape", [mask, graph.int64s([-1, 1, 1, Int64(Lk)])])])
        }
        let weights = graph.node("Softmax", [scores], [.int("axis", -1)])
        let heads = graph.node("Transpose", [graph.node("MatMul", [weights, v])], [.ints("perm", [0, 2, 1, 3])])
        let joined = graph.node("Reshape", [heads, graph.int64s([-1, Int64(Lq), Int64(E)])])
        let out = graph.node("MatMul", [joined, graph.node("Transpose", ["\(layer.name).out_proj.weight"], [.ints("perm", [1, 0])])])
        return graph.node("Add", [out, "\(layer.name).out_proj.bias"])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        "Attention(\(width), \(heads), causal=\(Python.bool(causal)), dropout=\(Python.number(dropout)), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class Attention(Layer):
            """torch.nn.MultiheadAttention(batch_first=True) run with this layer's own parameters; self-attention
            on one input, cross-attention on (queries, keys_values). In training with dropout its masks are
            torch's, not dnnc's stream."""

            def __init__(self, width, heads, causal, dropout, activation):
                super().__init__(activation)
                self.in_proj_weight = nn.Parameter(torch.zeros(3 * width, width))
                self.in_proj_bias = nn.Parameter(torch.zeros(3 * width))
                self.out_proj = nn.Linear(width, width)
                # Not a registered submodule: its own weights are replaced by this layer's in every call.
                self.attention = [nn.MultiheadAttention(width, heads, dropout=dropout, batch_first=True)]
                self.causal = causal

            def forward(self, *xs, padding=None):
                """padding: [N, keys], True where the key's token is the embedding's padding_index."""
                queries, values = xs[0], xs[-1]
                mask = None
                if self.causal:
                    mask = torch.triu(torch.full((queries.shape[1], values.shape[1]), float("-inf"), device=queries.device), 1)
                if padding is not None:
                    padding = torch.zeros(padding.shape, device=queries.device).masked_fill(padding, float("-inf"))
                module = self.attention[0]
                module.train(self.training)
                weights = {"in_proj_weight": self.in_proj_weight, "in_proj_bias": self.in_proj_bias,
                           "out_proj.weight": self.out_proj.weight, "out_proj.bias": self.out_proj.bias}
                y, _ = torch.func.functional_call(module, weights, (queries, values, values),
                                                  {"attn_mask": mask, "key_padding_mask": padding, "need_weights": False})
                return self.activate(y)
        """#
}
