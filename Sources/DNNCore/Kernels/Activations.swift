// Element-wise activations, forward beside backward. z is the pre-activation (B,O), a = f(z) (B,O);
// backward turns da = ∂L/∂a into dz = ∂L/∂z. PReLU keeps one slope per unit (O), and its
// backward adds ∂L/∂slope into dslope.

import Foundation

public enum ActivationKernel {
    public static func forward(_ activation: Activation, z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>,
                               slope: UnsafePointer<Float>?, B: Int, O: Int) {
        let n = B * O
        switch activation {
        case .identity:
            for i in 0..<n { a[i] = z[i] }
        case .relu:
            for i in 0..<n { a[i] = z[i] > 0 ? z[i] : 0 }
        case .leakyRelu(let alpha):
            for i in 0..<n { a[i] = z[i] > 0 ? z[i] : alpha * z[i] }
        case .prelu:
            let s = slope!
            for r in 0..<B {
                for o in 0..<O {
                    let x = z[r * O + o]
                    a[r * O + o] = x > 0 ? x : s[o] * x
                }
            }
        case .sigmoid:
            for i in 0..<n { a[i] = 1 / (1 + exp(-z[i])) }
        case .tanh:
            for i in 0..<n { a[i] = Foundation.tanh(z[i]) }
        }
    }

    /// dz = f'(z) ⊙ da; for prelu also dslope[o] += Σ_rows da·z where z ≤ 0.
    /// The derivative at 0 is taken from the left (0 for relu), as PyTorch does.
    public static func backward(_ activation: Activation, z: UnsafePointer<Float>, a: UnsafePointer<Float>,
                                da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                                slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, O: Int) {
        let n = B * O
        switch activation {
        case .identity:
            for i in 0..<n { dz[i] = da[i] }
        case .relu:
            for i in 0..<n { dz[i] = z[i] > 0 ? da[i] : 0 }
        case .leakyRelu(let alpha):
            for i in 0..<n { dz[i] = z[i] > 0 ? da[i] : alpha * da[i] }
        case .prelu:
            let s = slope!, ds = dslope!
            for r in 0..<B {
                for o in 0..<O {
                    let i = r * O + o
                    if z[i] > 0 {
                        dz[i] = da[i]
                    } else {
                        dz[i] = s[o] * da[i]
                        ds[o] += da[i] * z[i]
                    }
                }
            }
        case .sigmoid:
            for i in 0..<n { dz[i] = da[i] * a[i] * (1 - a[i]) }
        case .tanh:
            for i in 0..<n { dz[i] = da[i] * (1 - a[i] * a[i]) }
        }
    }
}
