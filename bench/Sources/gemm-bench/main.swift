// The matrix multiply behind dense and convolution layers, timed alone: square C = A·B at several sizes,
// on 1 and 2 threads, for each backend dnnc has (OpenBLAS when installed, the blocked Swift loops).
// Prints one line per case: size, threads, backend, median GFLOP/s of `runs` timings (min–max).
// Usage: gemm-bench [runs] [sizes...]

import DNNCore
import Foundation

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let runs = arguments.first ?? 5
let sizes = arguments.count > 1 ? Array(arguments.dropFirst()) : [256, 512, 1024, 2048]
let backends: [Gemm.Backend] = Gemm.backend == .openblas ? [.openblas, .blocked] : [.blocked]

func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

if ProcessInfo.processInfo.environment["SHAPES"] != nil {
    // The W2 step's multiplies (B = 128): M N K, transposes as dense forward/backward use them.
    let shapes: [(Gemm.Transpose, Gemm.Transpose, Int, Int, Int)] = [(.none, .transposed, 128, 512, 784), (.none, .transposed, 128, 256, 512),
                                                                   (.transposed, .none, 256, 512, 128), (.none, .none, 128, 512, 256), (.transposed, .none, 512, 784, 128)]
    for (ta, tb, M, N, K) in shapes {
        let a = [Float](repeating: 0.5, count: M * K), b = [Float](repeating: 0.25, count: K * N)
        var c = [Float](repeating: 0, count: M * N)
        for threads in [1, 2] {
            var times: [Double] = []
            for _ in 0..<50 {
                times.append(seconds {
                    Gemm.multiply(ta, tb, M: M, N: N, K: K, A: a, lda: ta == .none ? K : M, B: b, ldb: tb == .none ? N : K, beta: 1,
                                  C: &c, ldc: N, threads: threads)
                })
            }
            times.sort()
            print(M, N, K, ta, tb, threads, String(format: "%.1f µs  %.1f GFLOP/s", times[25] * 1e6, 2 * Double(M * N * K) / times[25] / 1e9))
        }
    }
    exit(0)
}
print("size threads backend GFLOP/s(median) min max")
for n in sizes {
    let a = (0 ..< n * n).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
    let b = (0 ..< n * n).map { Float(($0 * 104_729) % 1000) / 1000 - 0.5 }
    var c = [Float](repeating: 0, count: n * n)
    for threads in [1, 2] {
        for backend in backends {
            // The blocked loops take seconds at 2048; fewer runs there keep the whole under a few minutes.
            let count = backend == .blocked && n >= 2048 ? 1 : runs
            var rates: [Double] = []
            for run in 0 ... count {
                let t = seconds {
                    Gemm.multiply(.none, .none, M: n, N: n, K: n, A: a, lda: n, B: b, ldb: n, beta: 0, C: &c, ldc: n,
                                  threads: threads, backend: backend)
                }
                if run > 0 { rates.append(2 * Double(n * n * n) / t / 1e9) }   // the first run warms up
            }
            rates.sort()
            print(n, threads, backend.rawValue, String(format: "%.1f %.1f %.1f", rates[rates.count / 2], rates.first!, rates.last!))
        }
    }
}
