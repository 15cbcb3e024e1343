// Activations, forward beside backward. z is the pre-activation and a = f(z), both (B, S) with S the
// size of one sample; backward turns da = ∂L/∂a into dz = ∂L/∂z. Element-wise ones act on each value;
// softmax and log_softmax act along one axis of the sample's shape. PReLU keeps one slope per
// channel (the sample's first dimension; per unit after dense), and its backward adds ∂L/∂slope into
// dslope. Derivatives at kinks are taken as PyTorch takes them (relu'(0) = 0).

import Foundation

public enum ActivationKernel {
    static let seluAlpha: Float = 1.6732632423543772
    static let seluScale: Float = 1.0507009873554805
    static let geluTanhScale: Float = 0.7978845608028654  // sqrt(2/π)
    static let invSqrt2: Float = 0.7071067811865476
    static let invSqrt2Pi: Float = 0.3989422804014327

    @inline(__always) static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
    @inline(__always) static func softplus(_ x: Float) -> Float { x > 20 ? x : log1p(exp(x)) }

    /// a = f(z) for a batch of B samples of `shape`.
    public static func forward(_ activation: Activation, z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>,
                               slope: UnsafePointer<Float>?, B: Int, shape: [Int]) {
        let S = shape.reduce(1, *)
        if activation.isElementwise {
            forward(activation, z: z, a: a, slope: slope, B: B, S: S, channels: shape.first ?? 1)
            return
        }
        forEachLine(B: B, shape: shape, axis: activation.axis) { base, stride, count in
            var top = -Float.infinity
            for k in 0..<count { top = max(top, z[base + k * stride]) }
            var sum: Float = 0
            for k in 0..<count { sum += exp(z[base + k * stride] - top) }
            let logSum = Foundation.log(sum)
            for k in 0..<count {
                let shifted = z[base + k * stride] - top
                a[base + k * stride] = activation.isLog ? shifted - logSum : exp(shifted) / sum
            }
        }
    }

