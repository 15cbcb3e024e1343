// Matrix multiply, the work behind dense and convolution layers: C = α·op(A)·op(B) + β·C over row-major
// Float buffers. Shape letters: M×K is op(A), K×N is op(B), M×N is C; lda, ldb, ldc are row strides.
//
// Three implementations, one contract:
// - `reference`: the triple loop, the oracle every faster path is tested against.
// - `blocked`: plain Swift with a contiguous inner loop the compiler vectorizes; the fallback.
// - OpenBLAS's `cblas_sgemm` (Debian's libopenblas0-pthread or any libopenblas.so.0), loaded at run time
//   with dlopen, so dnnc builds and runs without it and uses it when it is there. BENCHMARKS.md has the
//   measurements behind that choice: the blocked Swift loop reaches a fraction of OpenBLAS's speed.
//
// Threads: C is cut into chunks by the size of the work alone, never by the thread count, and each
// chunk is one single-threaded multiply; threads only decide who runs which chunk. So the result is
// the same bytes whatever the thread count. Each thread starts on its own share of the chunks and then
// takes what the others have not begun, so a thread that loses its core to another process holds back
// one chunk, not half the work.

import Dispatch
import Foundation
import Synchronization
import DNNSyntax
#if canImport(Glibc)
import Glibc
#endif

public enum Gemm {
    public enum Transpose: Sendable { case none, transposed }

    /// The implementation in use. OpenBLAS when it loads, unless DNNC_GEMM=blocked or reference says otherwise.
    public enum Backend: String, Sendable {
        case openblas, blocked, reference

        /// What decides the backend, for a message.
        public static let why = "OpenBLAS is used when installed, with its kernels for the CPU or OPENBLAS_CORETYPE's, unless DNNC_GEMM names another or ulimit -v leaves under 16 GiB"
    }

    public static let backend: Backend = {
        if let forced = getenv("DNNC_GEMM").map({ String(cString: $0) }), let choice = Backend(rawValue: forced) {
            return choice == .openblas && OpenBLAS.sgemm == nil ? .blocked : choice
        }
        return OpenBLAS.sgemm == nil ? .blocked : .openblas
    }()

    /// The multiply in use, as a checkpoint records it: the backend, and for OpenBLAS the kernels it
    /// chose for this CPU ("openblas Haswell"). Two runs with the same name compute the same bits.
    public static let implementation: String = {
        guard backend == .openblas, let core = OpenBLAS.coreName else { return backend.rawValue }
        return "openblas \(core)"
    }()

    /// The most threads worth starting: the machine's cores.
    public static var availableThreads: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// A chunk is at least this many multiply-adds and this many rows (or columns) of C: each chunk packs
    /// its own copy of the other operand, which must stay small beside the chunk's arithmetic.
    static let chunkWork = 1 << 20, chunkSide = 96

    /// Floats per cache line (64 bytes). C cut into columns is cut at multiples of it, so that two
    /// threads never write one line of a row of C (in a buffer aligned to a line, as the network's are):
    /// fc1's weight gradient in W2, cut at every 98 columns, shared a line of each of its 512 rows
    /// between each two chunks (BENCHMARKS.md, "Cuts on cache lines").
    package static let lineFloats = 16

    /// C = α·op(A)·op(B) + β·C on up to `threads` threads, with the process's backend unless told otherwise.
    /// With `rowBias` (N values), every row of C is first set to it, each chunk's part by the thread that
    /// then adds the product into it (β must be 1): a dense layer's bias, written where it is used.
    public static func multiply(_ ta: Transpose, _ tb: Transpose, M: Int, N: Int, K: Int, alpha: Float = 1,
                                A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int, beta: Float,
                                C: UnsafeMutablePointer<Float>, ldc: Int, rowBias: UnsafePointer<Float>? = nil,
                                threads: Int = 1, backend: Backend = Gemm.backend) {
        precondition(rowBias == nil || beta == 1, "a row bias is added to: beta must be 1")
        guard M > 0, N > 0 else { return }
        let backend = backend == .openblas && OpenBLAS.sgemm == nil ? .blocked : backend
        // Cut along the longer side of C, into chunks of at least `chunkWork` multiply-adds.
        let alongRows = M >= N
        let side = alongRows ? M : N
        // A power of two, so that two (or four) threads get equal shares.
        let most = max(1, min(side / chunkSide, M * N * max(K, 1) / chunkWork, 16))
        let chunks = 1 << (Int.bitWidth - 1 - most.leadingZeroBitCount)
        let job = Job(ta: ta, tb: tb, M: M, N: N, K: K, alpha: alpha, A: A, lda: lda, B: B, ldb: ldb, beta: beta,
                      C: C, ldc: ldc, rowBias: rowBias, alongRows: alongRows, side: side, chunks: chunks, backend: backend)
        WorkerPool.forEach(chunks: chunks, threads: backend == .openblas && !OpenBLAS.reentrant ? 1 : threads) { chunk, _ in
            job.run(chunk)
        }
    }

