// Losses over a batch: predictions p (B, O) against targets t (B, T), where T is O, or 1 for class
// indices (cross_entropy, nll). The value, and ∂L/∂p. Element-wise losses average over all B·O values
// (reduction mean) or add them (sum); cross_entropy and nll average over the B samples, as PyTorch.

import Foundation

public enum LossKernel {
    /// The loss of the batch.
    public static func forward(_ loss: Loss, p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        var sum: Float = 0
        let n = B * O
        switch loss {
        case .mse, .sse:
            for i in 0..<n { let d = p[i] - t[i]; sum += d * d }
        case .mae:
            for i in 0..<n { sum += abs(p[i] - t[i]) }
        case .huber(let delta, _):
            for i in 0..<n {
                let d = abs(p[i] - t[i])
                sum += d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta)
            }
        case .smoothL1(let beta, _):
            for i in 0..<n {
                let d = abs(p[i] - t[i])
                sum += d < beta ? 0.5 * d * d / beta : d - 0.5 * beta
            }
        case .bce:
            for i in 0..<n {
                let logP = max(Foundation.log(p[i]), -100), log1mP = max(Foundation.log(1 - p[i]), -100)
                sum -= t[i] * logP + (1 - t[i]) * log1mP
            }
        case .bceWithLogits:
            for i in 0..<n {
                let x = p[i]
                sum += max(x, 0) - x * t[i] + log1p(exp(-abs(x)))
            }
        case .crossEntropy(let smoothing, _):
            for r in 0..<B {
                let row = p + r * O
                let logSum = logSumExp(row, O)
                for k in 0..<O {
                    let q = target(t, r, k, O: O, T: T, smoothing: smoothing)
                    if q != 0 { sum -= q * (row[k] - logSum) }
                }
            }
        case .nll:
            for r in 0..<B { sum -= p[r * O + Int(t[r])] }
        }
        return reduce(loss, sum, B: B, O: O)
    }

    /// dp = ∂L/∂p.  The sign of 0 is 0 for mae, as torch.sign gives.
    public static func backward(_ loss: Loss, p: UnsafePointer<Float>, t: UnsafePointer<Float>,
                                dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int) {
        let n = B * O
        let scale = reduce(loss, 1, B: B, O: O)
        switch loss {
        case .mse, .sse:
            for i in 0..<n { dp[i] = 2 * (p[i] - t[i]) * scale }
        case .mae:
            for i in 0..<n { let d = p[i] - t[i]; dp[i] = (d > 0 ? 1 : d < 0 ? -1 : 0) * scale }
        case .huber(let delta, _):
            for i in 0..<n { let d = p[i] - t[i]; dp[i] = (abs(d) < delta ? d : (d > 0 ? delta : -delta)) * scale }
        case .smoothL1(let beta, _):
            for i in 0..<n { let d = p[i] - t[i]; dp[i] = (abs(d) < beta ? d / beta : (d > 0 ? 1 : -1)) * scale }
        case .bce:
            // PyTorch's binary_cross_entropy_backward: (p − t) / max((1 − p)·p, 1e-12).
            for i in 0..<n { dp[i] = (p[i] - t[i]) / max((1 - p[i]) * p[i], 1e-12) * scale }
        case .bceWithLogits:
            for i in 0..<n { dp[i] = (sigmoid(p[i]) - t[i]) * scale }
        case .crossEntropy(let smoothing, _):
            for r in 0..<B {
                let row = p + r * O
                let logSum = logSumExp(row, O)
                for k in 0..<O {
                    dp[r * O + k] = (exp(row[k] - logSum) - target(t, r, k, O: O, T: T, smoothing: smoothing)) * scale
                }
            }
        case .nll:
            for i in 0..<n { dp[i] = 0 }
            for r in 0..<B { dp[r * O + Int(t[r])] = -scale }
        }
    }

    /// The divisor of the reduction: 1 for sum, B for the class losses, B·O for the others.
    static func reduce(_ loss: Loss, _ sum: Float, B: Int, O: Int) -> Float {
        guard loss.reduction == .mean else { return sum }
        return loss.isClassification ? sum / Float(B) : sum / Float(B * O)
    }

    /// Row r's target probability of class k: one-hot from an index (T = 1) or the given row, mixed
    /// with the uniform distribution by the label smoothing.
    @inline(__always)
    static func target(_ t: UnsafePointer<Float>, _ r: Int, _ k: Int, O: Int, T: Int, smoothing: Float) -> Float {
        let q: Float = T == 1 ? (Int(t[r]) == k ? 1 : 0) : t[r * O + k]
        return q * (1 - smoothing) + smoothing / Float(O)
    }

    static func logSumExp(_ row: UnsafePointer<Float>, _ count: Int) -> Float {
        var top = -Float.infinity
        for k in 0..<count { top = max(top, row[k]) }
        var sum: Float = 0
        for k in 0..<count { sum += exp(row[k] - top) }
        return top + Foundation.log(sum)
    }
}
