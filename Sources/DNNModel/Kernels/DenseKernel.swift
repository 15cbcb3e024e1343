// The dense (fully connected) layer, forward beside backward, over flat row-major Float buffers.
// Shape letters: B = rows in the batch, I = input features, O = output units.
// Backward ADDS into the gradient buffers, which the interpreter zeroes once per step.

import DNNSyntax

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

    /// Below this many multiply-adds (B·I·O) the loops above beat a call into the matrix multiply.
    public static let gemmThreshold = 4096

    /// The forward pass by the loops or by the matrix multiply, whichever `gemmThreshold` says is
    /// faster for the size: the one place that decides, for every dense layer whatever its activation.
    public static func forward(z: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                               b: UnsafePointer<Float>?, B: Int, I: Int, O: Int, threads: Int) {
        if B * I * O >= gemmThreshold {
            fastForward(z: z, x: x, w: w, b: b, B: B, I: I, O: O, threads: threads)
        } else {
            forward(z: z, x: x, w: w, b: b, B: B, I: I, O: O)
        }
    }

    /// The backward pass, chosen as `forward(…threads:)` chooses.
    public static func backward(dz: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                                dx: UnsafeMutablePointer<Float>?, B: Int, I: Int, O: Int, threads: Int) {
        if B * I * O >= gemmThreshold {
            fastBackward(dz: dz, x: x, w: w, dw: dw, db: db, dx: dx, B: B, I: I, O: O, threads: threads)
        } else {
            backward(dz: dz, x: x, w: w, dw: dw, db: db, dx: dx, B: B, I: I, O: O)
        }
    }

    /// The forward pass as one matrix multiply: z = bias rows, then z += x·Wᵀ (each chunk of z set to
    /// the bias by the thread that multiplies into it).
    public static func fastForward(z: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                   b: UnsafePointer<Float>?, B: Int, I: Int, O: Int, threads: Int) {
        Gemm.multiply(.none, .transposed, M: B, N: O, K: I, A: x, lda: I, B: w, ldb: I, beta: b == nil ? 0 : 1,
                      C: z, ldc: O, rowBias: b, threads: threads)
    }

    /// db += Σ_rows dz, in pieces of columns cut by the size alone, on cache lines as a multiply's columns
    /// are (each piece writes its part of db once a row), and spread over the threads; each column adds
    /// its rows in order, so a piece's cut changes no bit.
    static func addColumnSums(_ dz: UnsafePointer<Float>, into db: UnsafeMutablePointer<Float>, B: Int, O: Int, threads: Int) {
        let pieces = max(1, min(O / 64, B * O / (1 << 14), 16))
        WorkerPool.forEach(chunks: pieces, threads: threads) { k, _ in
            let (lo, hi) = Gemm.cut(k, of: pieces, side: O, alongRows: false)
            for r in 0..<B {
                let row = dz + r * O
                for o in lo..<hi { db[o] += row[o] }
            }
        }
    }

    /// The backward pass as two matrix multiplies: dw += dzᵀ·x and dx += dz·W; db += Σ_rows dz.
    public static func fastBackward(dz: UnsafePointer<Float>, x: UnsafePointer<Float>, w: UnsafePointer<Float>,
                                    dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                                    dx: UnsafeMutablePointer<Float>?, B: Int, I: Int, O: Int, threads: Int) {
        if let db { addColumnSums(dz, into: db, B: B, O: O, threads: threads) }
        Gemm.multiply(.transposed, .none, M: O, N: I, K: B, A: dz, lda: O, B: x, ldb: I, beta: 1, C: dw, ldc: I,
                      threads: threads)
        if let dx {
            Gemm.multiply(.none, .none, M: B, N: I, K: O, A: dz, lda: O, B: w, ldb: I, beta: 1, C: dx, ldc: I,
                          threads: threads)
        }
    }
}
