// Gradient checks by central differences: every activation, every loss, and every layer kind inside
// whole networks. Kernels compute in Float; the difference quotient D(h) = (f(x+h) − f(x−h)) / 2h is
// taken in Double from Float evaluations, with Richardson's extrapolation (4·D(h/2) − D(h)) / 3,
// which cancels the h² term of the truncation error: with h = 1e-2 a strongly curved objective
// (batchnorm over 3 rows) is still exact to O(h⁴), and the rounding error (~1e-7·|f| / h) stays near
// 1e-5 for objectives near 1. Hence rtol 1e-3, atol 1e-4.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

let gradientTolerance = (rtol: 1e-3, atol: 1e-4)

/// Deterministic test values from the project's generator, kept away from the kinks at 0.
func testValues(_ n: Int, seed: UInt64, scale: Double = 1.5, awayFromZero: Double = 0.05) -> [Float] {
    var rng = RandomStream(seed: seed, stream: 9)
    return (0..<n).map { _ in
        var x = 0.0
        repeat { x = scale * (2 * rng.uniform() - 1) } while abs(x) < awayFromZero
        return Float(x)
    }
}

/// ∂f/∂x for each of `count` values, read and written through the closures: the central difference
/// (f(x + h) − f(x − h)) / 2h at h and h/2, combined by Richardson's extrapolation.
func centralDifferences(count: Int, h: Float = 1e-2, read: (Int) -> Float, write: (Int, Float) -> Void,
                        objective: () -> Double) -> [Double] {
    (0..<count).map { i in
        let x = read(i)
        func quotient(_ h: Float) -> Double {
            write(i, x + h); let plus = objective()
            write(i, x - h); let minus = objective()
            write(i, x)
            // The step actually taken, after Float rounding of x ± h.
            return (plus - minus) / (Double(x + h) - Double(x - h))
        }
        return (4 * quotient(h / 2) - quotient(h)) / 3
    }
}

struct GradientTests {
    static let activations: [Activation] = [
        .identity, .relu, .relu6, .leakyRelu(alpha: 0.1), .prelu(initialSlope: 0.25), .elu(alpha: 1.0), .selu,
        .gelu(tanh: false), .gelu(tanh: true), .sigmoid, .hardSigmoid, .tanh, .softplus, .softsign, .silu, .mish,
        .softmax(axis: -1), .softmax(axis: 0), .logSoftmax(axis: -1), .logSoftmax(axis: 0),
    ]