    /// The rows of C that chunk `chunk` of `chunks` computes, side·chunk/chunks ..< side·(chunk+1)/chunks;
    /// or its columns, cut likewise in whole cache lines (the last chunk ends at the side).
    package static func cut(_ chunk: Int, of chunks: Int, side: Int, alongRows: Bool) -> (lo: Int, hi: Int) {
        if alongRows { return (side * chunk / chunks, side * (chunk + 1) / chunks) }
        let lines = (side + lineFloats - 1) / lineFloats
        return (min(side, lineFloats * (lines * chunk / chunks)), min(side, lineFloats * (lines * (chunk + 1) / chunks)))
    }

    /// One call's operands and its cut into chunks. The pointers are shared by the threads, which write
    /// disjoint parts of C.
    struct Job: @unchecked Sendable {
        let ta: Transpose, tb: Transpose, M: Int, N: Int, K: Int, alpha: Float
        let A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int, beta: Float
        let C: UnsafeMutablePointer<Float>, ldc: Int, rowBias: UnsafePointer<Float>?
        let alongRows: Bool, side: Int, chunks: Int, backend: Backend

        func run(_ chunk: Int) {
            let (lo, hi) = Gemm.cut(chunk, of: chunks, side: side, alongRows: alongRows)
            if let rowBias {
                if alongRows {
                    for r in lo ..< hi { (C + r * ldc).update(from: rowBias, count: N) }
                } else {
                    for r in 0 ..< M { (C + r * ldc + lo).update(from: rowBias + lo, count: hi - lo) }
                }
            }
            if alongRows {
                let a = ta == .none ? A + lo * lda : A + lo
                single(backend, ta, tb, M: hi - lo, N: N, K: K, alpha: alpha, A: a, lda: lda, B: B, ldb: ldb,
                       beta: beta, C: C + lo * ldc, ldc: ldc)
            } else {
                let b = tb == .none ? B + lo : B + lo * ldb
                single(backend, ta, tb, M: M, N: hi - lo, K: K, alpha: alpha, A: A, lda: lda, B: b, ldb: ldb,
                       beta: beta, C: C + lo, ldc: ldc)
            }
        }
    }

    /// One chunk, on the calling thread.
    @inline(__always)
    package static func single(_ backend: Backend, _ ta: Transpose, _ tb: Transpose, M: Int, N: Int, K: Int, alpha: Float,
                       A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int, beta: Float,
                       C: UnsafeMutablePointer<Float>, ldc: Int) {
        switch backend {
        case .openblas:
            OpenBLAS.sgemm!(OpenBLAS.rowMajor, ta == .none ? OpenBLAS.noTrans : OpenBLAS.trans,
                            tb == .none ? OpenBLAS.noTrans : OpenBLAS.trans, Int32(M), Int32(N), Int32(K), alpha,
                            A, Int32(lda), B, Int32(ldb), beta, C, Int32(ldc))
        case .blocked:
            blocked(ta, tb, M: M, N: N, K: K, alpha: alpha, A: A, lda: lda, B: B, ldb: ldb, beta: beta, C: C, ldc: ldc)
        case .reference:
            reference(ta, tb, M: M, N: N, K: K, alpha: alpha, A: A, lda: lda, B: B, ldb: ldb, beta: beta, C: C, ldc: ldc)
        }
    }

    /// The oracle: C[i,j] = α·Σ_k op(A)[i,k]·op(B)[k,j] + β·C[i,j], summed in k order.
    public static func reference(_ ta: Transpose, _ tb: Transpose, M: Int, N: Int, K: Int, alpha: Float,
                                 A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int, beta: Float,
                                 C: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<M {
            for j in 0..<N {
                var sum: Float = 0
                for k in 0..<K {
                    let a = ta == .none ? A[i * lda + k] : A[k * lda + i]
                    let b = tb == .none ? B[k * ldb + j] : B[j * ldb + k]
                    sum += a * b
                }
                C[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * C[i * ldc + j])
            }
        }
    }

