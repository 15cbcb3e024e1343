// The loops of parameter updates with PyTorch's exact update rules (torch/optim/*.py, the single-tensor
// path), so a run can be compared with PyTorch step by step; each optimizer's rule (Ops/Optimizers/)
// calls them. p, g and the state buffers s1, s2, s3 are flat over
// the learnable parameters, of length n. Hyperparameters arrive as Double, as Python's floats do, and
// are rounded to Float where PyTorch's kernels round them. `step` counts from 1; `lr` is the
// scheduled learning rate of this step.

import Foundation
import DNNSyntax

public enum OptimizerKernel {
    /// torch.optim.SGD: buf = g on the first step, else buf = momentum·buf + (1 − dampening)·g;
    /// g' = g + momentum·buf (nesterov) or buf; p -= lr·g'.  Without momentum: p -= lr·g.
    public static func sgd(p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, buf: UnsafeMutablePointer<Float>,
                           count n: Int, lr: Double, momentum: Double, dampening: Double = 0, nesterov: Bool, firstStep: Bool) {
        let lr = Float(lr), momentum = Float(momentum), keep = Float(1 - dampening)
        guard momentum != 0 else {
            for i in 0..<n { p[i] += -lr * g[i] }
            return
        }
        // One pass, eight values at a time (the compiler vectorizes neither the plain loop nor one with
        // two stores), with the same arithmetic per value as the scalar tail.
        let m8 = SIMD8<Float>(repeating: momentum), keep8 = SIMD8<Float>(repeating: keep), rate8 = SIMD8<Float>(repeating: -lr)
        var i = 0
        while i + 8 <= n {
            let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            let b = firstStep ? gv : m8 * UnsafeRawPointer(buf + i).loadUnaligned(as: SIMD8<Float>.self) + keep8 * gv
            UnsafeMutableRawPointer(buf + i).storeBytes(of: b, as: SIMD8<Float>.self)
            let pv = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(p + i).storeBytes(of: pv + rate8 * (nesterov ? gv + m8 * b : b), as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            let b = firstStep ? g[i] : momentum * buf[i] + keep * g[i]
            buf[i] = b
            p[i] += -lr * (nesterov ? g[i] + momentum * b : b)
            i += 1
        }
    }

    /// torch.optim.Adam (no amsgrad), step t counted from 1:
    /// m = m + (1−β1)(g − m); v = β2·v + (1−β2)·g²;
    /// p -= (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps), the corrections computed in double as Python does.
    public static func adam(p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                            v: UnsafeMutablePointer<Float>, count n: Int, lr: Double, beta1: Double, beta2: Double,
                            eps: Double, step t: Int) {
        let correction1 = 1 - pow(beta1, Double(t))
        let correction2Root = Float((1 - pow(beta2, Double(t))).squareRoot())
        let stepSize = Float(lr / correction1)
        let oneMinusBeta1 = Float(1 - beta1), oneMinusBeta2 = Float(1 - beta2)
        let beta2 = Float(beta2), eps = Float(eps)
        for i in 0..<n {
            m[i] += oneMinusBeta1 * (g[i] - m[i])
            v[i] = beta2 * v[i] + oneMinusBeta2 * g[i] * g[i]
            let denominator = v[i].squareRoot() / correction2Root + eps
            p[i] += -stepSize * (m[i] / denominator)
        }
    }

    /// torch.optim.RMSprop: sq = α·sq + (1−α)·g²; centered: ga = α·ga + (1−α)·g, avg = √(sq − ga²) + eps,
    /// else avg = √sq + eps; with momentum buf = μ·buf + g/avg, p -= lr·buf; else p -= lr·g/avg.
    static func rmsprop(p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, squareAverage sq: UnsafeMutablePointer<Float>,
                        gradientAverage ga: UnsafeMutablePointer<Float>, buf: UnsafeMutablePointer<Float>, count n: Int,
                        lr: Double, alpha: Double, eps: Double, momentum: Double, centered: Bool) {
        let a = Float(alpha), oneMinusA = Float(1 - alpha), eps = Float(eps), lr = Float(lr), mu = Float(momentum)
        for i in 0..<n {
            sq[i] = a * sq[i] + oneMinusA * g[i] * g[i]
            var average: Float
            if centered {
                ga[i] = a * ga[i] + oneMinusA * g[i]
                average = (sq[i] - ga[i] * ga[i]).squareRoot() + eps
            } else {
                average = sq[i].squareRoot() + eps
            }
            if mu > 0 {
                buf[i] = mu * buf[i] + g[i] / average
                p[i] += -lr * buf[i]
            } else {
                p[i] += -lr * (g[i] / average)
            }
        }
    }
}
