// The fast kernels against the reference ones: the matrix multiply on every backend, the im2col
// convolution, the dense layer as matrix multiplies; the same bytes for any thread count; and a
// training step that allocates nothing.

import AllocationCounter
import Foundation
import Synchronization
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

/// Random values in [-1, 1) from a fixed stream.
private func randomValues(_ n: Int, seed: UInt64) -> [Float] {
    var rng = RandomStream(seed: seed, stream: 9)
    return (0..<n).map { _ in Float(rng.uniform() * 2 - 1) }
}

/// The largest |x − reference| / bound over two arrays, with the bound γ·(Σ|terms| + 1) per value.
private func worstError(_ x: [Float], _ reference: [Float], magnitude: [Float], gamma: Float) -> Float {
    var worst: Float = 0
    for i in x.indices { worst = max(worst, abs(x[i] - reference[i]) / (gamma * (magnitude[i] + 1))) }
    return worst
}

struct GemmTests {
    /// M, N, K: sizes 1, odd sizes, and sizes large enough to be cut into chunks.
    static let shapes = [(1, 1, 1), (1, 7, 3), (13, 1, 5), (5, 9, 1), (17, 33, 9), (64, 100, 300), (130, 70, 2), (257, 129, 65)]

    /// Runs one product with `body` and returns C, for op(A) M×K, op(B) K×N.
    static func product(_ ta: Gemm.Transpose, _ tb: Gemm.Transpose, _ M: Int, _ N: Int, _ K: Int, alpha: Float, beta: Float,
                        _ body: (UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        let a = randomValues(M * K, seed: UInt64(M * 1000 + K)), b = randomValues(K * N, seed: UInt64(N * 1000 + K + 1))
        var c = randomValues(M * N, seed: 7)
        let lda = ta == .none ? K : M, ldb = tb == .none ? N : K
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in body(a.baseAddress!, lda, b.baseAddress!, ldb, c.baseAddress!) }
            }
        }
        return c
    }

    @Test func everyBackendMatchesTheReference() {
        let blas = OpenBLAS.sgemm != nil
        for (M, N, K) in Self.shapes {
            for ta in [Gemm.Transpose.none, .transposed] {
                for tb in [Gemm.Transpose.none, .transposed] {
                    for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1.5)] {
                        let reference = Self.product(ta, tb, M, N, K, alpha: alpha, beta: beta) { a, lda, b, ldb, c in
                            Gemm.reference(ta, tb, M: M, N: N, K: K, alpha: alpha, A: a, lda: lda, B: b, ldb: ldb, beta: beta, C: c, ldc: N)
                        }
                        // |α|·Σ|a||b| + |β·c| bounds each value's rounding; inputs are in [-1, 1).
                        let magnitude = [Float](repeating: abs(alpha) * Float(K) + abs(beta), count: M * N)
                        var results = ["blocked": Self.product(ta, tb, M, N, K, alpha: alpha, beta: beta) { a, lda, b, ldb, c in
                            Gemm.blocked(ta, tb, M: M, N: N, K: K, alpha: alpha, A: a, lda: lda, B: b, ldb: ldb, beta: beta, C: c, ldc: N)
                        }]
                        if blas {
                            results["openblas"] = Self.product(ta, tb, M, N, K, alpha: alpha, beta: beta) { a, lda, b, ldb, c in
                                Gemm.single(.openblas, ta, tb, M: M, N: N, K: K, alpha: alpha, A: a, lda: lda, B: b, ldb: ldb,
                                            beta: beta, C: c, ldc: N)
                            }
                        }
                        results["multiply, 2 threads"] = Self.product(ta, tb, M, N, K, alpha: alpha, beta: beta) { a, lda, b, ldb, c in
                            Gemm.multiply(ta, tb, M: M, N: N, K: K, alpha: alpha, A: a, lda: lda, B: b, ldb: ldb, beta: beta,
                                          C: c, ldc: N, threads: 2)
                        }
                        for (name, c) in results {
                            let worst = worstError(c, reference, magnitude: magnitude, gamma: 2e-7 * Float(K + 2))
                            #expect(worst <= 1, "\(name) \(M)×\(N)×\(K) \(ta) \(tb) α=\(alpha) β=\(beta): worst error \(worst) of the bound")
                        }
                    }
                }
            }
        }
    }

    @Test func openBLASIsUsedWhenInstalled() {
        // .ci/run installs Debian's libopenblas0-pthread; without it dnnc falls back to the blocked loops.
        let installed = FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/libopenblas.so.0")
            || FileManager.default.fileExists(atPath: "/usr/lib/aarch64-linux-gnu/libopenblas.so.0")
        #expect((OpenBLAS.sgemm != nil) == installed)
        if getenv("DNNC_GEMM") == nil { #expect(Gemm.backend == (installed ? .openblas : .blocked)) }
    }

    @Test func theThreadCountDoesNotChangeABit() {
        for (M, N, K) in [(300, 200, 150), (40, 600, 500), (257, 129, 65)] {
            var outputs: [[Float]] = []
            for threads in [1, 2, 3, 8] {
                outputs.append(Self.product(.none, .transposed, M, N, K, alpha: 1, beta: 1) { a, lda, b, ldb, c in
                    Gemm.multiply(.none, .transposed, M: M, N: N, K: K, A: a, lda: lda, B: b, ldb: ldb, beta: 1, C: c, ldc: N,
                                  threads: threads)
                })
            }
            for k in 1..<outputs.count { #expect(outputs[k] == outputs[0], "\(M)×\(N)×\(K)") }
        }
    }

    /// C's chunks cover it once, in order; a cut between columns falls on a cache line (W2's fc1 weight
    /// gradient, 784 columns in 8 chunks: 7 of 96 and the last of 112, where 98 each shared a line of
    /// every row between two threads), a cut between rows where side·k/chunks says.
    @Test func chunksCoverCAndColumnCutsFallOnCacheLines() {
        #expect((0 ..< 8).map { Gemm.cut($0, of: 8, side: 784, alongRows: false).lo } == [0, 96, 192, 288, 384, 480, 576, 672])
        #expect((0 ..< 3).map { Gemm.cut($0, of: 3, side: 784, alongRows: true).lo } == [0, 261, 522])
        for side in [1, 15, 16, 17, 96, 100, 192, 255, 512, 784, 1000, 1537, 4099] {
            for chunks in [1, 2, 4, 8, 16] where chunks == 1 || side / chunks >= Gemm.chunkSide {
                for alongRows in [false, true] {
                    let cuts = (0 ..< chunks).map { Gemm.cut($0, of: chunks, side: side, alongRows: alongRows) }
                    #expect(cuts.first?.lo == 0 && cuts.last?.hi == side, "\(side) in \(chunks)")
                    #expect(zip(cuts, cuts.dropFirst()).allSatisfy { $0.hi == $1.lo }, "\(side) in \(chunks)")
                    #expect(cuts.allSatisfy { $0.lo < $0.hi }, "\(side) in \(chunks): an empty chunk")
                    if !alongRows { #expect(cuts.dropFirst().allSatisfy { $0.lo % Gemm.lineFloats == 0 }, "\(side) in \(chunks)") }
                }
            }
        }
    }

    /// A row bias is written into each chunk of C by the thread that then adds the product into it: the
    /// bits of bias rows written first and β = 1, with C cut along its rows or its columns, for any
    /// thread count (and on every backend).
    @Test func aRowBiasGivesTheBitsOfBiasRowsThenTheProduct() {
        for backend in [Gemm.Backend.openblas, .blocked] {
            for (M, N, K) in [(300, 200, 150), (40, 600, 500), (1, 7, 3)] {  // cut along rows; along columns; one chunk
                let bias = randomValues(N, seed: 31)
                let rows = Self.product(.none, .transposed, M, N, K, alpha: 1, beta: 1) { a, lda, b, ldb, c in
                    for r in 0 ..< M { (c + r * N).update(from: bias, count: N) }
                    Gemm.multiply(.none, .transposed, M: M, N: N, K: K, A: a, lda: lda, B: b, ldb: ldb, beta: 1, C: c, ldc: N,
                                  threads: 1, backend: backend)
                }
                for threads in [1, 2, 3, 8] {
                    let chunked = Self.product(.none, .transposed, M, N, K, alpha: 1, beta: 1) { a, lda, b, ldb, c in
                        Gemm.multiply(.none, .transposed, M: M, N: N, K: K, A: a, lda: lda, B: b, ldb: ldb, beta: 1, C: c, ldc: N,
                                      rowBias: bias, threads: threads, backend: backend)
                    }
                    #expect(chunked.map(\.bitPattern) == rows.map(\.bitPattern), "\(backend) \(M)×\(N)×\(K), \(threads) threads")
                }
            }
        }
    }

    /// A bias's gradient, the sum of dz's rows, is added in pieces of columns over the threads, each
    /// column's rows in order: the bits of one loop, for any thread count.
    @Test func columnSumsInPiecesAreTheBitsOfOneLoop() {
        for (B, O) in [(128, 512), (8, 40000), (100, 70), (256, 200)] {  // 4 pieces; 16; one; 3, cut on lines at 64 and 128
            let dz = randomValues(B * O, seed: 41), start = randomValues(O, seed: 42)
            var expected = start
            for r in 0 ..< B { for o in 0 ..< O { expected[o] += dz[r * O + o] } }
            for threads in [1, 2, 3] {
                var db = start
                DenseKernel.addColumnSums(dz, into: &db, B: B, O: O, threads: threads)
                #expect(db.map(\.bitPattern) == expected.map(\.bitPattern), "\(B)×\(O), \(threads) threads")
            }
        }
    }

    /// The pool's workers spin, then park; a run must reach every chunk exactly once whether its helper
    /// is spinning, parked or waking, and a second caller while the pool is busy runs its lanes itself.
    @Test func theWorkerPoolRunsEveryChunkOnceWhateverTheTiming() {
        #expect(Self.poolRuns(2000, seed: 0) == 0)
        // Two callers at once: one has the pool, the other runs its chunks on its own thread.
        let other = Mutex(-1)
        let thread = Thread { let wrong = Self.poolRuns(1000, seed: 3); other.withLock { $0 = wrong } }
        thread.start()
        #expect(Self.poolRuns(1000, seed: 5) == 0)
        while other.withLock({ $0 }) < 0 { usleep(1000) }
        #expect(other.withLock { $0 } == 0)
        // A helper slow on every chunk of its run: the caller, done with its own, takes the rest of it.
        let lanes = Mutex([Int](repeating: -1, count: 16))
        WorkerPool.forEach(chunks: 16, threads: 2) { chunk, lane in
            if lane > 0 { usleep(20_000) }
            lanes.withLock { $0[chunk] = $0[chunk] < 0 ? lane : 99 }
        }
        let ran = lanes.withLock { $0 }
        #expect(!ran.contains(-1) && !ran.contains(99), "every chunk once: \(ran)")
        #expect(ran[8...].contains(0), "the caller takes some of the helper's run: \(ran)")
    }

    /// `count` runs of the pool with varied chunks and threads; how many reached some chunk other than once.
    static func poolRuns(_ count: Int, seed: Int) -> Int {
        var wrong = 0
        let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: 16)
        defer { hits.deallocate() }
        for i in 0 ..< count {
            let chunks = 1 + (i * 7 + seed) % 16, threads = 1 + (i + seed) % 3
            hits.update(repeating: 0)
            WorkerPool.forEach(chunks: chunks, threads: threads) { chunk, lane in
                precondition(lane < WorkerPool.capacity)
                hits[chunk] += 1
            }
            if hits[..<chunks].contains(where: { $0 != 1 }) || hits[chunks...].contains(where: { $0 != 0 }) { wrong += 1 }
            // Now and then about as long as the helper spins (90 µs either side): it parks, or is about
            // to, or still spins when the next run comes.
            if i % 5 == 0 { usleep(UInt32(WorkerPool.spin / 1000) - 90 + UInt32(i % 180)) }
        }
        return wrong
    }
}

struct FastLayerTests {
    /// Forward and backward of one convolution, by the loops and by im2col, from the same random operands.
    @Test(arguments: [
        // C, H, W, F, kernel, stride, padding, dilation, groups
        (3, 7, 6, 4, (3, 2), (2, 1), (1, 0), (1, 2), 1),
        (4, 5, 5, 6, (3, 3), (1, 1), (1, 1), (1, 1), 2),
        (2, 1, 11, 3, (1, 3), (1, 2), (0, 1), (1, 1), 1),   // conv1d: height 1
        (1, 8, 8, 2, (5, 5), (3, 3), (2, 2), (1, 1), 1),
    ])
    func convolutionByIm2colMatchesTheLoops(_ shape: (Int, Int, Int, Int, (Int, Int), (Int, Int), (Int, Int), (Int, Int), Int)) {
        let (C, H, W, F, k, s, p, d, groups) = shape
        let P = (H + 2 * p.0 - d.0 * (k.0 - 1) - 1) / s.0 + 1, Q = (W + 2 * p.1 - d.1 * (k.1 - 1) - 1) / s.1 + 1
        let c = Convolution(inChannels: C, outChannels: F, input: (H, W), output: (P, Q), kernel: k, stride: s, padding: p,
                            dilation: d, groups: groups, hasBias: true, oneDimensional: H == 1)
        let B = 3, wCount = F * C / groups * k.0 * k.1
        let x = randomValues(B * C * H * W, seed: 1), w = randomValues(wCount, seed: 2), bias = randomValues(F, seed: 3)
        let dz = randomValues(B * F * P * Q, seed: 4)
        func run(fast: Bool) -> (z: [Float], dw: [Float], db: [Float], dx: [Float]) {
            var z = [Float](repeating: 0, count: B * F * P * Q), dw = [Float](repeating: 0.5, count: wCount)
            var db = [Float](repeating: 0.25, count: F), dx = [Float](repeating: -0.5, count: B * C * H * W)
            var cols = [Float](repeating: .nan, count: FastConvolutionKernel.scratchSize(c) * WorkerPool.capacity), dcols = cols
            var partial = [Float](repeating: .nan, count: FastConvolutionKernel.partialSize(c))
            if fast {
                FastConvolutionKernel.forward(c, x: x, w: w, b: bias, z: &z, B: B, cols: &cols, threads: 2)
                FastConvolutionKernel.backward(c, x: x, w: w, dz: dz, dw: &dw, db: &db, dx: &dx, B: B, cols: &cols,
                                               dcols: &dcols, partial: &partial, threads: 2)
            } else {
                ConvolutionKernel.forward(c, x: x, w: w, b: bias, z: &z, B: B)
                ConvolutionKernel.backward(c, x: x, w: w, dz: dz, dw: &dw, db: &db, dx: &dx, B: B)
            }
            return (z, dw, db, dx)
        }
        let fast = run(fast: true), loops = run(fast: false)
        let terms = Float(B * P * Q * C * k.0 * k.1)   // the most products any one value sums
        for (name, a, b) in [("z", fast.z, loops.z), ("dw", fast.dw, loops.dw), ("db", fast.db, loops.db), ("dx", fast.dx, loops.dx)] {
            #expect(a.count == b.count)
            let worst = worstError(a, b, magnitude: [Float](repeating: terms, count: a.count), gamma: 2e-7 * terms.squareRoot())
            #expect(worst <= 1, "\(name): worst error \(worst) of the bound")
        }
    }

    /// Pooling over whole output rows with vector selects, against one window at a time, with padding,
    /// strides that overlap and skip, ragged edges, NaNs and ties, on 1 and 2 threads.
    @Test(arguments: [
        // max, C, H, W, size, stride, padding
        (true, 3, 9, 13, (2, 2), (2, 2), (0, 0)),
        (true, 2, 7, 11, (3, 3), (2, 1), (1, 1)),
        (false, 2, 7, 11, (3, 2), (2, 3), (1, 1)),
        (true, 1, 1, 19, (1, 3), (1, 2), (0, 1)),
        (false, 4, 6, 6, (2, 2), (2, 2), (0, 0)),
    ])
    func poolingMatchesOneWindowAtATime(_ shape: (Bool, Int, Int, Int, (Int, Int), (Int, Int), (Int, Int))) {
        let (isMax, C, H, W, size, step, padding) = shape
        let P = (H + 2 * padding.0 - size.0) / step.0 + 1, Q = (W + 2 * padding.1 - size.1) / step.1 + 1
        let pool = Pooling(isMax: isMax, channels: C, input: (H, W), output: (P, Q), size: size, stride: step, padding: padding)
        let B = 17
        // Values from a few levels, so that windows hold ties; every 37th a NaN.
        var x = randomValues(B * C * H * W, seed: 21).map { ($0 * 4).rounded() }
        for i in stride(from: 5, to: x.count, by: 37) { x[i] = .nan }
        var expected = [Float](repeating: 0, count: B * C * P * Q), expectedIndex = [Int32](repeating: 0, count: expected.count)
        for nc in 0 ..< B * C {
            for p in 0..<P {
                for q in 0..<Q {
                    var best = -Float.infinity, index: Int32 = -1, sum: Float = 0
                    for i in 0..<size.0 {
                        for j in 0..<size.1 {
                            let r = p * step.0 - padding.0 + i, c = q * step.1 - padding.1 + j
                            guard r >= 0, r < H, c >= 0, c < W else { continue }
                            let v = x[nc * H * W + r * W + c]
                            sum += v
                            if v > best || index < 0 || v.isNaN { best = v; index = Int32(r * W + c) }
                        }
                    }
                    expected[(nc * P + p) * Q + q] = isMax ? best : sum / Float(size.0 * size.1)
                    expectedIndex[(nc * P + p) * Q + q] = index
                }
            }
        }
        for threads in [1, 2] {
            var z = [Float](repeating: 0, count: expected.count), index = [Int32](repeating: 7, count: expected.count)
            PoolingKernel.forward(pool, x: x, z: &z, argmax: &index, B: B, threads: threads)
            #expect(z.map(\.bitPattern) == expected.map(\.bitPattern), "values, \(threads) threads")
            if isMax { #expect(index == expectedIndex, "argmax, \(threads) threads") }
        }
    }

    @Test func denseAsMatrixMultipliesMatchesTheLoops() {
        for (B, I, O) in [(1, 1, 1), (3, 17, 5), (64, 100, 33), (7, 300, 2)] {
            let x = randomValues(B * I, seed: 11), w = randomValues(O * I, seed: 12), b = randomValues(O, seed: 13)
            let dz = randomValues(B * O, seed: 14)
            func run(fast: Bool) -> [[Float]] {
                var z = [Float](repeating: 0, count: B * O), dw = [Float](repeating: 1, count: O * I)
                var db = [Float](repeating: 1, count: O), dx = [Float](repeating: 1, count: B * I)
                if fast {
                    DenseKernel.fastForward(z: &z, x: x, w: w, b: b, B: B, I: I, O: O, threads: 2)
                    DenseKernel.fastBackward(dz: dz, x: x, w: w, dw: &dw, db: &db, dx: &dx, B: B, I: I, O: O, threads: 2)
                } else {
                    DenseKernel.forward(z: &z, x: x, w: w, b: b, B: B, I: I, O: O)
                    DenseKernel.backward(dz: dz, x: x, w: w, dw: &dw, db: &db, dx: &dx, B: B, I: I, O: O)
                }
                return [z, dw, db, dx]
            }
            let terms = Float(max(B, I, O))
            for (a, r) in zip(run(fast: true), run(fast: false)) {
                let worst = worstError(a, r, magnitude: [Float](repeating: terms, count: a.count), gamma: 2e-7 * terms)
                #expect(worst <= 1, "\(B)×\(I)×\(O): worst error \(worst) of the bound")
            }
        }
    }
}

extension FastLayerTests {
    /// Every dense layer, whatever its activation, goes through one size rule (issue 14 found dense
    /// layers with softmax taking the loops in backward at any size): bit for bit the loops below
    /// `gemmThreshold` multiply-adds and the matrix multiply from it on.
    @Test func oneRuleChoosesTheLoopsOrTheMatrixMultiply() {
        for (B, I, O) in [(2, 3, 4), (4, 32, 32), (32, 64, 64)] {
            let x = randomValues(B * I, seed: 21), w = randomValues(O * I, seed: 22), b = randomValues(O, seed: 23)
            let dz = randomValues(B * O, seed: 24)
            func run(_ path: Int) -> [[UInt32]] {
                var z = [Float](repeating: 0, count: B * O), dw = [Float](repeating: 1, count: O * I)
                var db = [Float](repeating: 1, count: O), dx = [Float](repeating: 1, count: B * I)
                switch path {
                case 0:
                    DenseKernel.forward(z: &z, x: x, w: w, b: b, B: B, I: I, O: O, threads: 2)
                    DenseKernel.backward(dz: dz, x: x, w: w, dw: &dw, db: &db, dx: &dx, B: B, I: I, O: O, threads: 2)
                case 1:
                    DenseKernel.fastForward(z: &z, x: x, w: w, b: b, B: B, I: I, O: O, threads: 2)
                    DenseKernel.fastBackward(dz: dz, x: x, w: w, dw: &dw, db: &db, dx: &dx, B: B, I: I, O: O, threads: 2)
                default:
                    DenseKernel.forward(z: &z, x: x, w: w, b: b, B: B, I: I, O: O)
                    DenseKernel.backward(dz: dz, x: x, w: w, dw: &dw, db: &db, dx: &dx, B: B, I: I, O: O)
                }
                return [z, dw, db, dx].map { $0.map(\.bitPattern) }
            }
            #expect(run(0) == run(B * I * O >= DenseKernel.gemmThreshold ? 1 : 2), "\(B)×\(I)×\(O)")
        }
    }
}

struct TrainingStepTests {
    /// A 300 → 256 → 10 classifier on 64 random rows, batch 32: large enough that its multiplies are cut
    /// into chunks that two threads share.
    static func wideSpec(layers: String = "    - dense: {units: 256, activation: relu}\n    - dense: {units: 10}", batch: Int = 32,
                         width: Int = 300) -> String {
        var rng = RandomStream(seed: 5, stream: 9)
        let rows = (0..<64).map { _ in "[" + (0..<width).map { _ in Format.c("%.3f", rng.uniform()) }.joined(separator: ",") + "]" }
        let labels = (0..<64).map { "[\($0 % 10)]" }
        return """
        dnnc: 1
        seed: 1
        data:
          train:
            inputs: [\(rows.joined(separator: ", "))]
            targets: [\(labels.joined(separator: ", "))]
        model:
          input: [\(width)]
          layers:
        \(layers)
        train:
          loss: cross_entropy
          optimizer: {sgd: {lr: 0.05, momentum: 0.9}}
          epochs: 3
          batch_size: \(batch)
        """
    }

    /// The network's buffers (parameters, gradients, optimizer state, activations) start on a cache line,
    /// so the multiplies' column cuts (GemmTests) fall on lines of memory too.
    @Test func theNetworksBuffersStartOnACacheLine() throws {
        let network = Trainer(model: try model(Self.wideSpec())).network
        for buffer in [network.params, network.grads, network.x] + network.z + network.a {
            #expect(Int(bitPattern: buffer.baseAddress) % (4 * Gemm.lineFloats) == 0)
        }
    }

    /// An element-wise pass over a batch is cut into pieces of whole rows by its size alone.
    @Test func rowPiecesCoverEveryRowOnceByTheSizeAlone() {
        // (rows, values a row): the pieces' first rows.
        let cases: [(Int, Int, [Int])] = [(1, 10, [0]), (128, 256, [0, 64]), (128, 512, [0, 32, 64, 96]), (7, 50_000, Array(0 ..< 7)),
                                          (1000, 1000, (0 ..< 16).map { 1000 * $0 / 16 }), (3, 16_384, [0, 1, 2])]
        for (B, S, firsts) in cases {
            for threads in [1, 2, 3] {
                let pieces = Mutex<[Range<Int>]>([])
                Network.forEachRowPiece(rows: B, size: S, threads: threads) { first, rows in pieces.withLock { $0.append(first ..< first + rows) } }
                let cut = pieces.withLock { $0 }.sorted { $0.lowerBound < $1.lowerBound }
                #expect(cut.map(\.lowerBound) == firsts && cut.last?.upperBound == B, "\(B) rows of \(S), \(threads) threads")
                #expect(zip(cut, cut.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound }, "\(B) rows of \(S)")
            }
            let one = Mutex<[Range<Int>]>([])
            Network.forEachRowPiece(rows: B, size: S, threads: 2, pieces: false) { first, rows in one.withLock { $0.append(first ..< first + rows) } }
            #expect(one.withLock { $0 } == [0 ..< B])
        }
    }

    /// Wide relu, prelu and elu layers (64 rows of 1,024, 600 and 512 values: 4, 2 and 2 pieces of rows)
    /// train to the same bits on 1, 2 and 3 threads; prelu's slope gradient, a sum over the rows, is one piece.
    @Test func piecesOfRowsGiveTheSameParametersToTheBit() throws {
        let layers = """
            - dense: {units: 1024, activation: relu}
            - dense: {units: 600, activation: prelu}
            - dense: {units: 512, activation: elu}
            - dense: {units: 10}
        """
        try Self.expectTheSameParameters(Self.wideSpec(layers: layers, batch: 64), threads: [1, 2, 3, 2])
    }

    /// A batch's rows are copied in pieces over the threads (a batch of 64 rows of 600 values is 2
    /// pieces): every row lands where a plain copy puts it, in the order asked, at any thread count.
    @Test func aBatchIsLoadedRowByRowInPieces() throws {
        let trainer = Trainer(model: try model(Self.wideSpec(batch: 64, width: 600)))
        let network = trainer.network
        let source = DataMatrix(rows: 100, columns: 600, values: (0 ..< 60_000).map { Float($0) })
        var rng = RandomStream(seed: 3, stream: 1)
        let order = (0 ..< 64).map { _ in rng.index(below: 100) }
        let pieces = Mutex(0)
        Network.forEachRowPiece(rows: 64, size: 600, threads: 1) { _, _ in pieces.withLock { $0 += 1 } }
        #expect(pieces.withLock { $0 } == 2)
        for threads in [1, 2, 3] {
            network.threads = threads
            network.x.update(repeating: Float.nan)
            network.load(source, rows: order[...], into: network.x)
            let expected = order.flatMap { source.row($0) }
            let same = Array(network.x[0 ..< 64 * 600]) == expected
            #expect(same, "\(threads) threads: the loaded batch differs from the rows asked for")
        }
    }

    @Test func threadsGiveTheSameParametersToTheBit() throws {
        // Two threads three times: a race between them (OpenBLAS builds that share buffers) shows
        // as a run that differs.
        try Self.expectTheSameParameters(Self.wideSpec(), threads: [1, 2, 2, 2])
    }

    /// Trains the spec for 3 epochs once per thread count; every run must end with the first's parameters.
    static func expectTheSameParameters(_ spec: String, threads counts: [Int]) throws {
        let ir = try model(spec)
        var trained: [[Float]] = []
        for threads in counts {
            let trainer = Trainer(model: ir)
            trainer.network.threads = threads
            for _ in 0..<3 { _ = trainer.runEpoch() }
            trained.append(Array(trainer.network.params[0 ..< trainer.network.parameterCount]))
        }
        // (Compared as one Bool: a failing #expect on two arrays this long diffs them for minutes.)
        for k in 1..<trained.count {
            let same = trained[k] == trained[0]
            #expect(same, "run \(k) (\(counts[k]) threads): \(zip(trained[k], trained[0]).filter { $0 != $1 }.count) values differ")
        }
        #expect(trained[0].contains { $0 != 0 } && trained[0].allSatisfy(\.isFinite))
    }

    /// After a first epoch, an epoch of steps makes no heap allocation on the training thread, with the
    /// gradient-health watch of logged epochs on or off.
    @Test(arguments: ["specs/seed/relu.yaml", "specs/digits/mlp.yaml", "specs/digits/cnn.yaml"], [false, true])
    func aTrainingStepAllocatesNothing(_ spec: String, watching: Bool) throws {
        let text = String(decoding: try Data(contentsOf: Repo.root.appendingPathComponent(spec)), as: UTF8.self)
        let ir = try #require(compile(text, path: Repo.path(spec)).model)
        let trainer = Trainer(model: ir)
        trainer.network.threads = 1
        trainer.watching = watching
        _ = trainer.runEpoch()
        let before = dnnc_allocations_on_this_thread()
        _ = trainer.runEpoch()
        let allocations = dnnc_allocations_on_this_thread() - before
        #expect(allocations == 0, "\(spec): \(allocations) allocations in an epoch of \(trainer.steps / 2) steps")
        #expect(trainer.steps > 2)
    }

    @Test func theCounterSeesAnAllocation() {
        let before = dnnc_allocations_on_this_thread()
        let values = [Float](repeating: 1, count: Int.random(in: 100...200))
        #expect(dnnc_allocations_on_this_thread() > before)
        #expect(values.count >= 100)
    }
}
