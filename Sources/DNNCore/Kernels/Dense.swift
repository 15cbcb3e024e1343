// The dense (fully connected) layer, forward beside backward, over flat row-major Float buffers.
// Shape letters: B = rows in the batch, I = input features, O = output units.
// Backward ADDS into the gradient buffers, which the interpreter zeroes once per step.

public enum DenseKernel {
    /// z = x·Wᵀ + b.  x is (B,I), w is (O,I), b is (O) or absent, z is (B,O).
    public static func forward(z: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>,
                               w: UnsafePointer<Float>, b: UnsafePointer<Float>?, B: Int, I: Int, O: Int) {
        for r in 0..<B {
            let xr = x + r * I
            let zr = z + r * O
            for o in 0..<O {
                let wo = w + o * I
                var sum = b?[o] ?? 0
                for i in 0..<I { sum += xr[i] * wo[i] }
                zr[o] = sum
            }
        }
    }

    /// dw += dzᵀ·x, db += Σ_rows dz, and dx += dz·W when dx is given.
    /// dz is (B,O), x is (B,I), w is (O,I), dw is (O,I), db is (O), dx is (B,I).
    public static func backward(dz: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                                dx: UnsafeMutablePointer<Float>?, B: Int, I: Int, O: Int) {
        for r in 0..<B {
            let xr = x + r * I
            let dzr = dz + r * O
            for o in 0..<O {
                let g = dzr[o]
                db?[o] += g
                let dwo = dw + o * I
                for i in 0..<I { dwo[i] += g * xr[i] }
            }
        }
        guard let dx else { return }
        for r in 0..<B {
            let dzr = dz + r * O
            let dxr = dx + r * I
            for o in 0..<O {
                let g = dzr[o]
                let wo = w + o * I
                for i in 0..<I { dxr[i] += g * wo[i] }
            }
        }
    }
}
