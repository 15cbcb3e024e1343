// lstm: a long short-term memory layer over a sequence [length, features], as torch.nn.LSTM with
// batch_first: gates in PyTorch's order (i, f, g, o), weight_ih [4U, F], weight_hh [4U, U], bias_ih and
// bias_hh [4U], and the reverse direction's as `*_reverse`; the state starts at zero. It returns the last
// step's h, [units] (for the reverse direction the step at position 0, as PyTorch's h_n), or every step's,
// [length, units]; a bidirectional layer concatenates the forward direction's units and the reverse's.
//
//   i = σ(W_ii x + b_ii + W_hi h + b_hi)    f = σ(W_if x + b_if + W_hf h + b_hf)
//   g = tanh(W_ig x + b_ig + W_hg h + b_hg) o = σ(W_io x + b_io + W_ho h + b_ho)
//   c' = f ⊙ c + i ⊙ g                      h' = o ⊙ tanh(c')
//
// The input projections of every step are one matrix multiply; each step adds h·W_hhᵀ. Backward runs
// through time, writing each step's gate gradients over the gates it saved, then multiplies once more for
// the input side.

import Foundation
import DNNSyntax

public struct LSTM: LayerOp, Equatable {
    public var features: Int
    public var units: Int
    public var length: Int
    public var bidirectional: Bool
    public var returnSequences: Bool

    public static let kinds = [
        ChoiceKind(name: "lstm", params: [
            .required("units", .integer(.size), "the hidden state's size U"),
            .optional("return_sequences", .boolean, default: .bool(false),
                      "output every step, [length, units], instead of the last step's [units]"),
            .optional("bidirectional", .boolean, default: .bool(false),
                      "also run the sequence backwards; the outputs are concatenated, forward first"),
            Language.nameField, Language.inputsField,
        ], doc: "long short-term memory over [length, features], as torch.nn.LSTM(batch_first=True); weight_ih [4U, F], weight_hh [4U, U], bias_ih, bias_hh [4U], gates (i, f, g, o)"),
    ]

    public static func lower(_ layer: inout LayerSpec) -> LoweredLayer? {
        let shape = layer.shape, choice = layer.choice
        guard shape.count == 2 else {
            return layer.fail("lstm `\(layer.name)` reads a sequence [length, features], but its input has shape \(shape)",
                              help: "an embedding gives [length, dim]; `reshape: {shape: [length, features]}` makes one from a flat row")
        }
        let U = choice["units"]!.int!, bidirectional = choice["bidirectional"]!.bool!, sequences = choice["return_sequences"]!.bool!
        let L = shape[0], F = shape[1], D = bidirectional ? 2 : 1, G = 4 * U
        // torch.nn.LSTM's default: every tensor uniform on ±1/sqrt(U).
        let bound = 1 / Double(U).squareRoot()
        let uniform = Initializer.uniform(low: -bound, high: bound)
        var parameters: [Parameter] = []
        for suffix in bidirectional ? ["", "_reverse"] : [""] {
            parameters += [layer.parameter("weight_ih" + suffix, .weight, [G, F], uniform, fanIn: F, fanOut: G),
                           layer.parameter("weight_hh" + suffix, .weight, [G, U], uniform, fanIn: U, fanOut: G),
                           layer.parameter("bias_ih" + suffix, .bias, [G], uniform, fanIn: F, fanOut: G),
                           layer.parameter("bias_hh" + suffix, .bias, [G], uniform, fanIn: U, fanOut: G)]
        }
        let op = LSTM(features: F, units: U, length: L, bidirectional: bidirectional, returnSequences: sequences)
        return LoweredLayer(op, output: sequences ? [L, D * U] : [D * U], parameters: parameters, width: choice["units"]!.range)
    }

    public var fingerprint: String {
        "lstm(features: \(features), units: \(units), length: \(length), bidirectional: \(bidirectional), returnSequences: \(returnSequences))"
    }
    public var name: String { "lstm" }
    public var facts: OpFacts { OpFacts(mixesThroughWeights: true, outputsSequence: true) }