    /// a = f(z) for an element-wise activation over B samples of S values; prelu's slope is indexed by
    /// channel, the first of the sample's dimensions (`channels` of them).
    @inline(__always)
    static func forward(_ activation: Activation, z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>,
                        slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        let n = B * S
        switch activation {
        case .identity: a.update(from: z, count: n)
        case .relu:
            // Eight at a time (the compiler does not vectorize the plain loop); the same values.
            var i = 0
            while i + 8 <= n {
                let v = UnsafeRawPointer(z + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(a + i).storeBytes(of: v.replacing(with: 0, where: .!(v .> 0)), as: SIMD8<Float>.self)
                i += 8
            }
            while i < n { a[i] = z[i] > 0 ? z[i] : 0; i += 1 }
        case .relu6: for i in 0..<n { a[i] = min(max(z[i], 0), 6) }
        case .leakyRelu(let alpha): for i in 0..<n { a[i] = z[i] > 0 ? z[i] : alpha * z[i] }
        case .prelu:
            let s = slope!, C = channels, inner = S / C
            for i in 0..<n { a[i] = z[i] > 0 ? z[i] : s[(i % S) / inner % C] * z[i] }
        case .elu(let alpha): for i in 0..<n { a[i] = z[i] > 0 ? z[i] : alpha * (exp(z[i]) - 1) }
        case .selu: for i in 0..<n { a[i] = seluScale * (z[i] > 0 ? z[i] : seluAlpha * (exp(z[i]) - 1)) }
        case .gelu(let approximate):
            if approximate {
                for i in 0..<n {
                    let x = z[i]
                    a[i] = 0.5 * x * (1 + Foundation.tanh(geluTanhScale * (x + 0.044715 * x * x * x)))
                }
            } else {
                for i in 0..<n { a[i] = 0.5 * z[i] * (1 + erf(z[i] * invSqrt2)) }
            }
        case .sigmoid: for i in 0..<n { a[i] = sigmoid(z[i]) }
        case .hardSigmoid: for i in 0..<n { a[i] = min(max(z[i] + 3, 0), 6) / 6 }
        case .tanh: for i in 0..<n { a[i] = Foundation.tanh(z[i]) }
        case .softplus: for i in 0..<n { a[i] = softplus(z[i]) }
        case .softsign: for i in 0..<n { a[i] = z[i] / (1 + abs(z[i])) }
        case .silu: for i in 0..<n { a[i] = z[i] * sigmoid(z[i]) }
        case .mish: for i in 0..<n { a[i] = z[i] * Foundation.tanh(softplus(z[i])) }
        case .softmax, .logSoftmax: preconditionFailure("softmax is not element-wise")
        }
    }

    /// dz = ∂L/∂z from da = ∂L/∂a; prelu also adds into dslope.
    public static func backward(_ activation: Activation, z: UnsafePointer<Float>, a: UnsafePointer<Float>,
                                da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                                slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, shape: [Int]) {
        let S = shape.reduce(1, *)
        switch activation {
        case .softmax(let axis):
            forEachLine(B: B, shape: shape, axis: axis) { base, stride, count in
                var dot: Float = 0
                for k in 0..<count { dot += da[base + k * stride] * a[base + k * stride] }
                for k in 0..<count { let i = base + k * stride; dz[i] = a[i] * (da[i] - dot) }
            }
        case .logSoftmax(let axis):
            forEachLine(B: B, shape: shape, axis: axis) { base, stride, count in
                var sum: Float = 0
                for k in 0..<count { sum += da[base + k * stride] }
                for k in 0..<count { let i = base + k * stride; dz[i] = da[i] - exp(a[i]) * sum }
            }
        default:
            backward(activation, z: z, a: a, da: da, dz: dz, slope: slope, dslope: dslope, B: B, S: S,
                     channels: shape.first ?? 1)
        }
    }

    /// dz from da for an element-wise activation over B samples of S values (`channels` as in forward).
    @inline(__always)
    static func backward(_ activation: Activation, z: UnsafePointer<Float>, a: UnsafePointer<Float>,
                         da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?,
                         dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        let n = B * S
        switch activation {
        case .identity: dz.update(from: da, count: n)
        case .relu:
            var i = 0
            while i + 8 <= n {
                let v = UnsafeRawPointer(z + i).loadUnaligned(as: SIMD8<Float>.self)
                let g = UnsafeRawPointer(da + i).loadUnaligned(as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(dz + i).storeBytes(of: g.replacing(with: 0, where: .!(v .> 0)), as: SIMD8<Float>.self)
                i += 8
            }
            while i < n { dz[i] = z[i] > 0 ? da[i] : 0; i += 1 }
        case .relu6: for i in 0..<n { dz[i] = z[i] > 0 && z[i] < 6 ? da[i] : 0 }
        case .leakyRelu(let alpha): for i in 0..<n { dz[i] = z[i] > 0 ? da[i] : alpha * da[i] }
        case .prelu:
            let s = slope!, ds = dslope!, C = channels, inner = S / C
            for i in 0..<n {
                let c = (i % S) / inner % C
                if z[i] > 0 {
                    dz[i] = da[i]
                } else {
                    dz[i] = s[c] * da[i]
                    ds[c] += da[i] * z[i]
                }
            }
        case .elu(let alpha): for i in 0..<n { dz[i] = z[i] > 0 ? da[i] : da[i] * alpha * exp(z[i]) }
        case .selu: for i in 0..<n { dz[i] = da[i] * seluScale * (z[i] > 0 ? 1 : seluAlpha * exp(z[i])) }
        case .gelu(let approximate):
            if approximate {
                for i in 0..<n {
                    let x = z[i]
                    let inner = geluTanhScale * (x + 0.044715 * x * x * x)
                    let t = Foundation.tanh(inner)
                    let dInner = geluTanhScale * (1 + 3 * 0.044715 * x * x)
                    dz[i] = da[i] * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner)
                }
            } else {
                for i in 0..<n {
                    let x = z[i]
                    let cdf = 0.5 * (1 + erf(x * invSqrt2))
                    dz[i] = da[i] * (cdf + x * invSqrt2Pi * exp(-0.5 * x * x))
                }
            }
        case .sigmoid: for i in 0..<n { dz[i] = da[i] * a[i] * (1 - a[i]) }
        case .hardSigmoid: for i in 0..<n { dz[i] = z[i] > -3 && z[i] < 3 ? da[i] / 6 : 0 }
        case .tanh: for i in 0..<n { dz[i] = da[i] * (1 - a[i] * a[i]) }
        case .softplus: for i in 0..<n { dz[i] = z[i] > 20 ? da[i] : da[i] * sigmoid(z[i]) }
        case .softsign: for i in 0..<n { let d = 1 + abs(z[i]); dz[i] = da[i] / (d * d) }
        case .silu: for i in 0..<n { let s = sigmoid(z[i]); dz[i] = da[i] * s * (1 + z[i] * (1 - s)) }
        case .mish:
            for i in 0..<n {
                let x = z[i], t = Foundation.tanh(softplus(x))
                dz[i] = da[i] * (t + x * (1 - t * t) * sigmoid(x))
            }
        case .softmax, .logSoftmax: preconditionFailure("softmax is not element-wise")
        }
    }

    /// Calls `body(first index, stride, count)` for every line along `axis` of B samples of `shape`.
    static func forEachLine(B: Int, shape: [Int], axis: Int, _ body: (Int, Int, Int) -> Void) {
        let axis = axis < 0 ? shape.count + axis : axis
        let count = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        let outer = B * shape[..<axis].reduce(1, *)
        for o in 0..<outer {
            for i in 0..<inner { body(o * count * inner + i, inner, count) }
        }
    }
}
