// 2-d convolution (a 1-d one is 2-d with height 1), forward beside backward, over NCHW buffers.
// Shape letters: B batch, C input channels, H×W input size, F output channels (filters), P×Q output
// size, G groups; x is (B,C,H,W), w is (F, C/G, KH, KW), b is (F), z is (B,F,P,Q).
// Output position (p, q) reads input rows p·SH − PH + i·DH and columns q·SW − PW + j·DW; positions
// outside the input count as zeros. Backward ADDS into dw, db and dx.

import DNNSyntax

public enum ConvolutionKernel {
    public static func forward(_ c: Convolution, x: UnsafePointer<Float>, w: UnsafePointer<Float>, b: UnsafePointer<Float>?,
                               z: UnsafeMutablePointer<Float>, B: Int) {
        let (C, H, W, F, P, Q) = (c.inChannels, c.input.h, c.input.w, c.outChannels, c.output.h, c.output.w)
        let cg = C / c.groups, fg = F / c.groups, K = c.kernel
        for n in 0..<B {
            for f in 0..<F {
                let group = f / fg
                let out = z + ((n * F + f) * P) * Q
                let bias = b?[f] ?? 0
                for p in 0..<P {
                    for q in 0..<Q {
                        var sum = bias
                        for ci in 0..<cg {
                            let channel = group * cg + ci
                            let xc = x + (n * C + channel) * H * W
                            let wc = w + ((f * cg + ci) * K.h) * K.w
                            for i in 0..<K.h {
                                let row = p * c.stride.h - c.padding.h + i * c.dilation.h
                                if row < 0 || row >= H { continue }
                                for j in 0..<K.w {
                                    let col = q * c.stride.w - c.padding.w + j * c.dilation.w
                                    if col < 0 || col >= W { continue }
                                    sum += xc[row * W + col] * wc[i * K.w + j]
                                }
                            }
                        }
                        out[p * Q + q] = sum
                    }
                }
            }
        }
    }