    var directions: Int { bidirectional ? 2 : 1 }
    /// Values per direction of the saved gates (4U), cells (U) and states (U) of every step of a sample.
    var savedPerSample: Int { length * 6 * units }

    /// Per direction and sample, every step's gates (after their activations; backward overwrites them
    /// with their gradients), cells and states; then two [B, U] rows of backward's running gradients.
    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers {
        OpBuffers(saved: capacity * (directions * savedPerSample + 2 * units))
    }

    public func multiplyAdds(_ layer: Layer) -> Int { directions * length * 4 * units * (features + units) }

    /// The parameters of direction d: weight_ih, weight_hh, bias_ih, bias_hh, as declared.
    func tensors(_ base: UnsafeMutablePointer<Float>, _ d: Int) -> (wih: UnsafeMutablePointer<Float>, whh: UnsafeMutablePointer<Float>,
                                                                   bih: UnsafeMutablePointer<Float>, bhh: UnsafeMutablePointer<Float>) {
        let G = 4 * units
        let wih = base + d * (G * features + G * units + 2 * G)
        return (wih, wih + G * features, wih + G * features + G * units, wih + G * features + G * units + G)
    }

    /// The step direction d takes at its s-th step.
    @inline(__always) func step(_ s: Int, _ d: Int) -> Int { d == 0 ? s : length - 1 - s }

