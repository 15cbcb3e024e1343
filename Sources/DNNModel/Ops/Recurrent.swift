// lstm, gru and rnn: recurrent layers over a sequence [length, features], as torch.nn.LSTM, GRU and RNN with
// batch_first. Each saves weight_ih [G·U, F], weight_hh [G·U, U], bias_ih and bias_hh [G·U] (G gates:
// 4, 3, 1), the reverse direction's as `*_reverse`, all uniform on ±1/sqrt(U) as PyTorch's; the state
// starts at zero. They return the last step's h, [units] (for the reverse direction the step at
// position 0, as PyTorch's h_n), or every step's, [length, units]; a bidirectional layer concatenates
// the forward direction's units and the reverse's.
//
//   lstm (gates i, f, g, o)                  gru (gates r, z, n)
//   i = σ(W_ii x + b_ii + W_hi h + b_hi)     r = σ(W_ir x + b_ir + W_hr h + b_hr)
//   f = σ(W_if x + b_if + W_hf h + b_hf)     z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   g = tanh(W_ig x + b_ig + W_hg h + b_hg)  n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
//   o = σ(W_io x + b_io + W_ho h + b_ho)     h' = (1 − z) ⊙ n + z ⊙ h
//   c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')   rnn: h' = tanh or relu(W_ih x + b_ih + W_hh h + b_hh)
//
// The input projections of every step are one matrix multiply; each step adds h·W_hhᵀ. Backward runs
// through time, writing each step's gate gradients over the gates it saved, then multiplies once more for
// the input side.

import Foundation
import DNNSyntax

public struct Recurrent: LayerOp, Equatable {
    public enum Cell: String, Sendable, Equatable {
        case lstm, gru, rnnTanh, rnnRelu

        /// Gates per unit.
        var gates: Int { switch self { case .lstm: 4; case .gru: 3; case .rnnTanh, .rnnRelu: 1 } }
        /// What a step saves per unit beside its gates and its state: lstm's cell and its tanh, gru's
        /// W_hn·h + b_hn.
        var extra: Int { switch self { case .lstm: 2; case .gru: 1; case .rnnTanh, .rnnRelu: 0 } }
        var kind: String { switch self { case .lstm: "lstm"; case .gru: "gru"; case .rnnTanh, .rnnRelu: "rnn" } }
    }

    public var cell: Cell
    public var features: Int
    public var units: Int
    public var length: Int
    public var bidirectional: Bool
    public var returnSequences: Bool

    static func keys(_ cell: String) -> [Field] {
        [
            .required("units", .integer(.size), "the hidden state's size U"),
            .optional("return_sequences", .boolean, default: .bool(false),
                      "output every step, [length, units], instead of the last step's [units]"),
            .optional("bidirectional", .boolean, default: .bool(false),
                      "also run the sequence backwards; the outputs are concatenated, forward first"),
        ] + (cell == "rnn" ? [.optional("activation", .word(["tanh", "relu"]), default: .word("tanh"), "the step's nonlinearity")] : [])
            + [Language.nameField, Language.inputsField]
    }

