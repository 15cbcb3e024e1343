// Parameter updates with PyTorch's exact update rules (torch/optim/sgd.py and adam.py, the
// single-tensor path), so a run can be compared with PyTorch step by step. p, g and the state
// buffers are flat over all parameters, of length n. Hyperparameters arrive as Double, as Python's
// floats do, and are rounded to Float where PyTorch's kernels round them.

import Foundation

public enum OptimizerKernel {
    /// torch.optim.SGD (dampening 0, no weight decay):
    /// buf = g on the first step, else buf = momentum·buf + g; g' = g + momentum·buf (nesterov) or buf;
    /// p -= lr·g'.  Without momentum: p -= lr·g.
    public static func sgd(p: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>, buf: UnsafeMutablePointer<Float>,
                           count n: Int, lr: Double, momentum: Double, nesterov: Bool, firstStep: Bool) {
        let lr = Float(lr), momentum = Float(momentum)
        guard momentum != 0 else {
            for i in 0..<n { p[i] += -lr * g[i] }
            return
        }
        for i in 0..<n {
            buf[i] = firstStep ? g[i] : momentum * buf[i] + g[i]
            let step = nesterov ? g[i] + momentum * buf[i] : buf[i]
            p[i] += -lr * step
        }
    }

    /// torch.optim.Adam (no weight decay, no amsgrad), step t counted from 1:
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
}