    /// dw += Σ dz·x, db += Σ dz, dx += Σ dz·w (when dx is given).
    public static func backward(_ c: Convolution, x: UnsafePointer<Float>, w: UnsafePointer<Float>, dz: UnsafePointer<Float>,
                                dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                                dx: UnsafeMutablePointer<Float>?, B: Int) {
        let (C, H, W, F, P, Q) = (c.inChannels, c.input.h, c.input.w, c.outChannels, c.output.h, c.output.w)
        let cg = C / c.groups, fg = F / c.groups, K = c.kernel
        for n in 0..<B {
            for f in 0..<F {
                let group = f / fg
                let g = dz + ((n * F + f) * P) * Q
                if let db { for k in 0..<P * Q { db[f] += g[k] } }
                for p in 0..<P {
                    for q in 0..<Q {
                        let gv = g[p * Q + q]
                        if gv == 0 { continue }
                        for ci in 0..<cg {
                            let channel = group * cg + ci
                            let offset = (n * C + channel) * H * W
                            let wc = ((f * cg + ci) * K.h) * K.w
                            for i in 0..<K.h {
                                let row = p * c.stride.h - c.padding.h + i * c.dilation.h
                                if row < 0 || row >= H { continue }
                                for j in 0..<K.w {
                                    let col = q * c.stride.w - c.padding.w + j * c.dilation.w
                                    if col < 0 || col >= W { continue }
                                    dw[wc + i * K.w + j] += gv * x[offset + row * W + col]
                                    dx?[offset + row * W + col] += gv * w[wc + i * K.w + j]
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Output columns q (of Q) read input column q·stride + shift; the ones in qLow ..< qHigh lie inside
/// the input's W columns, the others in the padding. The bounds let the inner loops run without a test.
@inline(__always)
func insideColumns(shift: Int, stride: Int, outputs Q: Int, width W: Int) -> (qLow: Int, qHigh: Int) {
    let qLow = min(Q, shift >= 0 ? 0 : (-shift + stride - 1) / stride)
    let qHigh = max(qLow, min(Q, W - shift > 0 ? (W - shift + stride - 1) / stride : 0))
    return (qLow, qHigh)
}

/// The same convolution as matrix multiplies (im2col): per sample and group, the input's windows are
/// laid out as the columns of `cols` (cg·KH·KW, P·Q), so that z = W·cols, dw += dz·colsᵀ and
/// dcols = Wᵀ·dz, which col2im adds back into dx. Tested against the loops above.
/// Threads take whole samples: the batch is cut into at most `sampleChunks` chunks by its size alone;
/// each thread has its own cols and dcols (one per lane), and each chunk sums its samples' dw and db
/// into its own partial sums, which are added in chunk order, so the thread count changes no bit.
public enum FastConvolutionKernel {
    static let sampleChunks = 8

    /// Floats of scratch one lane needs for `cols` and for `dcols` each.
    public static func scratchSize(_ c: Convolution) -> Int {
        c.inChannels / c.groups * c.kernel.h * c.kernel.w * c.output.h * c.output.w
    }

    /// Floats for the chunks' partial dw and db.
    public static func partialSize(_ c: Convolution) -> Int {
        sampleChunks * (weightCount(c) + c.outChannels)
    }

    static func weightCount(_ c: Convolution) -> Int { c.outChannels * c.inChannels / c.groups * c.kernel.h * c.kernel.w }

    /// cols holds `scratchSize` floats per lane, for WorkerPool.capacity lanes.
    public static func forward(_ c: Convolution, x: UnsafePointer<Float>, w: UnsafePointer<Float>, b: UnsafePointer<Float>?,
                               z: UnsafeMutablePointer<Float>, B: Int, cols: UnsafeMutablePointer<Float>, threads: Int) {
        let (C, F, PQ) = (c.inChannels, c.outChannels, c.output.h * c.output.w)
        let cg = C / c.groups, fg = F / c.groups, rows = cg * c.kernel.h * c.kernel.w
        let plane = c.input.h * c.input.w, scratch = scratchSize(c)
        let chunks = min(B, sampleChunks)
        WorkerPool.forEach(chunks: chunks, threads: threads) { chunk, lane in
            let cols = cols + lane * scratch
            for n in B * chunk / chunks ..< B * (chunk + 1) / chunks {
                for g in 0..<c.groups {
                    im2col(c, x: x + (n * C + g * cg) * plane, cols: cols)
                    let out = z + (n * F + g * fg) * PQ
                    if let b {
                        for f in 0..<fg { (out + f * PQ).update(repeating: b[g * fg + f], count: PQ) }
                    }
                    Gemm.multiply(.none, .none, M: fg, N: PQ, K: rows, A: w + g * fg * rows, lda: rows, B: cols, ldb: PQ,
                                  beta: b == nil ? 0 : 1, C: out, ldc: PQ)
                }
            }
        }
    }

    /// cols and dcols hold `scratchSize` floats per lane; partial holds `partialSize` floats.
    public static func backward(_ c: Convolution, x: UnsafePointer<Float>, w: UnsafePointer<Float>, dz: UnsafePointer<Float>,
                                dw: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>?,
                                dx: UnsafeMutablePointer<Float>?, B: Int, cols: UnsafeMutablePointer<Float>,
                                dcols: UnsafeMutablePointer<Float>, partial: UnsafeMutablePointer<Float>, threads: Int) {
        let (C, F, PQ) = (c.inChannels, c.outChannels, c.output.h * c.output.w)
        let cg = C / c.groups, fg = F / c.groups, rows = cg * c.kernel.h * c.kernel.w
        let plane = c.input.h * c.input.w, scratch = scratchSize(c), wCount = weightCount(c)
        let chunks = min(B, sampleChunks)
        WorkerPool.forEach(chunks: chunks, threads: threads) { chunk, lane in
            let cols = cols + lane * scratch, dcols = dcols + lane * scratch
            let pdw = partial + chunk * (wCount + F), pdb = pdw + wCount
            pdw.update(repeating: 0, count: wCount + F)
            for n in B * chunk / chunks ..< B * (chunk + 1) / chunks {
                for f in 0..<F {
                    let g = dz + (n * F + f) * PQ
                    var sum: Float = 0
                    for k in 0..<PQ { sum += g[k] }
                    pdb[f] += sum
                }
                for g in 0..<c.groups {
                    let input = x + (n * C + g * cg) * plane
                    let grad = dz + (n * F + g * fg) * PQ
                    im2col(c, x: input, cols: cols)
                    Gemm.multiply(.none, .transposed, M: fg, N: rows, K: PQ, A: grad, lda: PQ, B: cols, ldb: PQ, beta: 1,
                                  C: pdw + g * fg * rows, ldc: rows)
                    guard let dx else { continue }
                    Gemm.multiply(.transposed, .none, M: rows, N: PQ, K: fg, A: w + g * fg * rows, lda: rows, B: grad, ldb: PQ,
                                  beta: 0, C: dcols, ldc: PQ)
                    col2im(c, dcols: dcols, dx: dx + (n * C + g * cg) * plane)
                }
            }
        }
        for chunk in 0..<chunks {
            let pdw = partial + chunk * (wCount + F), pdb = pdw + wCount
            for i in 0..<wCount { dw[i] += pdw[i] }
            if let db { for f in 0..<F { db[f] += pdb[f] } }
        }
    }

    /// cols[(ci·KH + i)·KW + j, p·Q + q] = x[ci, p·SH − PH + i·DH, q·SW − PW + j·DW], 0 outside the input.
    static func im2col(_ c: Convolution, x: UnsafePointer<Float>, cols: UnsafeMutablePointer<Float>) {
        let (H, W, P, Q) = (c.input.h, c.input.w, c.output.h, c.output.w)
        var row = cols
        for ci in 0 ..< c.inChannels / c.groups {
            let xc = x + ci * H * W
            for i in 0..<c.kernel.h {
                for j in 0..<c.kernel.w {
                    let shift = j * c.dilation.w - c.padding.w, SW = c.stride.w
                    let (qLow, qHigh) = insideColumns(shift: shift, stride: SW, outputs: Q, width: W)
                    for p in 0..<P {
                        let r = p * c.stride.h - c.padding.h + i * c.dilation.h
                        let out = row + p * Q
                        if r < 0 || r >= H { out.update(repeating: 0, count: Q); continue }
                        let xr = xc + r * W + shift
                        for q in 0..<qLow { out[q] = 0 }
                        if SW == 1 {
                            (out + qLow).update(from: xr + qLow, count: qHigh - qLow)
                        } else {
                            for q in qLow..<qHigh { out[q] = xr[q * SW] }
                        }
                        for q in qHigh..<Q { out[q] = 0 }
                    }
                    row += P * Q
                }
            }
        }
    }

    /// dx[ci, r, col] += dcols at every (row, column) of cols that read x[ci, r, col].
    static func col2im(_ c: Convolution, dcols: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>) {
        let (H, W, P, Q) = (c.input.h, c.input.w, c.output.h, c.output.w)
        var row = dcols
        for ci in 0 ..< c.inChannels / c.groups {
            let dxc = dx + ci * H * W
            for i in 0..<c.kernel.h {
                for j in 0..<c.kernel.w {
                    let shift = j * c.dilation.w - c.padding.w, SW = c.stride.w
                    let (qLow, qHigh) = insideColumns(shift: shift, stride: SW, outputs: Q, width: W)
                    for p in 0..<P {
                        let r = p * c.stride.h - c.padding.h + i * c.dilation.h
                        if r < 0 || r >= H { continue }
                        let source = row + p * Q, dxr = dxc + r * W + shift
                        for q in qLow..<qHigh { dxr[q * SW] += source[q] }
                    }
                    row += P * Q
                }
            }
        }
    }
}

/// Max and average pooling over (B, C, H, W) → (B, C, P, Q). Max pooling records the index of each
/// window's maximum (the first, on ties, as PyTorch) for backward; average pooling divides by the full
/// window, padding included (count_include_pad).
public enum PoolingKernel {
    /// Planes (one channel of one sample) are independent, so threads share them in fixed chunks.
    public static func forward(_ pool: Pooling, x: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>,
                               argmax: UnsafeMutablePointer<Int32>, B: Int, threads: Int = 1) {
        let planes = B * pool.channels, chunks = min(planes, 8)
        WorkerPool.forEach(chunks: chunks, threads: planes * pool.input.h * pool.input.w < 1 << 16 ? 1 : threads) { chunk, _ in
            forward(pool, x: x, z: z, argmax: argmax, planes: planes * chunk / chunks ..< planes * (chunk + 1) / chunks)
        }
    }

    static func forward(_ pool: Pooling, x: UnsafePointer<Float>, z: UnsafeMutablePointer<Float>,
                        argmax: UnsafeMutablePointer<Int32>, planes: Range<Int>) {
        let (H, W, P, Q) = (pool.input.h, pool.input.w, pool.output.h, pool.output.w)
        let size = Float(pool.size.h * pool.size.w), SW = pool.stride.w
        let lanes = SIMD4<Int32>(0, 1, 2, 3)
        for nc in planes {
            let xc = x + nc * H * W, out = z + nc * P * Q, arg = argmax + nc * P * Q
            for p in 0..<P {
                // A whole output row at once, one window position (i, j) after another: the values of
                // one output do not wait on each other's comparisons, so the loop over q pipelines.
                let o = out + p * Q, index = arg + p * Q
                o.update(repeating: pool.isMax ? -.infinity : 0, count: Q)
                index.update(repeating: -1, count: Q)
                let top = p * pool.stride.h - pool.padding.h
                for row in max(top, 0) ..< min(top + pool.size.h, H) {
                    let xr = xc + row * W
                    for j in 0..<pool.size.w {
                        let shift = j - pool.padding.w
                        let (qLow, qHigh) = insideColumns(shift: shift, stride: SW, outputs: Q, width: W)
                        if pool.isMax {
                            // Four outputs at a time with vector selects (SSE's width): a branch per
                            // value would be mispredicted half the time on data without order.
                            var q = qLow
                            while q + 4 <= qHigh {
                                let c = xr + q * SW + shift
                                let v = SIMD4<Float>(c[0], c[SW], c[2 * SW], c[3 * SW])
                                let at = SIMD4<Int32>(repeating: Int32(truncatingIfNeeded: row * W + q * SW + shift)) &+ lanes &* Int32(SW)
                                let best = UnsafeRawPointer(o + q).loadUnaligned(as: SIMD4<Float>.self)
                                let held = UnsafeRawPointer(index + q).loadUnaligned(as: SIMD4<Int32>.self)
                                let take = (v .> best) .| (v .!= v) .| (held .< 0)
                                UnsafeMutableRawPointer(o + q).storeBytes(of: best.replacing(with: v, where: take), as: SIMD4<Float>.self)
                                UnsafeMutableRawPointer(index + q).storeBytes(of: held.replacing(with: at, where: take), as: SIMD4<Int32>.self)
                                q += 4
                            }
                            for q in q..<qHigh {
                                let col = q * SW + shift, v = xr[col]
                                let take = (v > o[q] ? 1 : 0) | (v.isNaN ? 1 : 0) | (index[q] < 0 ? 1 : 0) == 1
                                o[q] = take ? v : o[q]
                                index[q] = take ? Int32(truncatingIfNeeded: row * W + col) : index[q]
                            }
                        } else {
                            for q in qLow..<qHigh { o[q] += xr[q * SW + shift] }
                        }
                    }
                }
                if !pool.isMax { for q in 0..<Q { o[q] /= size } }
            }
        }
    }

    /// dx += the gradient routed back to each window's maximum, or spread evenly over the window.
    public static func backward(_ pool: Pooling, dz: UnsafePointer<Float>, argmax: UnsafePointer<Int32>,
                                dx: UnsafeMutablePointer<Float>, B: Int) {
        let (C, H, W, P, Q) = (pool.channels, pool.input.h, pool.input.w, pool.output.h, pool.output.w)
        let size = Float(pool.size.h * pool.size.w)
        for nc in 0..<B * C {
            let dxc = dx + nc * H * W, g = dz + nc * P * Q, arg = argmax + nc * P * Q
            for p in 0..<P {
                for q in 0..<Q {
                    if pool.isMax {
                        if arg[p * Q + q] >= 0 { dxc[Int(arg[p * Q + q])] += g[p * Q + q] }
                        continue
                    }
                    let share = g[p * Q + q] / size
                    window(pool, p, q, H: H, W: W) { index in dxc[index] += share }
                }
            }
        }
    }

    /// Calls `body` with the index (within one H×W plane) of every position of window (p, q) that
    /// lies inside the input; positions in the padding are skipped.
    @inline(__always)
    static func window(_ pool: Pooling, _ p: Int, _ q: Int, H: Int, W: Int, _ body: (Int) -> Void) {
        for i in 0..<pool.size.h {
            let row = p * pool.stride.h - pool.padding.h + i
            if row < 0 || row >= H { continue }
            for j in 0..<pool.size.w {
                let col = q * pool.stride.w - pool.padding.w + j
                if col < 0 || col >= W { continue }
                body(row * W + col)
            }
        }
    }
}