    /// The same product, as loops the compiler vectorizes: each row of C is built from rows of op(B)
    /// (for op(B) = B) or as dot products over rows (for op(B) = Bᵀ), in blocks of K that stay in cache.
    public static func blocked(_ ta: Transpose, _ tb: Transpose, M: Int, N: Int, K: Int, alpha: Float,
                               A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int, beta: Float,
                               C: UnsafeMutablePointer<Float>, ldc: Int) {
        for i in 0..<M {
            let c = C + i * ldc
            if beta == 0 { for j in 0..<N { c[j] = 0 } } else if beta != 1 { for j in 0..<N { c[j] *= beta } }
        }
        let kb = 256
        for k0 in stride(from: 0, to: K, by: kb) {
            let k1 = min(K, k0 + kb)
            for i in 0..<M {
                let c = C + i * ldc
                if tb == .none {
                    for k in k0..<k1 {
                        let a = alpha * (ta == .none ? A[i * lda + k] : A[k * lda + i])
                        if a == 0 { continue }
                        let b = B + k * ldb
                        for j in 0..<N { c[j] += a * b[j] }
                    }
                } else {
                    for j in 0..<N {
                        let b = B + j * ldb
                        var sum: Float = 0
                        if ta == .none {
                            let a = A + i * lda
                            for k in k0..<k1 { sum += a[k] * b[k] }
                        } else {
                            for k in k0..<k1 { sum += A[k * lda + i] * b[k] }
                        }
                        c[j] += alpha * sum
                    }
                }
            }
        }
    }
}

/// cblas_sgemm from a shared OpenBLAS, when one is installed.
package enum OpenBLAS {
    /// Whether two threads may call sgemm at once. A build without threads ("SINGLE_THREADED", Debian's
    /// libopenblas0-serial) shares its packing buffers between callers unless built with USE_LOCKING,
    /// which the configuration string does not say: two dnnc threads got different results from the
    /// same run about one time in five. Such a build runs every chunk on the calling thread.
    static let reentrant: Bool = {
        guard let config = string("openblas_get_config") else { return false }
        return !config.contains("SINGLE_THREADED")
    }()

    package typealias SGEMM = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
                                      UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    static let rowMajor: Int32 = 101, noTrans: Int32 = 111, trans: Int32 = 112

    /// The shared OpenBLAS that has cblas_sgemm, opened once; every symbol dnnc uses comes from it. A
    /// threaded OpenBLAS is told to use one thread: dnnc runs chunks on its own threads, and OpenBLAS's
    /// spinning threads are what collapses when another process holds a core (issue 7's measurements).
    /// (A dlopen handle is only read once made: `nonisolated(unsafe)` is safe.)
    nonisolated(unsafe) static let library: UnsafeMutableRawPointer? = {
        // Under an address-space limit (`ulimit -v`) OpenBLAS's buffers, mapped per thread, can fail to
        // map, and OpenBLAS then retries for ever instead of failing: dnnc hung in training and at
        // exit. Below 16 GiB of room dnnc keeps to its own loops, which allocate nothing.
        if let room = SystemMemory.addressSpaceRoom, room < 16 << 30 { return nil }
        // OpenBLAS picks its kernels by CPU model, and a release older than the CPU falls back to generic
        // SSE3 code (Debian 12's 0.3.21 on a Xeon of 2023: "Prescott", a third of the AVX-512 speed).
        // Unless the user chose, name the kernels by the instruction sets the CPU reports.
        if getenv("OPENBLAS_CORETYPE") == nil, let core = coreType() { setenv("OPENBLAS_CORETYPE", core, 0) }
        // dnnc calls sgemm from its own threads, one chunk each, so OpenBLAS's thread pool would only
        // sit idle. Started anyway, it fails where the process limit leaves no thread (a loaded
        // machine), and OpenBLAS then raise()s SIGINT, which stopped the training as if the user had
        // pressed Ctrl-C. With one thread it starts none.
        setenv("OPENBLAS_NUM_THREADS", "1", 1)
        for name in ["libopenblas.so.0", "libopenblas.so"] {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL), dlsym(handle, "cblas_sgemm") != nil else { continue }
            if let set = dlsym(handle, "openblas_set_num_threads") {
                unsafeBitCast(set, to: (@convention(c) (Int32) -> Void).self)(1)
            }
            return handle
        }
        return nil
    }()

    /// The library's sgemm, nil without OpenBLAS.
    package static let sgemm: SGEMM? = library.flatMap { dlsym($0, "cblas_sgemm") }.map { unsafeBitCast($0, to: SGEMM.self) }

    /// The kernels OpenBLAS uses (`openblas_get_corename`), nil where it is not loaded.
    static let coreName: String? = string("openblas_get_corename")

    /// What one of the library's `char *f(void)` functions returns, nil without it.
    private static func string(_ function: String) -> String? {
        guard let library, let symbol = dlsym(library, function) else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) () -> UnsafePointer<CChar>?).self)().map { String(cString: $0) }
    }

    /// SkylakeX for AVX-512 (F, BW, DQ, VL), Haswell for AVX2 with FMA, else nil (OpenBLAS decides).
    static func coreType() -> String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(line.split(separator: " ").map(String.init))
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512dq", "avx512vl"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }
}

