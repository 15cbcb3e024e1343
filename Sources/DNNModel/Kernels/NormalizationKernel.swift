// Batch and layer normalization, forward beside backward.
// batchnorm: x is (B, C, S) with S the positions per channel (1 after dense); each channel is
// normalized over B·S values with the batch's mean and biased variance in training, with the running
// statistics in evaluation; running = (1 − momentum)·running + momentum·batch, the variance unbiased
// (PyTorch's convention). layernorm: x is (B, N, D); each of the B·N rows is normalized over its D values.
// Both end with y = x̂·weight + bias per channel (per feature); xhat and invstd are saved for backward.

import DNNSyntax

public enum NormalizationKernel {
    public static func batchnormForward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, xhat: UnsafeMutablePointer<Float>,
                                        invstd: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                        runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>,
                                        B: Int, C: Int, S: Int, momentum: Float, eps: Float, training: Bool) {
        let count = B * S
        for c in 0..<C {
            var mean: Float, variance: Float
            if training {
                var sum: Double = 0
                for n in 0..<B { for s in 0..<S { sum += Double(x[(n * C + c) * S + s]) } }
                let m = sum / Double(count)
                var squares: Double = 0
                for n in 0..<B { for s in 0..<S { let d = Double(x[(n * C + c) * S + s]) - m; squares += d * d } }
                mean = Float(m)
                variance = Float(squares / Double(count))
                let unbiased = count > 1 ? Float(squares / Double(count - 1)) : variance
                runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean
                runningVar[c] = (1 - momentum) * runningVar[c] + momentum * unbiased
            } else {
                mean = runningMean[c]
                variance = runningVar[c]
            }
            let inv = 1 / (variance + eps).squareRoot()
            invstd[c] = inv
            for n in 0..<B {
                for s in 0..<S {
                    let i = (n * C + c) * S + s
                    xhat[i] = (x[i] - mean) * inv
                    y[i] = xhat[i] * weight[c] + bias[c]
                }
            }
        }
    }

    /// Training-mode backward: dx = invstd/(B·S)·(B·S·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)), dx̂ = dy·weight.
    public static func batchnormBackward(dy: UnsafePointer<Float>, xhat: UnsafePointer<Float>, invstd: UnsafePointer<Float>,
                                         weight: UnsafePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                         dbias: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?,
                                         B: Int, C: Int, S: Int) {
        let count = Float(B * S)
        for c in 0..<C {
            var sumDy: Float = 0, sumDyXhat: Float = 0
            for n in 0..<B {
                for s in 0..<S {
                    let i = (n * C + c) * S + s
                    sumDy += dy[i]
                    sumDyXhat += dy[i] * xhat[i]
                }
            }
            dweight[c] += sumDyXhat
            dbias[c] += sumDy
            guard let dx else { continue }
            let k = weight[c] * invstd[c] / count
            for n in 0..<B {
                for s in 0..<S {
                    let i = (n * C + c) * S + s
                    dx[i] += k * (count * dy[i] - sumDy - xhat[i] * sumDyXhat)
                }
            }
        }
    }

    public static func layernormForward(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, xhat: UnsafeMutablePointer<Float>,
                                        invstd: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                        rows: Int, D: Int, eps: Float) {
        for r in 0..<rows {
            let row = x + r * D
            var sum: Double = 0
            for d in 0..<D { sum += Double(row[d]) }
            let mean = sum / Double(D)
            var squares: Double = 0
            for d in 0..<D { let v = Double(row[d]) - mean; squares += v * v }
            let inv = Float(1 / (squares / Double(D) + Double(eps)).squareRoot())
            invstd[r] = inv
            for d in 0..<D {
                xhat[r * D + d] = (row[d] - Float(mean)) * inv
                y[r * D + d] = xhat[r * D + d] * weight[d] + bias[d]
            }
        }
    }

    public static func layernormBackward(dy: UnsafePointer<Float>, xhat: UnsafePointer<Float>, invstd: UnsafePointer<Float>,
                                         weight: UnsafePointer<Float>, dweight: UnsafeMutablePointer<Float>,
                                         dbias: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?, rows: Int, D: Int) {
        for r in 0..<rows {
            var sumG: Float = 0, sumGXhat: Float = 0
            for d in 0..<D {
                let i = r * D + d
                dweight[d] += dy[i] * xhat[i]
                dbias[d] += dy[i]
                let g = dy[i] * weight[d]
                sumG += g
                sumGXhat += g * xhat[i]
            }
            guard let dx else { continue }
            let k = invstd[r] / Float(D)
            for d in 0..<D {
                let i = r * D + d
                dx[i] += k * (Float(D) * dy[i] * weight[d] - sumG - xhat[i] * sumGXhat)
            }
        }
    }
}