    public func forward(_ io: LayerIO, _ pass: inout PassContext) {
        let B = pass.rows, L = length, F = features, U = units, G = 4 * U, D = directions
        for d in 0..<D {
            let (wih, whh, bih, bhh) = tensors(io.parameters!, d)
            let gates = io.saved! + d * B * savedPerSample, cells = gates + B * L * G, states = cells + B * L * U
            // Every step's input projection at once, both biases added.
            DenseKernel.forward(z: gates, x: io.x, w: wih, b: bih, B: B * L, I: F, O: G, threads: pass.threads)
            for r in 0 ..< B * L { let row = gates + r * G; for k in 0..<G { row[k] += bhh[k] } }
            for s in 0..<L {
                let t = step(s, d), previous = s > 0 ? step(s - 1, d) : -1
                if previous >= 0 {
                    Gemm.multiply(.none, .transposed, M: B, N: G, K: U, A: states + previous * U, lda: L * U, B: whh, ldb: U,
                                  beta: 1, C: gates + t * G, ldc: L * G, threads: pass.threads)
                }
                for b in 0..<B {
                    let row = gates + (b * L + t) * G, c = cells + (b * L + t) * U, h = states + (b * L + t) * U
                    let cPrevious: UnsafeMutablePointer<Float>? = previous >= 0 ? cells + (b * L + previous) * U : nil
                    for u in 0..<U {
                        let i = sigmoid(row[u]), f = sigmoid(row[U + u]), g = Foundation.tanh(row[2 * U + u]), o = sigmoid(row[3 * U + u])
                        row[u] = i; row[U + u] = f; row[2 * U + u] = g; row[3 * U + u] = o
                        c[u] = f * (cPrevious?[u] ?? 0) + i * g
                        h[u] = o * Foundation.tanh(c[u])
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
        let B = pass.rows, L = length, F = features, U = units, G = 4 * U, D = directions
        let dh = io.saved! + D * B * savedPerSample, dc = dh + B * U
        for d in 0..<D {
            let (wih, whh, _, _) = tensors(io.parameters!, d)
            let (dwih, dwhh, dbih, dbhh) = tensors(io.gradients!, d)
            let gates = io.saved! + d * B * savedPerSample, cells = gates + B * L * G, states = cells + B * L * U
            dh.update(repeating: 0, count: 2 * B * U)
            for s in stride(from: L - 1, through: 0, by: -1) {
                let t = step(s, d), previous = s > 0 ? step(s - 1, d) : -1
                for b in 0..<B {
                    let row = gates + (b * L + t) * G, c = cells + (b * L + t) * U
                    let cPrevious: UnsafeMutablePointer<Float>? = previous >= 0 ? cells + (b * L + previous) * U : nil
                    let dhb = dh + b * U, dcb = dc + b * U
                    // ∂L/∂h of this step: from the output, and (in dh) from the step after it.
                    if returnSequences {
                        let out = dz + (b * L + t) * D * U + d * U
                        for u in 0..<U { dhb[u] += out[u] }
                    } else if s == L - 1 {
                        let out = dz + b * D * U + d * U
                        for u in 0..<U { dhb[u] += out[u] }
                    }
                    for u in 0..<U {
                        let i = row[u], f = row[U + u], g = row[2 * U + u], o = row[3 * U + u]
                        let tanhC = Foundation.tanh(c[u])
                        let dC = dcb[u] + dhb[u] * o * (1 - tanhC * tanhC)
                        let dO = dhb[u] * tanhC
                        let dI = dC * g, dG = dC * i, dF = dC * (cPrevious?[u] ?? 0)
                        dcb[u] = dC * f
                        row[u] = dI * i * (1 - i)
                        row[U + u] = dF * f * (1 - f)
                        row[2 * U + u] = dG * (1 - g * g)
                        row[3 * U + u] = dO * o * (1 - o)
                    }
                }
                // Through h·W_hhᵀ: the previous step's ∂L/∂h, and W_hh's gradient.
                if previous >= 0 {
                    Gemm.multiply(.none, .none, M: B, N: U, K: G, A: gates + t * G, lda: L * G, B: whh, ldb: U, beta: 0,
                                  C: dh, ldc: U, threads: pass.threads)
                    Gemm.multiply(.transposed, .none, M: G, N: U, K: B, A: gates + t * G, lda: L * G, B: states + previous * U,
                                  ldb: L * U, beta: 1, C: dwhh, ldc: U, threads: pass.threads)
                }
            }
            // The input side of every step at once; bias_hh gets what bias_ih gets.
            DenseKernel.backward(dz: gates, x: io.x, w: wih, dw: dwih, db: dbih, dx: io.dx, B: B * L, I: F, O: G, threads: pass.threads)
            for r in 0 ..< B * L { let row = gates + r * G; for k in 0..<G { dbhh[k] += row[k] } }
        }
    }

    @inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + Foundation.exp(-x)) }

    /// ONNX's LSTM (opset 17) on [length, batch, features], its gates reordered to ONNX's (i, o, f, c).
    public func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String {
        let U = units, D = directions, L = length
        let order = graph.int64s((0..<U).map(Int64.init) + (3 * U ..< 4 * U).map(Int64.init)
                                 + (U ..< 2 * U).map(Int64.init) + (2 * U ..< 3 * U).map(Int64.init))
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
        let y = graph.node("LSTM", [x, w, r, b], [.int("hidden_size", U), .string("direction", bidirectional ? "bidirectional" : "forward")])
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
        "LSTM(\(features), \(units), bidirectional=\(Python.bool(bidirectional)), return_sequences=\(Python.bool(returnSequences)), activation=\(activation))"
    }

    public static let pythonClass = #"""
        class LSTM(Layer):
            """torch.nn.LSTM(batch_first=True) run with this layer's own parameters, named as dnnc saves them."""

            NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

            def __init__(self, features, units, bidirectional, return_sequences, activation):
                super().__init__(activation)
                shapes = ((4 * units, features), (4 * units, units), (4 * units,), (4 * units,))
                self.suffixes = ("", "_reverse") if bidirectional else ("",)
                for suffix in self.suffixes:
                    for name, shape in zip(self.NAMES, shapes):
                        setattr(self, name + suffix, nn.Parameter(torch.zeros(*shape)))
                # Not a registered submodule: its own weights are replaced by this layer's in every call.
                self.lstm = [nn.LSTM(features, units, batch_first=True, bidirectional=bidirectional)]
                self.return_sequences = return_sequences

            def forward(self, x):
                weights = {f"{name}_l0{suffix}": getattr(self, name + suffix) for suffix in self.suffixes for name in self.NAMES}
                y, (h, _) = torch.func.functional_call(self.lstm[0], weights, (x,))
                return self.activate(y if self.return_sequences else torch.cat(list(h), dim=1))
        """#
}