/// Threads started once; between jobs each spins for a moment, then parks. The calling thread runs lane
/// 0 itself. One job at a time: a caller that finds the pool busy (another run of a sweep) runs every
/// lane itself.
///
/// Why spin: a step runs several parallel regions (its multiplies, the update) a few microseconds
/// apart, and waking a parked thread costs more than that on a virtual machine (the host must schedule
/// the sleeping vCPU again): a helper woken for each multiply started its chunk tens of microseconds
/// after the caller. Why only for a moment: a thread that spins for long holds a core that another
/// process may need, which is what made OpenBLAS's own threads collapse under load (issue 7).
package final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(workers: max(Gemm.availableThreads - 1, 0))

    /// The most lanes a run can have: the workers and the calling thread. Per-lane scratch is sized by it.
    public static let capacity = max(Gemm.availableThreads, 1)

    /// How long a waiting thread spins before it parks: longer than the gap between a step's parallel
    /// regions, shorter than a scheduler's time slice. At 50 µs W2's helper parked about 1,000 times in
    /// a run of 192 steps and 192 evaluation batches (the serial work between some regions takes
    /// longer), at 500 µs about 10 (BENCHMARKS.md, "A longer spin").
    static let spin: UInt64 = 500_000   // nanoseconds

    /// Calls body(chunk, lane) for every chunk in 0..<chunks, on up to `threads` threads (lanes, below
    /// `capacity`). What a chunk computes must not depend on its lane, only its scratch may.
    ///
    /// Lane l owns the l-th of `lanes` equal runs of chunks and takes them from its run's front; a lane
    /// done with its own takes the chunks the others have not begun, from the back of each run. So a
    /// lane without its core holds back one chunk, and, where nothing is held back, the same lane
    /// handles the same part of the memory in every pass of the same size (a step's update, the
    /// next step's multiplies and activations), whose data its own cache may still hold. W2's steps
    /// took 0.92–0.99 of the time they took with one shared counter that dealt the chunks in turn
    /// (medians of paired runs, BENCHMARKS.md).
    package static func forEach(chunks: Int, threads: Int, _ body: (_ chunk: Int, _ lane: Int) -> Void) {
        let lanes = min(threads, chunks, capacity)
        if lanes <= 1 {
            for chunk in 0..<chunks { body(chunk, 0) }
            return
        }
        // Each lane's run not yet begun, first | end << 32, taken only by compare-and-exchange.
        withUnsafeTemporaryAllocation(of: Atomic<Int>.self, capacity: lanes) { runs in
            let runs = runs.baseAddress!
            for lane in 0..<lanes {
                (runs + lane).initialize(to: Atomic(lane * chunks / lanes | ((lane + 1) * chunks / lanes) << 32))
            }
            shared.run(lanes: lanes) { lane in
                for k in 0..<lanes {
                    let owner = (lane + k) % lanes, own = k == 0
                    var seen = runs[owner].load(ordering: .relaxed)
                    while true {
                        let first = seen & 0xFFFF_FFFF, end = seen >> 32
                        if first >= end { break }
                        let left = own ? seen + 1 : seen - (1 << 32)
                        let (taken, found) = runs[owner].compareExchange(expected: seen, desired: left, ordering: .relaxed)
                        seen = taken ? left : found
                        if taken { body(own ? first : end - 1, lane) }
                    }
                }
            }
            for lane in 0..<lanes { _ = (runs + lane).move() }
        }
    }

    /// The current run: its number (above 8 bits) and its helpers (the low 8 bits), published together
    /// after `job` is set, so that a worker reads both at once.
    private let published = Atomic<Int>(0)
    /// Helpers that finished the current run.
    private let done = Atomic<Int>(0)
    /// Whether the caller parked waiting for `done`; whoever turns it back to false owns the signal.
    private let callerParked = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let busy = Mutex(false)
    /// The job of the current run, set before the run is published and read only by its helpers.
    private var job: ((Int) -> Void)?
    /// The started workers, in order.
    private var workers: [Lane] = []
    /// The workers that started: fewer than asked for where the process limit leaves no thread (a
    /// loaded machine). Only they are ever given work; a run waited for ever on a worker never started.
    private var started = 0

    init(workers: Int) {
        for worker in 0..<workers {
            let lane = Lane(pool: self, index: worker)
            let context = Unmanaged.passRetained(lane).toOpaque()
            var thread = pthread_t()
            guard pthread_create(&thread, nil, { context in
                let lane = Unmanaged<Lane>.fromOpaque(context!).takeRetainedValue()
                lane.pool.serve(lane)
            }, context) == 0 else {
                Unmanaged<Lane>.fromOpaque(context).release()
                break
            }
            pthread_detach(thread)
            self.workers.append(lane)
            started += 1
        }
    }

    private final class Lane: Sendable {
        unowned let pool: WorkerPool
        let index: Int
        let wake = DispatchSemaphore(value: 0)
        /// Whether the worker parked on `wake`; whoever turns it back to false owns the signal.
        let parked = Atomic<Bool>(false)
        init(pool: WorkerPool, index: Int) { (self.pool, self.index) = (pool, index) }
    }

    /// Nanoseconds on the monotonic clock.
    @inline(__always)
    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Spins until `ready()` or `spin` nanoseconds have passed; whether it became ready.
    @inline(__always)
    private static func spinUntil(_ ready: () -> Bool) -> Bool {
        if ready() { return true }
        let deadline = now() + spin
        var turns = 0
        while !ready() {
            turns &+= 1
            // Now and then give the core to another thread that wants it (a loaded machine: the
            // caller itself may be waiting for this core), and look at the clock.
            if turns & 255 == 0 {
                sched_yield()
                if now() > deadline { return false }
            }
        }
        return true
    }

    /// A worker's loop: wait for a run after the last one it saw (spinning, then parked), run its lane
    /// when it is one of the run's helpers, count itself done.
    private func serve(_ lane: Lane) -> Never {
        var seen = 0
        while true {
            var current = published.load(ordering: .acquiring)
            if !Self.spinUntil({ current = published.load(ordering: .acquiring); return current >> 8 != seen >> 8 }) {
                lane.parked.store(true, ordering: .sequentiallyConsistent)
                if published.load(ordering: .sequentiallyConsistent) >> 8 == seen >> 8 || !lane.parked.exchange(false, ordering: .sequentiallyConsistent) {
                    // Parked, or the caller already took the signal on itself: wait for it.
                    lane.wake.wait()
                }
                continue
            }
            seen = current
            guard lane.index < current & 0xFF else { continue }
            job!(lane.index + 1)
            if done.add(1, ordering: .sequentiallyConsistent).newValue == current & 0xFF,
               callerParked.exchange(false, ordering: .sequentiallyConsistent) {
                finished.signal()
            }
        }
    }

    /// Runs body(0) ..< body(lanes) on as many threads, returning when all are done.
    func run(lanes: Int, _ body: (Int) -> Void) {
        let helpers = min(lanes - 1, started, 0xFF)
        let claimed = helpers > 0 && busy.withLock { taken in
            if taken { return false }
            taken = true
            return true
        }
        guard claimed else {
            for lane in 0..<lanes { body(lane) }
            return
        }
        withoutActuallyEscaping(body) { body in
            job = body
            done.store(0, ordering: .relaxed)
            let runNumber = (published.load(ordering: .relaxed) >> 8) &+ 1
            published.store(runNumber << 8 | helpers, ordering: .sequentiallyConsistent)
            for worker in workers[..<helpers] where worker.parked.exchange(false, ordering: .sequentiallyConsistent) {
                worker.wake.signal()
            }
            body(0)
            if !Self.spinUntil({ done.load(ordering: .acquiring) == helpers }) {
                callerParked.store(true, ordering: .sequentiallyConsistent)
                if done.load(ordering: .sequentiallyConsistent) != helpers || !callerParked.exchange(false, ordering: .sequentiallyConsistent) {
                    // Parked, or the last helper already took the signal on itself: wait for it.
                    finished.wait()
                }
            }
            job = nil
        }
        busy.withLock { $0 = false }
    }
}
