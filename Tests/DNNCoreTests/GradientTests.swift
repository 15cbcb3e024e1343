// Gradient checks by central differences: every activation, every loss, and the dense layer inside
// whole networks. Kernels compute in Float; the difference quotient (f(x+h) − f(x−h)) / 2h is taken
// in Double from Float evaluations with h = 1e-2, whose truncation error (h²·f'''/6) and rounding
// error (~1e-7·|f| / h) are both below 1e-4 relative at these scales: hence rtol 1e-3, atol 1e-4.

import Testing
@testable import DNNCore

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

/// (f(x + h) − f(x − h)) / 2h for each of `count` values, read and written through the closures.
func centralDifferences(count: Int, h: Float = 1e-2, read: (Int) -> Float, write: (Int, Float) -> Void,
                        objective: () -> Double) -> [Double] {
    (0..<count).map { i in
        let x = read(i)
        write(i, x + h); let plus = objective()
        write(i, x - h); let minus = objective()
        write(i, x)
        return (plus - minus) / Double(2 * h)
    }
}

struct GradientTests {
    static let activations: [Activation] = [.identity, .relu, .leakyRelu(alpha: 0.1), .prelu(initialSlope: 0.25), .sigmoid, .tanh]

    @Test(arguments: activations)
    func activationBackwardMatchesCentralDifferences(_ activation: Activation) {
        let B = 3, O = 4, n = B * O
        var z = testValues(n, seed: 1)
        var slope = testValues(O, seed: 2, scale: 0.5)
        let weights = testValues(n, seed: 3)  // L = Σ weights · f(z), so ∂L/∂a = weights
        func objective(_ z: [Float], _ slope: [Float]) -> Double {
            var a = [Float](repeating: 0, count: n)
            ActivationKernel.forward(activation, z: z, a: &a, slope: slope, B: B, O: O)
            return zip(a, weights).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        }
        var a = [Float](repeating: 0, count: n), dz = [Float](repeating: 0, count: n)
        var dslope = [Float](repeating: 0, count: O)
        ActivationKernel.forward(activation, z: z, a: &a, slope: slope, B: B, O: O)
        ActivationKernel.backward(activation, z: z, a: a, da: weights, dz: &dz, slope: slope, dslope: &dslope, B: B, O: O)
        let numeric = centralDifferences(count: n, read: { z[$0] }, write: { z[$0] = $1 }) { objective(z, slope) }
        let check = closeness(dz, numeric, rtol: gradientTolerance.rtol, atol: gradientTolerance.atol)
        #expect(check.worst <= 1, "\(activation.name): dz[\(check.index)] = \(dz[max(check.index, 0)]) vs \(numeric[max(check.index, 0)])")
        if case .prelu = activation {
            let numericSlope = centralDifferences(count: O, read: { slope[$0] }, write: { slope[$0] = $1 }) {
                objective(z, slope)
            }
            let slopeCheck = closeness(dslope, numericSlope, rtol: gradientTolerance.rtol, atol: gradientTolerance.atol)
            #expect(slopeCheck.worst <= 1, "prelu dslope \(dslope) vs \(numericSlope)")
            #expect(numericSlope.contains { abs($0) > 0.1 }, "the check must exercise negative inputs")
        }
    }

    static let losses: [Loss] = [.mse, .sse, .mae, .huber(delta: 0.5)]

    @Test(arguments: losses)
    func lossBackwardMatchesCentralDifferences(_ loss: Loss) {
        let n = 10
        var p = testValues(n, seed: 4)
        let t = testValues(n, seed: 5)
        // Keep |p − t| away from the kinks of mae (0) and huber (delta).
        for i in 0..<n where abs(abs(p[i] - t[i]) - 0.5) < 0.05 || abs(p[i] - t[i]) < 0.05 { p[i] += 0.2 }
        var dp = [Float](repeating: 0, count: n)
        LossKernel.backward(loss, p: p, t: t, dp: &dp, count: n)
        let numeric = centralDifferences(count: n, read: { p[$0] }, write: { p[$0] = $1 }) {
            Double(LossKernel.forward(loss, p: p, t: t, count: n))
        }
        let check = closeness(dp, numeric, rtol: gradientTolerance.rtol, atol: gradientTolerance.atol)
        #expect(check.worst <= 1, "\(loss): dp[\(check.index)] = \(dp[max(check.index, 0)]) vs \(numeric[max(check.index, 0)])")
    }

    @Test func lossValuesFollowTheirDefinitions() {
        let p: [Float] = [1, 2, 4], t: [Float] = [0, 2, 1]
        #expect(LossKernel.forward(.mse, p: p, t: t, count: 3) == 10.0 / 3)
        #expect(LossKernel.forward(.sse, p: p, t: t, count: 3) == 10)
        #expect(LossKernel.forward(.mae, p: p, t: t, count: 3) == 4.0 / 3)
        // huber, delta 1: 0.5·1² (|d| = 1 is not below delta, so linear: 1·(1 − 0.5)) = 0.5; 0; 1·(3 − 0.5)
        #expect(LossKernel.forward(.huber(delta: 1), p: p, t: t, count: 3) == Float(0.5 + 0 + 2.5) / 3)
    }

    /// The whole network, dense layers included: ∂loss/∂θ from backward against central differences.
    @Test(arguments: ["tanh", "{leaky_relu: {alpha: 0.2}}", "prelu", "sigmoid", "relu"],
          ["mse", "sse", "mae", "{huber: {delta: 0.3}}"])
    func networkGradientsMatchCentralDifferences(_ activation: String, _ loss: String) throws {
        let text = """
            dnnc: 1
            seed: 7
            data:
              train:
                inputs: [[0.5, -1.2, 0.3], [1.1, 0.4, -0.7], [-0.3, 0.9, 1.5]]
                targets: [[0.2, -0.4], [1.0, 0.3], [-0.6, 0.8]]
            model:
              input: [3]
              init: {weights: {normal: {stddev: 0.8}}, bias: {uniform: {low: -0.3, high: 0.3}}}
              layers:
                - dense: {units: 4, activation: \(activation), name: hidden}
                - dense: {units: 2, activation: \(activation == "prelu" ? "prelu" : "identity"), name: out}
            train: {loss: \(loss), optimizer: {sgd: {lr: 0.1}}, epochs: 1, batch_size: 3, shuffle: false}
            """
        let ir = try model(text)
        let trainer = Trainer(model: ir)
        let net = trainer.network
        net.load(trainer.inputs, rows: ArraySlice(0..<3), into: net.x)
        net.load(trainer.targets, rows: ArraySlice(0..<3), into: net.t)
        func lossValue() -> Double { net.forward(rows: 3); return Double(net.loss(rows: 3)) }
        _ = lossValue()
        net.backward(rows: 3)
        let analytic = Array(net.grads)
        let numeric = centralDifferences(count: net.parameterCount, read: { net.params[$0] },
                                         write: { net.params[$0] = $1 }, objective: lossValue)
        let check = closeness(analytic, numeric, rtol: gradientTolerance.rtol, atol: gradientTolerance.atol)
        #expect(check.worst <= 1, "\(activation)/\(loss): gradient \(check.index) is \(analytic[max(check.index, 0)]), central difference \(numeric[max(check.index, 0)])")
        #expect(analytic.contains { $0 != 0 }, "a gradient check over zeros proves nothing")
    }
}