    /// Each activation on a batch of 3 samples of shape [2, 3] (prelu: a slope per channel, 2).
    @Test(arguments: activations)
    func activationBackwardMatchesCentralDifferences(_ activation: Activation) {
        let B = 3, shape = [2, 3], S = 6, n = B * S
        var z = testValues(n, seed: 1, scale: 4)
        // relu6 and hard_sigmoid have kinks at 0, 6, ±3: keep away from them.
        for i in 0..<n where [0, 6, 3, -3].contains(where: { abs(z[i] - $0) < 0.05 }) { z[i] += 0.1 }
        var slope = testValues(2, seed: 2, scale: 0.5)
        let weights = testValues(n, seed: 3)  // L = Σ weights · f(z), so ∂L/∂a = weights
        func objective(_ z: [Float], _ slope: [Float]) -> Double {
            var a = [Float](repeating: 0, count: n)
            ActivationKernel.forward(activation, z: z, a: &a, slope: slope, B: B, shape: shape)
            return zip(a, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        var a = [Float](repeating: 0, count: n), dz = [Float](repeating: 0, count: n)
        var dslope = [Float](repeating: 0, count: 2)
        ActivationKernel.forward(activation, z: z, a: &a, slope: slope, B: B, shape: shape)
        ActivationKernel.backward(activation, z: z, a: a, da: weights, dz: &dz, slope: slope, dslope: &dslope, B: B, shape: shape)
        let numeric = centralDifferences(count: n, read: { z[$0] }, write: { z[$0] = $1 }) { objective(z, slope) }
        let check = closeness(dz, numeric, rtol: gradientTolerance.rtol, atol: gradientTolerance.atol)
        #expect(check.worst <= 1, "\(activation): dz[\(check.index)] = \(dz[max(check.index, 0)]) vs \(numeric[max(check.index, 0)])")
        if activation.function is PReLU {
            let numericSlope = centralDifferences(count: 2, read: { slope[$0] }, write: { slope[$0] = $1 }) {
                objective(z, slope)
            }
            let slopeCheck = closeness(dslope, numericSlope, rtol: gradientTolerance.rtol, atol: gradientTolerance.atol)
            #expect(slopeCheck.worst <= 1, "prelu dslope \(dslope) vs \(numericSlope)")
            #expect(numericSlope.contains { abs($0) > 0.1 }, "the check must exercise negative inputs")
        }
    }

    static let losses: [(Loss, classes: Bool)] = [
        (.mse(.mean), false), (.mse(.sum), false), (.sse, false), (.mae(.mean), false), (.huber(delta: 0.5, .mean), false),
        (.smoothL1(beta: 0.5, .sum), false), (.bce(.mean), false), (.bceWithLogits(.mean), false),
        (.crossEntropy(labelSmoothing: 0, .mean), true), (.crossEntropy(labelSmoothing: 0.1, .sum), true),
        (.crossEntropy(labelSmoothing: 0.2, .mean), false), (.nll(.mean), true),
    ]

    /// Each loss on 4 rows of 3 outputs; class losses against indices, cross_entropy also against
    /// probability rows.
    @Test(arguments: 0..<losses.count)
    func lossBackwardMatchesCentralDifferences(_ index: Int) {
        let (loss, classes) = Self.losses[index]
        let B = 4, O = 3, n = B * O, T = classes ? 1 : O
        var p = testValues(n, seed: 4)
        var t = testValues(n, seed: 5)
        if loss.name == "bce" {
            p = p.map { 0.5 + 0.4 * $0 / 1.5 }
            t = t.map { abs($0) / 1.5 }
        }
        if loss.name == "cross_entropy", !classes {
            // Probability rows.
            for r in 0..<B {
                let row = t[r * O ..< r * O + O].map { abs($0) }, sum = row.reduce(0, +)
                for k in 0..<O { t[r * O + k] = row[k] / sum }
            }
        }
        if classes { t = [2, 0, 1, 2] }
        // Keep |p − t| away from the kinks of mae (0) and huber / smooth_l1 (0.5).
        if ["mae", "huber", "smooth_l1"].contains(loss.name) {
            for i in 0..<n where abs(abs(p[i] - t[i]) - 0.5) < 0.05 || abs(p[i] - t[i]) < 0.05 { p[i] += 0.2 }
        }
        var dp = [Float](repeating: 0, count: n)
        LossKernel.backward(loss, p: p, t: t, dp: &dp, B: B, O: O, T: T)
        let numeric = centralDifferences(count: n, read: { p[$0] }, write: { p[$0] = $1 }) {
            Double(LossKernel.forward(loss, p: p, t: t, B: B, O: O, T: T))
        }
        let check = closeness(dp, numeric, rtol: gradientTolerance.rtol, atol: gradientTolerance.atol)
        #expect(check.worst <= 1, "\(loss): dp[\(check.index)] = \(dp[max(check.index, 0)]) vs \(numeric[max(check.index, 0)])")
    }

    @Test func lossValuesFollowTheirDefinitions() {
        let p: [Float] = [1, 2, 4], t: [Float] = [0, 2, 1]
        func value(_ loss: Loss) -> Float { LossKernel.forward(loss, p: p, t: t, B: 1, O: 3, T: 3) }
        #expect(value(.mse(.mean)) == 10.0 / 3)
        #expect(value(.sse) == 10 && value(.mse(.sum)) == 10)
        #expect(value(.mae(.mean)) == 4.0 / 3)
        // huber, delta 1: |d| = 1 is not below delta, so linear: 1·(1 − 0.5) = 0.5; 0; 1·(3 − 0.5)
        #expect(value(.huber(delta: 1, .mean)) == Float(0.5 + 0 + 2.5) / 3)
        // cross_entropy of logits [1, 2, 4] against class 2: log(e + e² + e⁴) − 4.
        let ce = LossKernel.forward(.crossEntropy(labelSmoothing: 0, .mean), p: p, t: [2], B: 1, O: 3, T: 1)
        #expect(abs(Double(ce) - (log(exp(1.0) + exp(2.0) + exp(4.0)) - 4)) < 1e-6)
    }

    /// Max pooling on values at least 0.1 apart, so that no step of h moves a window's maximum.
    @Test func maxPoolingBackwardMatchesCentralDifferences() {
        let pool = Pooling(isMax: true, channels: 2, input: (5, 5), output: (3, 3), size: (3, 3), stride: (2, 2), padding: (1, 1))
        let n = 2 * 2 * 25, m = 2 * 2 * 9
        var rng = RandomStream(seed: 3, stream: 9)
        var order = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, rng.index(below: i + 1)) }
        var x = order.map { Float($0) * 0.1 - 5 }
        let weights = testValues(m, seed: 8)
        var z = [Float](repeating: 0, count: m), argmax = [Int32](repeating: 0, count: m)
        func objective() -> Double {
            PoolingKernel.forward(pool, x: x, z: &z, argmax: &argmax, B: 2)
            return zip(z, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        _ = objective()
        var dx = [Float](repeating: 0, count: n)
        PoolingKernel.backward(pool, dz: weights, argmax: argmax, dx: &dx, B: 2)
        let numeric = centralDifferences(count: n, read: { x[$0] }, write: { x[$0] = $1 }, objective: objective)
        let check = closeness(dx, numeric, rtol: gradientTolerance.rtol, atol: gradientTolerance.atol)
        #expect(check.worst <= 1, "maxpool dx[\(check.index)] = \(dx[max(check.index, 0)]) vs \(numeric[max(check.index, 0)])")
        #expect(dx.filter { $0 != 0 }.count >= 9, "each window routes its gradient to its maximum")
    }

    /// The specs whose whole networks the next test checks: every layer kind, with the options that
    /// change its arithmetic (stride, padding, dilation, groups, bias off). Activations with kinks
    /// (relu, prelu) stay out of the convolutions: a step of h can carry a value across the kink, and
    /// the activation test above checks them on values kept away from it. Glorot-scaled weights keep
    /// the loss near 1, where Float's rounding of the objective stays far below the tolerance.
    static let networks: [(name: String, input: String, rows: String, layers: String)] = [
        ("dense", "[3]", "[[0.5, -1.2, 0.3], [1.1, 0.4, -0.7], [-0.3, 0.9, 1.5]]",
         "- dense: {units: 4, activation: tanh}\n- dense: {units: 2, bias: false}"),
        ("conv2d", "[2, 4, 5]", "", "- conv2d: {filters: 3, kernel: [2, 3], stride: [1, 2], padding: 1, activation: silu}\n- flatten\n- dense: {units: 2}"),
        ("conv2d same dilated grouped", "[2, 5, 5]", "", "- conv2d: {filters: 4, kernel: 3, padding: same, dilation: 2, groups: 2, activation: elu}\n- global_avgpool\n- dense: {units: 2}"),
        ("conv1d", "[2, 7]", "", "- conv1d: {filters: 3, kernel: 3, stride: 2, activation: elu}\n- flatten\n- dense: {units: 2}"),
        ("pooling", "[2, 6, 6]", "", "- conv2d: {filters: 2, kernel: 3, padding: 1}\n- avgpool2d: {size: 2}\n- avgpool2d: {size: 3, stride: 1, padding: 1}\n- flatten\n- dense: {units: 2}"),
        ("batchnorm", "[3]", "", "- dense: {units: 4}\n- batchnorm\n- activation: {fn: gelu}\n- dense: {units: 2}"),
        ("batchnorm conv", "[2, 3, 3]", "", "- conv2d: {filters: 3, kernel: 2}\n- batchnorm\n- flatten\n- dense: {units: 2}"),
        ("layernorm", "[2, 3]", "", "- layernorm\n- reshape: {shape: [6]}\n- dense: {units: 2, activation: mish}"),
        ("residual", "[3]", "", "- dense: {units: 3, name: a, activation: tanh}\n- dense: {units: 3, name: b, activation: softsign}\n- add: {inputs: [a, b, input]}\n- multiply: {inputs: [add_1, a]}\n- concat: {inputs: [multiply_1, b], activation: softplus}\n- dense: {units: 2}"),
        ("dropout", "[3]", "", "- dense: {units: 6, activation: relu6}\n- dropout: {rate: 0.5}\n- dense: {units: 2, activation: {softmax: {axis: 0}}}"),
        ("embedding", "[2]", "[[0, 3], [2, 1], [4, 4]]", "- embedding: {vocab: 5, dim: 3}\n- flatten\n- dense: {units: 2, l1: 0.1, l2: 0.2}"),
        ("permute, rmsnorm, 1-d pooling", "[2, 6]", "", "- conv1d: {filters: 3, kernel: 2, activation: tanh}\n- permute: {dims: [1, 0]}\n- rmsnorm\n- permute: {dims: [1, 0]}\n- avgpool1d: {size: 2, stride: 1, padding: 1}\n- maxpool1d: {size: 2}\n- flatten\n- dense: {units: 2}"),
        ("transposed convolution, upsample, groupnorm", "[2, 3, 3]", "", "- conv_transpose2d: {filters: 4, kernel: 3, stride: 2, padding: 1, output_padding: 1, groups: 2, activation: tanh}\n- upsample: {scale: 2, mode: bilinear}\n- groupnorm: {groups: 2}\n- avgpool2d: {size: 4}\n- upsample: {scale: [1, 2]}\n- global_maxpool\n- dense: {units: 2}"),
        ("lstm, both directions, every step then the last", "[3]", "",
         "- dense: {units: 12, activation: tanh}\n- reshape: {shape: [4, 3]}\n- lstm: {units: 3, bidirectional: true, return_sequences: true}\n- lstm: {units: 2, bidirectional: true}\n- dense: {units: 2}"),
        ("lstm on an embedding", "[4]", "[[0, 3, 1, 2], [2, 1, 4, 4], [4, 0, 0, 3]]",
         "- embedding: {vocab: 5, dim: 3}\n- lstm: {units: 3, return_sequences: true}\n- flatten\n- dense: {units: 2}"),
        // rnn with relu has its kink: its gradients are checked against PyTorch's instead
        // (Fixtures/rnn-relu-*.json, first step's gradients to 1e-5).
        ("attention: self, causal, cross with fewer keys", "[12]", "",
         "- dense: {units: 12, activation: tanh}\n- reshape: {shape: [4, 3]}\n- attention: {heads: 1, dropout: 0.3, name: self}\n- attention: {heads: 3, causal: true, name: causal}\n- permute: {dims: [1, 0]}\n- conv1d: {filters: 3, kernel: 2}\n- permute: {dims: [1, 0], name: memory}\n- attention: {heads: 3, inputs: [causal, memory]}\n- flatten\n- dense: {units: 2}"),
        ("positions", "[4]", "[[0, 3, 1, 2], [2, 1, 4, 4], [4, 0, 0, 3]]",
         "- embedding: {vocab: 5, dim: 3}\n- position_embedding: {max_length: 6}\n- sinusoidal_position\n- attention: {heads: 1}\n- flatten\n- dense: {units: 2}"),
        ("padding: masked keys, the mean over the tokens", "[4]", "[[1, 3, 0, 0], [2, 1, 4, 0], [4, 2, 1, 3]]",
         "- embedding: {vocab: 5, dim: 4, padding_index: 0}\n- attention: {heads: 2}\n- permute: {dims: [1, 0]}\n- global_avgpool\n- dense: {units: 2}"),
        ("gru and rnn, both directions", "[3]", "",
         "- dense: {units: 12, activation: tanh}\n- reshape: {shape: [4, 3]}\n- gru: {units: 3, bidirectional: true, return_sequences: true}\n- rnn: {units: 3, return_sequences: true}\n- gru: {units: 2}\n- dense: {units: 2}"),
    ]

    /// The whole network: ∂loss/∂θ from backward against central differences, for every layer kind
    /// and every loss shape.
    @Test(arguments: 0..<networks.count, ["mse", "{huber: {delta: 0.3}}", "cross_entropy"])
    func networkGradientsMatchCentralDifferences(_ index: Int, _ loss: String) throws {
        let net = Self.networks[index]
        let shape = net.input.dropFirst().dropLast().split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }
        let width = shape.reduce(1, *)
        let rows = net.rows.isEmpty
            ? "[" + (0..<3).map { r in "[" + testValues(width, seed: UInt64(10 + r)).map { "\($0)" }.joined(separator: ", ") + "]" }.joined(separator: ", ") + "]"
            : net.rows
        let targets = loss == "cross_entropy" ? "[[1], [0], [1]]" : "[[0.2, -0.4], [1.0, 0.3], [-0.6, 0.8]]"
        let text = """
            dnnc: 1
            seed: 7
            data:
              train:
                inputs: \(rows)
                targets: \(targets)
            model:
              input: \(net.input)
              init: {weights: glorot_normal, bias: {uniform: {low: -0.3, high: 0.3}}}
              layers:
            \(net.layers.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            train: {loss: \(loss), optimizer: {sgd: {lr: 0.1}}, epochs: 1, batch_size: 3, shuffle: false}
            """
        try checkAgainstCentralDifferences(text, name: "\(net.name)/\(loss)")
    }

    /// A class per position, padded targets ignored: the loss over every position of a dense layer
    /// applied per position.
    @Test(arguments: ["{cross_entropy: {ignore_index: -100}}", "{cross_entropy: {ignore_index: 2, label_smoothing: 0.2}}"])
    func perPositionLossGradientsMatchCentralDifferences(_ loss: String) throws {
        let text = """
            dnnc: 1
            seed: 7
            data:
              train:
                inputs: [[1, 3, 0, 0], [2, 1, 4, 0], [4, 2, 1, 3]]
                targets: [[1, 0, -100, -100], [2, 2, 0, -100], [0, 1, 2, 1]]
            model:
              input: [4]
              layers:
                - embedding: {vocab: 5, dim: 3, padding_index: 0}
                - gru: {units: 3, return_sequences: true}
                - dense: {units: 3, activation: tanh}
                - dense: {units: 3}
            train: {loss: \(loss), optimizer: {sgd: {lr: 0.1}}, epochs: 1, batch_size: 3, shuffle: false}
            """
        try checkAgainstCentralDifferences(text.replacingOccurrences(of: "-100", with: loss.contains("-100") ? "-100" : "2"), name: loss)
    }

    /// A table's embedded and one-hot categorical columns (column_embedding, first in the network).
    @Test func columnEmbeddingGradientsMatchCentralDifferences() throws {
        let folder = try TableFolder(["t.csv": "city,x,kind,y\nParis,0.5,a,0.2\nLyon,-1.2,b,-0.4\nNice,0.9,a,1.0\n"])
        defer { folder.remove() }
        let result = folder.compile("""
            dnnc: 1
            seed: 7
            data:
              train: {inputs: {file: t.csv}, targets: {column: y}}
              types: {city: {categorical: {embedding: 2}}}
            model:
              input: [6]
              init: {weights: glorot_normal, bias: {uniform: {low: -0.3, high: 0.3}}}
              layers:
                - dense: {units: 3, activation: tanh}
                - dense: {units: 1}
            train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1, batch_size: 3, shuffle: false}
            """)
        let ir = try #require(result.model, "\(result.diagnostics.all.map(\.message))")
        #expect(ir.layers[0].kind is ColumnEmbedding && ir.inputShape == [5])
        try checkAgainstCentralDifferences(ir, name: "column_embedding")
    }

    func checkAgainstCentralDifferences(_ text: String, name checked: String) throws {
        try checkAgainstCentralDifferences(try model(text), name: checked)
    }

    func checkAgainstCentralDifferences(_ ir: ModelIR, name checked: String) throws {
        let trainer = Trainer(model: ir)
        let network = trainer.network
        network.training = true
        let dropoutStart = network.dropoutStream
        network.load(trainer.inputs, rows: ArraySlice(0..<3), into: network.x)
        network.load(trainer.targets, rows: ArraySlice(0..<3), into: network.t)
        // Every forward pass draws the same dropout mask.
        func lossValue() -> Double {
            network.dropoutStream = dropoutStart
            network.forward(rows: 3)
            return Double(network.loss(rows: 3))
        }
        _ = lossValue()
        network.backward(rows: 3)
        let analytic = Array(network.grads)
        let numeric = centralDifferences(count: network.parameterCount, read: { network.params[$0] },
                                         write: { network.params[$0] = $1 }, objective: lossValue)
        let check = closeness(analytic, numeric, rtol: gradientTolerance.rtol, atol: gradientTolerance.atol)
        let name = ir.parameters.enumerated().last { network.placement[$0.offset].offset <= max(check.index, 0) && network.placement[$0.offset].learnable }?.element.name ?? "?"
        #expect(check.worst <= 1, "\(checked): gradient \(check.index) (\(name)) is \(analytic[max(check.index, 0)]), central difference \(numeric[max(check.index, 0)])")
        #expect(analytic.contains { $0 != 0 }, "a gradient check over zeros proves nothing")
    }
}