    public static let kinds = [
        ChoiceKind(name: "lstm", params: keys("lstm"),
                   doc: "long short-term memory over [length, features], as torch.nn.LSTM(batch_first=True); weight_ih [4U, F], weight_hh [4U, U], bias_ih, bias_hh [4U], gates (i, f, g, o)"),
        ChoiceKind(name: "gru", params: keys("gru"),
                   doc: "gated recurrent unit over [length, features], as torch.nn.GRU(batch_first=True); weight_ih [3U, F], weight_hh [3U, U], bias_ih, bias_hh [3U], gates (r, z, n), b_hn inside r ⊙ (…)"),
        ChoiceKind(name: "rnn", params: keys("rnn"),
                   doc: "Elman recurrence over [length, features], as torch.nn.RNN(batch_first=True); weight_ih [U, F], weight_hh [U, U], bias_ih, bias_hh [U]"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let shape = layer.shape, choice = layer.choice
        guard shape.count == 2 else {
            return layer.fail("\(choice.kind) `\(layer.name)` reads a sequence [length, features], but its input has shape \(shape)",
                              help: "an embedding gives [length, dim]; `reshape: {shape: [length, features]}` makes one from a flat row")
        }
        let cell: Cell = switch choice.kind {
        case "lstm": .lstm
        case "gru": .gru
        default: choice["activation"]?.string == "relu" ? .rnnRelu : .rnnTanh
        }
        let U = choice["units"]!.int!, bidirectional = choice["bidirectional"]!.bool!, sequences = choice["return_sequences"]!.bool!
        let L = shape[0], F = shape[1], D = bidirectional ? 2 : 1, G = cell.gates * U
        // PyTorch's default: every tensor uniform on ±1/sqrt(U).
        let bound = 1 / Double(U).squareRoot()
        let uniform = Initializer.uniform(low: -bound, high: bound)
        var parameters: [Parameter] = []
        for suffix in bidirectional ? ["", "_reverse"] : [""] {
            parameters += [layer.parameter("weight_ih" + suffix, .weight, [G, F], uniform, fanIn: F, fanOut: G),
                           layer.parameter("weight_hh" + suffix, .weight, [G, U], uniform, fanIn: U, fanOut: G),
                           layer.parameter("bias_ih" + suffix, .bias, [G], uniform, fanIn: F, fanOut: G),
                           layer.parameter("bias_hh" + suffix, .bias, [G], uniform, fanIn: U, fanOut: G)]
        }
        let op = Recurrent(cell: cell, features: F, units: U, length: L, bidirectional: bidirectional, returnSequences: sequences)
        return LoweredLayer(op, output: sequences ? [L, D * U] : [D * U], parameters: parameters, width: choice["units"]!.range)
    }

    public var fingerprint: String {
        "\(cell.rawValue)(features: \(features), units: \(units), length: \(length), bidirectional: \(bidirectional), returnSequences: \(returnSequences))"
    }
    public var name: String { cell.kind }
    public var facts: OpFacts { OpFacts(mixesThroughWeights: true, outputsSequence: true) }

    var directions: Int { bidirectional ? 2 : 1 }
    /// Values per unit of one step: the gates, the extra and the state.
    var perStep: Int { cell.gates + cell.extra + 1 }
    /// Values of one direction for one sample: every step's gates (after their activations; backward
    /// overwrites them with their gradients), extras and states, each as a [length, ·] block.
    var savedPerSample: Int { length * perStep * units }

    /// Per direction, [B, L, gates], [B, L, extra] and [B, L, state]; then two [B, U] rows of backward's
    /// running gradients, and [B, L, U] of states each beside the step that read them.
    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers {
        OpBuffers(saved: capacity * (directions * savedPerSample + 2 * units + length * units))
    }

    public func multiplyAdds(_ layer: Layer) -> Int { directions * length * cell.gates * units * (features + units) }

    /// The gates after a sigmoid, by index in PyTorch's order, with their names: lstm's i, f, o; gru's r, z.
    var sigmoidGates: [(index: Int, name: String)] {
        switch cell {
        case .lstm: [(0, "input gate"), (1, "forget gate"), (3, "output gate")]
        case .gru: [(0, "reset gate"), (1, "update gate")]
        case .rnnTanh, .rnnRelu: []
        }
    }

    /// A gate is saturated when at least this share of its units stays within `saturationMargin` of 0 or
    /// of 1 for every sample and step: it passes almost no gradient and no longer depends on its input.
    public static let saturatedShare = 0.9
    public static let saturationMargin: Float = 0.05

    /// One slot per direction, sigmoid gate and unit: the gate's value over every sample and step.
    public var watchedSlots: Int { directions * sigmoidGates.count * units }

    public func watch(_ io: LayerIO, _ pass: PassContext, _ tally: inout PartTally) {
        let B = pass.rows, U = units, G = cell.gates * U, watched = sigmoidGates
        for d in 0 ..< directions {
            let gates = blocks(io.saved!, d, B).gates
            for r in 0 ..< B * length {
                let row = gates + r * G
                for (k, gate) in watched.enumerated() {
                    let slot = (d * watched.count + k) * U
                    for u in 0 ..< U { tally.add(slot + u, row[gate.index * U + u]) }
                }
            }
        }
    }

    public func stuckParts(_ tally: PartTally) -> [StuckPart] {
        let U = units, watched = sigmoidGates, m = Self.saturationMargin
        var stuck: [StuckPart] = []
        for d in 0 ..< directions {
            for (k, gate) in watched.enumerated() {
                let slots = (d * watched.count + k) * U ..< (d * watched.count + k + 1) * U
                guard slots.allSatisfy(tally.observed) else { continue }
                let low = slots.filter { tally.high[$0] < m }.count, high = slots.filter { tally.low[$0] > 1 - m }.count
                guard Double(low + high) >= Self.saturatedShare * Double(U) else { continue }
                let side = high == 0 ? "near 0" : low == 0 ? "near 1" : "near 0 or 1"
                stuck.append(StuckPart(.gate, gate.name + (d == 1 ? " (reverse)" : ""), "saturated \(side) in \(low + high) of \(U) units"))
            }
        }
        return stuck
    }

    /// Direction d's weight_ih, weight_hh, bias_ih and bias_hh, as declared.
    func tensors(_ base: UnsafeMutablePointer<Float>, _ d: Int) -> (wih: UnsafeMutablePointer<Float>, whh: UnsafeMutablePointer<Float>,
                                                                   bih: UnsafeMutablePointer<Float>, bhh: UnsafeMutablePointer<Float>) {
        let G = cell.gates * units
        let wih = base + d * (G * features + G * units + 2 * G)
        return (wih, wih + G * features, wih + G * features + G * units, wih + G * features + G * units + G)
    }

    /// Direction d's saved blocks for a batch of B.
    func blocks(_ saved: UnsafeMutablePointer<Float>, _ d: Int, _ B: Int)
        -> (gates: UnsafeMutablePointer<Float>, extra: UnsafeMutablePointer<Float>, states: UnsafeMutablePointer<Float>) {
        let gates = saved + d * B * savedPerSample, extra = gates + B * length * cell.gates * units
        return (gates, extra, extra + B * length * cell.extra * units)
    }

    /// The step direction d takes at its s-th step.
    @inline(__always) func step(_ s: Int, _ d: Int) -> Int { d == 0 ? s : length - 1 - s }

    @inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }

    /// tanh without glibc's tanhf, which goes through expm1f and took a third of W5's time: below 0.5 the
    /// odd Taylor series to x¹⁵ (relative error under 1e-8), above it 1 − 2/(e^{2|x|} + 1) (under 2e-7).
    @inline(__always) func tanh(_ x: Float) -> Float {
        let a = abs(x)
        if a < 0.5 {
            let x2 = x * x
            // −1/3, 2/15, −17/315, 62/2835, −1382/155925, 21844/6081075, −929569/638512875
            let series: Float = -0.33333333 + x2 * (0.13333333 + x2 * (-0.053968254 + x2 * (0.021869489 + x2 * (-0.0088632355
                + x2 * (0.0035921280 + x2 * -0.0014558344)))))
            return x + x * x2 * series
        }
        let t = 1 - 2 / (Foundation.exp(2 * a) + 1)
        return x < 0 ? -t : t
    }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let B = pass.rows, L = length, F = features, U = units, G = cell.gates * U, D = directions
        for d in 0..<D {
            let (wih, whh, bih, bhh) = tensors(io.parameters!, d)
            let (gates, extra, states) = blocks(io.saved!, d, B)
            // Every step's input projection at once; bias_hh joins it, except gru's b_hn (inside r ⊙ (…)).
            DenseKernel.forward(z: gates, x: io.x, w: wih, b: bih, B: B * L, I: F, O: G, threads: pass.threads)
            let joined = cell == .gru ? 2 * U : G
            for r in 0 ..< B * L { let row = gates + r * G; for k in 0..<joined { row[k] += bhh[k] } }
            for s in 0..<L {
                let t = step(s, d), previous = s > 0 ? step(s - 1, d) : -1
                // h·W_hhᵀ: into the gates, and for gru's n gate into its own block, b_hn added.
                if previous >= 0 {
                    Gemm.multiply(.none, .transposed, M: B, N: joined, K: U, A: states + previous * U, lda: L * U, B: whh, ldb: U,
                                  beta: 1, C: gates + t * G, ldc: L * G, threads: pass.threads)
                }
                if cell == .gru {
                    for b in 0..<B { (extra + (b * L + t) * U).update(from: bhh + 2 * U, count: U) }
                    if previous >= 0 {
                        Gemm.multiply(.none, .transposed, M: B, N: U, K: U, A: states + previous * U, lda: L * U, B: whh + 2 * U * U,
                                      ldb: U, beta: 1, C: extra + t * U, ldc: L * U, threads: pass.threads)
                    }
                }
                for b in 0..<B {
                    let row = gates + (b * L + t) * G, h = states + (b * L + t) * U, e = extra + (b * L + t) * cell.extra * U
                    let hPrevious: UnsafeMutablePointer<Float>? = previous >= 0 ? states + (b * L + previous) * U : nil
                    let ePrevious: UnsafeMutablePointer<Float>? = previous >= 0 ? extra + (b * L + previous) * cell.extra * U : nil
                    for u in 0..<U {
                        switch cell {
                        case .lstm:
                            let i = sigmoid(row[u]), f = sigmoid(row[U + u]), g = tanh(row[2 * U + u]), o = sigmoid(row[3 * U + u])
                            row[u] = i; row[U + u] = f; row[2 * U + u] = g; row[3 * U + u] = o
                            e[u] = f * (ePrevious?[u] ?? 0) + i * g
                            e[U + u] = tanh(e[u])
                            h[u] = o * e[U + u]
                        case .gru:
                            let r = sigmoid(row[u]), z = sigmoid(row[U + u]), n = tanh(row[2 * U + u] + r * e[u])
                            row[u] = r; row[U + u] = z; row[2 * U + u] = n
                            h[u] = (1 - z) * n + z * (hPrevious?[u] ?? 0)
                        case .rnnTanh:
                            row[u] = tanh(row[u])
                            h[u] = row[u]
                        case .rnnRelu:
                            row[u] = max(row[u], 0)
                            h[u] = row[u]
                        }
                    }
                }
            }
            // The output: every step's h, or the direction's last step's.
            for b in 0..<B {
                if returnSequences {
                    for t in 0..<L { (io.z + (b * L + t) * D * U + d * U).update(from: states + (b * L + t) * U, count: U) }
                } else {
                    (io.z + b * D * U + d * U).update(from: states + (b * L + step(L - 1, d)) * U, count: U)
                }
            }
        }
    }

    public func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext) {
        let B = pass.rows, L = length, F = features, U = units, G = cell.gates * U, D = directions
        let dh = io.saved! + D * B * savedPerSample, dc = dh + B * U, before = dc + B * U
        let joined = cell == .gru ? 2 * U : G
        for d in 0..<D {
            let (wih, whh, _, _) = tensors(io.parameters!, d)
            let (dwih, dwhh, dbih, dbhh) = tensors(io.gradients!, d)
            let (gates, extra, states) = blocks(io.saved!, d, B)
            dh.update(repeating: 0, count: 2 * B * U)
            for s in stride(from: L - 1, through: 0, by: -1) {
                let t = step(s, d), previous = s > 0 ? step(s - 1, d) : -1
                for b in 0..<B {
                    let row = gates + (b * L + t) * G, e = extra + (b * L + t) * cell.extra * U, h = states + (b * L + t) * U
                    let hPrevious: UnsafeMutablePointer<Float>? = previous >= 0 ? states + (b * L + previous) * U : nil
                    let ePrevious: UnsafeMutablePointer<Float>? = previous >= 0 ? extra + (b * L + previous) * cell.extra * U : nil
                    let dhb = dh + b * U, dcb = dc + b * U
                    // ∂L/∂h of this step: from the output, and (in dh) from the step after it.
                    if returnSequences {
                        let out = dz + (b * L + t) * D * U + d * U
                        for u in 0..<U { dhb[u] += out[u] }
                    } else if s == L - 1 {
                        let out = dz + b * D * U + d * U
                        for u in 0..<U { dhb[u] += out[u] }
                    }
                    // The gates' gradients over the gates; what reaches h_previous directly stays in dh.
                    for u in 0..<U {
                        switch cell {
                        case .lstm:
                            let i = row[u], f = row[U + u], g = row[2 * U + u], o = row[3 * U + u]
                            let tanhC = e[U + u]
                            let dC = dcb[u] + dhb[u] * o * (1 - tanhC * tanhC)
                            let dO = dhb[u] * tanhC
                            let dI = dC * g, dG = dC * i, dF = dC * (ePrevious?[u] ?? 0)
                            dcb[u] = dC * f
                            row[u] = dI * i * (1 - i)
                            row[U + u] = dF * f * (1 - f)
                            row[2 * U + u] = dG * (1 - g * g)
                            row[3 * U + u] = dO * o * (1 - o)
                            dhb[u] = 0
                        case .gru:
                            let r = row[u], z = row[U + u], n = row[2 * U + u], hp = hPrevious?[u] ?? 0
                            let dN = dhb[u] * (1 - z) * (1 - n * n)
                            let dR = dN * e[u]
                            row[u] = dR * r * (1 - r)
                            row[U + u] = dhb[u] * (hp - n) * z * (1 - z)
                            row[2 * U + u] = dN
                            e[u] = dN * r  // ∂L/∂(W_hn h + b_hn)
                            dhb[u] *= z
                        case .rnnTanh:
                            row[u] = dhb[u] * (1 - h[u] * h[u])
                            dhb[u] = 0
                        case .rnnRelu:
                            row[u] = h[u] > 0 ? dhb[u] : 0
                            dhb[u] = 0
                        }
                    }
                }
                // Through h·W_hhᵀ: the previous step's ∂L/∂h.
                guard previous >= 0 else { continue }
                Gemm.multiply(.none, .none, M: B, N: U, K: joined, A: gates + t * G, lda: L * G, B: whh, ldb: U, beta: 1,
                              C: dh, ldc: U, threads: pass.threads)
                if cell == .gru {
                    Gemm.multiply(.none, .none, M: B, N: U, K: U, A: extra + t * U, lda: L * U, B: whh + 2 * U * U, ldb: U, beta: 1,
                                  C: dh, ldc: U, threads: pass.threads)
                }
            }
            // W_hh's gradient in one multiply over every step: each step's gate gradients against the state
            // it read (zero for the first step).
            for b in 0..<B {
                for s in 0..<L {
                    let t = step(s, d), row = before + (b * L + t) * U
                    if s > 0 { row.update(from: states + (b * L + step(s - 1, d)) * U, count: U) } else { row.update(repeating: 0, count: U) }
                }
            }
            Gemm.multiply(.transposed, .none, M: joined, N: U, K: B * L, A: gates, lda: G, B: before, ldb: U, beta: 1,
                          C: dwhh, ldc: U, threads: pass.threads)
            if cell == .gru {
                Gemm.multiply(.transposed, .none, M: U, N: U, K: B * L, A: extra, lda: U, B: before, ldb: U, beta: 1,
                              C: dwhh + 2 * U * U, ldc: U, threads: pass.threads)
            }
            // The input side of every step at once; bias_hh gets what bias_ih gets, gru's b_hn what W_hn·h got.
            DenseKernel.backward(dz: gates, x: io.x, w: wih, dw: dwih, db: dbih, dx: io.dx, B: B * L, I: F, O: G, threads: pass.threads)
            for r in 0 ..< B * L {
                let row = gates + r * G
                for k in 0..<joined { dbhh[k] += row[k] }
                if cell == .gru { let e = extra + r * U; for u in 0..<U { dbhh[2 * U + u] += e[u] } }
            }
        }
    }

    /// ONNX's LSTM, GRU or RNN (opset 17) on [length, batch, features], the gates reordered to ONNX's:
    /// lstm's (i, f, g, o) to (i, o, f, c), gru's (r, z, n) to (z, r, h) with linear_before_reset.
    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        let U = units, D = directions, L = length
        let blocks: [Int] = switch cell {
        case .lstm: [0, 3, 1, 2]
        case .gru: [1, 0, 2]
        case .rnnTanh, .rnnRelu: [0]
        }
        let order = graph.int64s(blocks.flatMap { block in (block * U ..< (block + 1) * U).map(Int64.init) })
        let zero = graph.int64s([0])
        func stacked(_ parts: [String]) -> String {
            let each = parts.map { graph.node("Unsqueeze", [$0, zero]) }
            return each.count == 1 ? each[0] : graph.node("Concat", each, [.int("axis", 0)])
        }
        let suffixes = bidirectional ? ["", "_reverse"] : [""]
        let reordered = { (tensor: String, graph: inout G) in graph.node("Gather", ["\(layer.name).\(tensor)", order], [.int("axis", 0)]) }
        let w = stacked(suffixes.map { reordered("weight_ih" + $0, &graph) })
        let r = stacked(suffixes.map { reordered("weight_hh" + $0, &graph) })
        let b = stacked(suffixes.map { suffix in
            graph.node("Concat", [reordered("bias_ih" + suffix, &graph), reordered("bias_hh" + suffix, &graph)], [.int("axis", 0)])
        })
        let x = graph.node("Transpose", [inputs[0]], [.ints("perm", [1, 0, 2])])
        var attributes: [ONNXAttribute] = [.int("hidden_size", U), .string("direction", bidirectional ? "bidirectional" : "forward")]
        switch cell {
        case .lstm: break
        case .gru: attributes.append(.int("linear_before_reset", 1))
        case .rnnTanh: attributes.append(.strings("activations", Array(repeating: "Tanh", count: D)))
        case .rnnRelu: attributes.append(.strings("activations", Array(repeating: "Relu", count: D)))
        }
        let y = graph.node(["lstm": "LSTM", "gru": "GRU", "rnn": "RNN"][cell.kind]!, [x, w, r, b], attributes)
        // Y is [L, D, B, U].
        if returnSequences {
            let perBatch = graph.node("Transpose", [y], [.ints("perm", [2, 0, 1, 3])])
            return graph.node("Reshape", [perBatch, graph.int64s([-1, Int64(L), Int64(D * U)])])
        }
        // The forward direction's last step, and the reverse direction's output at position 0.
        let lasts = (0..<D).map { d in
            let atStep = graph.node("Gather", [y, graph.int64s([Int64(step(L - 1, d))])], [.int("axis", 0)])
            return graph.node("Gather", [atStep, graph.int64s([Int64(d)])], [.int("axis", 1)])
        }
        let joined = lasts.count == 1 ? lasts[0] : graph.node("Concat", lasts, [.int("axis", 1)])
        let perBatch = graph.node("Transpose", [joined], [.ints("perm", [0, 2, 1, 3])])
        return graph.node("Reshape", [perBatch, graph.int64s([-1, Int64(D * U)])])
    }

    public func pytorch(_ layer: Layer, activation: String) -> String {
        let module = switch cell {
        case .lstm: "nn.LSTM"
        case .gru: "nn.GRU"
        case .rnnTanh: "lambda *shape, **options: nn.RNN(*shape, nonlinearity=\"tanh\", **options)"
        case .rnnRelu: "lambda *shape, **options: nn.RNN(*shape, nonlinearity=\"relu\", **options)"
        }
        return "Recurrent(\(module), \(cell.gates), \(features), \(units), bidirectional=\(Python.bool(bidirectional)), return_sequences=\(Python.bool(returnSequences)), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class Recurrent(Layer):
            """torch.nn.LSTM, GRU or RNN (batch_first=True) run with this layer's own parameters, named as dnnc saves them."""

            NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

            def __init__(self, module, gates, features, units, bidirectional, return_sequences, activation):
                super().__init__(activation)
                shapes = ((gates * units, features), (gates * units, units), (gates * units,), (gates * units,))
                self.suffixes = ("", "_reverse") if bidirectional else ("",)
                for suffix in self.suffixes:
                    for name, shape in zip(self.NAMES, shapes):
                        setattr(self, name + suffix, nn.Parameter(torch.zeros(*shape)))
                # Not a registered submodule: its own weights are replaced by this layer's in every call.
                self.rnn = [module(features, units, batch_first=True, bidirectional=bidirectional)]
                self.return_sequences = return_sequences

            def forward(self, x):
                weights = {f"{name}_l0{suffix}": getattr(self, name + suffix) for suffix in self.suffixes for name in self.NAMES}
                y, h = torch.func.functional_call(self.rnn[0], weights, (x,))
                h = h[0] if isinstance(h, tuple) else h  # an LSTM's (h_n, c_n)
                return self.activate(y if self.return_sequences else torch.cat(list(h), dim=1))
        """#
}
