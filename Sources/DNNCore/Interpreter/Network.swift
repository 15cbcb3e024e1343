// The interpreter's workspace and its forward and backward passes over the layer graph. Every buffer a
// training step touches is allocated once from the IR's shapes. Learnable parameters, their gradients
// and the optimizer's state each live in one flat buffer in the IR's parameter order; running
// statistics live in a second one. Layers run in spec order, which the IR builder has checked is a
// topological order; backward runs in reverse and ADDS each layer's input gradients into its
// producers' gradient buffers, all zeroed once per step. A step allocates nothing.

public final class Network {
    public let model: ModelIR
    /// The most rows a pass handles at once.
    public let capacity: Int

    /// Where each parameter lives: in `params` (learnable) or `stats`, at an offset.
    public let placement: [(learnable: Bool, offset: Int)]
    /// The number of learnable values.
    public let parameterCount: Int

    let params: UnsafeMutableBufferPointer<Float>
    let grads: UnsafeMutableBufferPointer<Float>
    let state1: UnsafeMutableBufferPointer<Float>
    let state2: UnsafeMutableBufferPointer<Float>
    let state3: UnsafeMutableBufferPointer<Float>
    /// Running statistics (batchnorm), updated by the layers themselves.
    let stats: UnsafeMutableBufferPointer<Float>

    /// Per layer: pre-activation z and output a, each (capacity, size); ga = ∂L/∂a.
    let z: [UnsafeMutableBufferPointer<Float>]
    let a: [UnsafeMutableBufferPointer<Float>]
    let ga: [UnsafeMutableBufferPointer<Float>]
    /// Per layer, what its backward needs: dropout's mask or the norms' x̂ (capacity, size), the
    /// norms' 1/σ, max pooling's argmax.
    let saved: [UnsafeMutableBufferPointer<Float>]
    let invstd: [UnsafeMutableBufferPointer<Float>]
    let argmax: [UnsafeMutableBufferPointer<Int32>]
    /// The batch's inputs (capacity, I) and targets (capacity, T).
    let x: UnsafeMutableBufferPointer<Float>
    let t: UnsafeMutableBufferPointer<Float>
    /// ∂L/∂z of the layer being differentiated, (capacity, widest).
    let gz: UnsafeMutableBufferPointer<Float>
    /// The convolutions' im2col columns and their gradient, sized for the largest convolution.
    let cols: UnsafeMutableBufferPointer<Float>
    let dcols: UnsafeMutableBufferPointer<Float>
    /// The convolutions' per-chunk partial weight gradients.
    let partial: UnsafeMutableBufferPointer<Float>

    /// Per layer: offsets of its tensors (nil when absent); running statistics index `stats`.
    struct LayerSlots { var weight: Int?; var bias: Int?; var slope: Int?; var runningMean: Int?; var runningVar: Int? }
    let slots: [LayerSlots]
    /// Per layer: its learnable parameters' span in `params` (a layer's parameters are contiguous).
    public let layerRanges: [Range<Int>]

    /// What a step reads of each layer, as plain values and pointers: the hot loop touches no array of the
    /// IR, so a step does no reference counting.
    struct LayerPlan {
        var isDense = false, hasPenalty = false
        var I = 0, O = 0
        var activation: Activation = .identity
        var elementwise = true
        /// Values per sample, and the sample's first dimension (prelu's channels).
        var size = 0, channels = 1
        var x: UnsafeMutablePointer<Float>
        var dx: UnsafeMutablePointer<Float>?
        var z, a, ga: UnsafeMutablePointer<Float>
        var w, b, dw, db, slope, dslope: UnsafeMutablePointer<Float>?
    }
    let plans: UnsafeMutableBufferPointer<LayerPlan>

    /// The model's output width and the targets' width, read by every step.
    let outputWidth: Int, targetWidth: Int

    /// Counts changes to the parameters, so that results computed from them can be reused until the next.
    public internal(set) var revision = 0

    /// Threads a matrix multiply may use; the result is the same whatever the count (Gemm.swift).
    public var threads = 1

    /// Training mode: dropout drops and batchnorm uses the batch's statistics. Off for evaluation.
    public var training = false
    /// The optimizer of the current phase.
    public var optimizer: Optimizer
    /// Dropout's draws: the seed's stream 2.
    var dropoutStream: RandomStream

    public init(model: ModelIR, capacity: Int) {
        self.model = model
        self.capacity = capacity
        var placement: [(learnable: Bool, offset: Int)] = []
        var learnable = 0, statistics = 0
        for p in model.parameters {
            if p.isLearnable {
                placement.append((true, learnable))
                learnable += p.count
            } else {
                placement.append((false, statistics))
                statistics += p.count
            }
        }
        self.placement = placement
        parameterCount = learnable
        func buffer<T: Numeric>(_ n: Int, _: T.Type = Float.self) -> UnsafeMutableBufferPointer<T> {
            let b = UnsafeMutableBufferPointer<T>.allocate(capacity: max(n, 1))
            b.initialize(repeating: 0)
            return b
        }
        params = buffer(learnable)
        grads = buffer(learnable)
        state1 = buffer(learnable)
        state2 = buffer(learnable)
        state3 = buffer(learnable)
        stats = buffer(statistics)
        var slots: [LayerSlots] = []
        var ranges: [Range<Int>] = []
        var index = 0
        for layer in model.layers {
            var slot = LayerSlots()
            var start: Int? = nil, end = 0
            for p in layer.parameters {
                let (isLearnable, offset) = placement[index]
                switch p.role {
                case .weight: slot.weight = offset
                case .bias: slot.bias = offset
                case .preluSlope: slot.slope = offset
                case .runningMean: slot.runningMean = offset
                case .runningVariance: slot.runningVar = offset
                }
                if isLearnable {
                    start = start ?? offset
                    end = offset + p.count
                }
                index += 1
            }
            slots.append(slot)
            let begin = start ?? (ranges.last?.upperBound ?? 0)
            ranges.append(begin ..< max(begin, end))
        }
        self.slots = slots
        layerRanges = ranges
        let sizes = Workspace(model: model, capacity: capacity)
        let zs = sizes.z.map { buffer($0) }
        z = zs
        a = sizes.a.indices.map { l in sizes.a[l] == 0 ? zs[l] : buffer(sizes.a[l]) }
        ga = sizes.ga.map { buffer($0) }
        saved = sizes.saved.map { buffer($0) }
        invstd = sizes.invstd.map { buffer($0) }
        argmax = sizes.argmax.map { buffer($0, Int32.self) }
        x = buffer(sizes.x)
        t = buffer(sizes.t)
        gz = buffer(sizes.gz)
        cols = buffer(sizes.cols)
        dcols = buffer(sizes.cols)
        partial = buffer(sizes.partial)
        dropoutStream = RandomStream(seed: model.seed, stream: RandomStream.dropout)
        optimizer = model.optimizer
        outputWidth = model.outputWidth
        targetWidth = model.targetWidth
        plans = .allocate(capacity: max(model.layers.count, 1))
        for (l, layer) in model.layers.enumerated() {
            let source = layer.inputs.first ?? -1, slot = slots[l]
            var plan = LayerPlan(x: source < 0 ? x.baseAddress! : a[source].baseAddress!,
                                 dx: source < 0 ? nil : ga[source].baseAddress!,
                                 z: z[l].baseAddress!, a: a[l].baseAddress!, ga: ga[l].baseAddress!)
            if case .dense(let I, let O, _) = layer.kind { plan.isDense = true; plan.I = I; plan.O = O }
            plan.hasPenalty = layer.l1 != 0 || layer.l2 != 0
            plan.activation = layer.activation
            plan.elementwise = layer.activation.isElementwise
            plan.size = layer.outputSize
            plan.channels = layer.outputShape.first ?? 1
            let p = params.baseAddress!, g = grads.baseAddress!
            plan.w = slot.weight.map { p + $0 }
            plan.dw = slot.weight.map { g + $0 }
            plan.b = slot.bias.map { p + $0 }
            plan.db = slot.bias.map { g + $0 }
            plan.slope = slot.slope.map { p + $0 }
            plan.dslope = slot.slope.map { g + $0 }
            plans.initializeElement(at: l, to: plan)
        }
    }

    deinit {
        var freed = Set<UnsafeMutablePointer<Float>>()
        for b in [params, grads, state1, state2, state3, stats, x, t, gz, cols, dcols, partial] + z + a + ga + saved + invstd
        where freed.insert(b.baseAddress!).inserted {
            b.deallocate()
        }
        for b in argmax { b.deallocate() }
        plans.deallocate()
    }

    /// Draws every parameter from its initializer, in the IR's order, from the initialization stream.
    public func initialize(seed: UInt64) {
        revision += 1
        var rng = RandomStream(seed: seed, stream: RandomStream.initialization)
        for (p, place) in zip(model.parameters, placement) {
            let buffer = place.learnable ? params : stats
            let slice = UnsafeMutableBufferPointer(rebasing: buffer[place.offset ..< place.offset + p.count])
            Initializers.fill(slice, with: p.initializer, fanIn: p.fanIn, fanOut: p.fanOut, rng: &rng)
        }
        dropoutStream = RandomStream(seed: seed, stream: RandomStream.dropout)
        resetOptimizerState()
    }

    public func resetOptimizerState() {
        state1.update(repeating: 0)
        state2.update(repeating: 0)
        state3.update(repeating: 0)
    }

    /// The values of one parameter, by its index in `model.parameters`.
    public func values(ofParameter index: Int) -> [Float] {
        let (learnable, offset) = placement[index]
        return Array((learnable ? params : stats)[offset ..< offset + model.parameters[index].count])
    }

    public func setValues(ofParameter index: Int, _ values: [Float]) {
        precondition(values.count == model.parameters[index].count)
        let (learnable, offset) = placement[index]
        let buffer = learnable ? params : stats
        for (k, v) in values.enumerated() { buffer[offset + k] = v }
        revision += 1
    }

    /// The gradient of one parameter after the last `backward` (zeros for running statistics).
    public func gradient(ofParameter index: Int) -> [Float] {
        let (learnable, offset) = placement[index]
        guard learnable else { return [Float](repeating: 0, count: model.parameters[index].count) }
        return Array(grads[offset ..< offset + model.parameters[index].count])
    }

    /// Runs the layers on the first `rows` rows of `x`; the output is `a.last`.
    func forward(rows B: Int) {
        for l in 0 ..< plans.count {
            let plan = plans[l]
            if plan.isDense {
                DenseKernel.forward(z: plan.z, x: plan.x, w: plan.w!, b: plan.b, B: B, I: plan.I, O: plan.O, threads: threads)
            } else {
                forwardLinear(l, rows: B)
            }
            if plan.a == plan.z {
                // identity: the output is z itself
            } else if plan.elementwise {
                ActivationKernel.forward(plan.activation, z: plan.z, a: plan.a, slope: plan.slope, B: B, S: plan.size,
                                         channels: plan.channels)
            } else {
                forwardActivation(l, rows: B)
            }
        }
    }

    /// The buffer layer l reads as its k-th input.
    @inline(__always)
    func input(_ l: Int, _ k: Int = 0) -> UnsafeMutablePointer<Float> {
        let source = model.layers[l].inputs[k]
        return source < 0 ? x.baseAddress! : a[source].baseAddress!
    }

    /// Layer l's own op: z[l] from its inputs.
    func forwardLinear(_ l: Int, rows B: Int) {
        let layer = model.layers[l], slot = slots[l], out = z[l].baseAddress!
        let p = params.baseAddress!, size = plans[l].size
        switch layer.kind {
        case .dense(let I, let O, _):
            DenseKernel.forward(z: out, x: input(l), w: p + slot.weight!, b: slot.bias.map { UnsafePointer(p + $0) },
                                B: B, I: I, O: O, threads: threads)
        case .conv(let c):
            FastConvolutionKernel.forward(c, x: input(l), w: p + slot.weight!, b: slot.bias.map { UnsafePointer(p + $0) }, z: out,
                                          B: B, cols: cols.baseAddress!, threads: threads)
        case .pool(let pool):
            PoolingKernel.forward(pool, x: input(l), z: out, argmax: argmax[l].baseAddress!, B: B, threads: threads)
        case .globalAvgPool(let C, let S):
            let x = input(l)
            for nc in 0 ..< B * C {
                var sum: Float = 0
                for s in 0..<S { sum += x[nc * S + s] }
                out[nc] = sum / Float(S)
            }
        case .flatten, .reshape, .activation:
            out.update(from: input(l), count: B * size)
        case .dropout(let rate):
            let x = input(l), mask = saved[l].baseAddress!
            if training && rate > 0 {
                let keep = 1 / (1 - rate)
                for i in 0 ..< B * size {
                    mask[i] = Float(dropoutStream.uniform()) < rate ? 0 : keep
                    out[i] = x[i] * mask[i]
                }
            } else {
                for i in 0 ..< B * size { out[i] = x[i] }
            }
        case .batchnorm(let C, let S, let momentum, let eps):
            NormalizationKernel.batchnormForward(
                x: input(l), y: out, xhat: saved[l].baseAddress!, invstd: invstd[l].baseAddress!, weight: p + slot.weight!,
                bias: p + slot.bias!, runningMean: stats.baseAddress! + slot.runningMean!,
                runningVar: stats.baseAddress! + slot.runningVar!, B: B, C: C, S: S, momentum: momentum, eps: eps,
                training: training)
        case .layernorm(let D, let eps):
            NormalizationKernel.layernormForward(x: input(l), y: out, xhat: saved[l].baseAddress!, invstd: invstd[l].baseAddress!,
                                                 weight: p + slot.weight!, bias: p + slot.bias!, rows: B * size / D, D: D, eps: eps)
        case .embedding(let vocab, let dim):
            let x = input(l), w = p + slot.weight!, L = layer.inputShape.reduce(1, *)
            for i in 0 ..< B * L {
                // Every entry point checks its data (ModelIR.indexViolation); this is the last guard.
                guard let row = x[i].index(below: vocab) else { preconditionFailure("embedding index \(x[i]) was not checked") }
                for d in 0..<dim { out[i * dim + d] = w[row * dim + d] }
            }
        case .add, .multiply:
            let isAdd = layer.kind == .add
            let first = input(l)
            for i in 0 ..< B * size { out[i] = first[i] }
            for k in 1 ..< layer.inputs.count {
                let other = input(l, k)
                if isAdd { for i in 0 ..< B * size { out[i] += other[i] } } else { for i in 0 ..< B * size { out[i] *= other[i] } }
            }
        case .concat:
            var offset = 0
            for (k, shape) in layer.inputShapes.enumerated() {
                let part = shape.reduce(1, *), source = input(l, k)
                for n in 0..<B {
                    for i in 0..<part { out[n * size + offset + i] = source[n * part + i] }
                }
                offset += part
            }
        }
    }

    /// Layer l's activation: a[l] from z[l].
    func forwardActivation(_ l: Int, rows B: Int) {
        let layer = model.layers[l]
        ActivationKernel.forward(layer.activation, z: z[l].baseAddress!, a: a[l].baseAddress!,
                                 slope: slots[l].slope.map { UnsafePointer(params.baseAddress! + $0) },
                                 B: B, shape: layer.outputShape)
    }

    /// The loss of the last forward pass against the first `rows` rows of `t`, with the layers' penalties.
    func loss(rows B: Int) -> Float {
        var value = LossKernel.forward(model.loss, p: plans[plans.count - 1].a, t: t.baseAddress!, B: B, O: outputWidth,
                                       T: targetWidth)
        for l in 0 ..< plans.count where plans[l].hasPenalty {
            let layer = model.layers[l]
            guard let w = slots[l].weight, let count = layer.parameters.first(where: { $0.role == .weight })?.count else { continue }
            for i in w ..< w + count { value += layer.l1 * abs(params[i]) + layer.l2 * params[i] * params[i] }
        }
        return value
    }

    /// Zeroes the gradients, then adds ∂L/∂θ of the last forward pass into them.
    func backward(rows B: Int) {
        grads.update(repeating: 0)
        for l in 0 ..< plans.count { plans[l].ga.update(repeating: 0, count: B * plans[l].size) }
        let last = plans[plans.count - 1]
        LossKernel.backward(model.loss, p: last.a, t: t.baseAddress!, dp: last.ga, B: B, O: outputWidth, T: targetWidth)
        for l in stride(from: plans.count - 1, through: 0, by: -1) {
            let plan = plans[l]
            guard plan.isDense && plan.elementwise else {
                backwardLayer(l, rows: B)
                continue
            }
            let dz = gradientOfZ(plan, rows: B)
            DenseKernel.backward(dz: dz, x: plan.x, w: plan.w!, dw: plan.dw!, db: plan.db, dx: plan.dx,
                                 B: B, I: plan.I, O: plan.O, threads: threads)
            if plan.hasPenalty { addPenalty(l) }
        }
    }

    /// ∂L/∂z of an element-wise activation's layer: ga itself for identity (a is z), else computed into gz.
    @inline(__always)
    func gradientOfZ(_ plan: LayerPlan, rows B: Int) -> UnsafeMutablePointer<Float> {
        if plan.a == plan.z { return plan.ga }
        ActivationKernel.backward(plan.activation, z: plan.z, a: plan.a, da: plan.ga, dz: gz.baseAddress!, slope: plan.slope,
                                  dslope: plan.dslope, B: B, S: plan.size, channels: plan.channels)
        return gz.baseAddress!
    }

    /// Layer l's activation and op backward, from ga[l] into its parameters' and inputs' gradients.
    func backwardLayer(_ l: Int, rows B: Int) {
        let layer = model.layers[l], slot = slots[l], plan = plans[l], size = plan.size
        let p = params.baseAddress!, g = grads.baseAddress!
        let dz: UnsafeMutablePointer<Float>
        if plan.elementwise {
            dz = gradientOfZ(plan, rows: B)
        } else {
            dz = gz.baseAddress!
            ActivationKernel.backward(layer.activation, z: plan.z, a: plan.a, da: plan.ga, dz: dz, slope: plan.slope,
                                      dslope: plan.dslope, B: B, shape: layer.outputShape)
        }
        /// ∂L/∂(input k), or nil for the model's input, which needs none.
        func dx(_ k: Int = 0) -> UnsafeMutablePointer<Float>? {
            let source = layer.inputs[k]
            return source < 0 ? nil : ga[source].baseAddress!
        }
        switch layer.kind {
        case .dense(let I, let O, _):
            DenseKernel.backward(dz: dz, x: input(l), w: p + slot.weight!, dw: g + slot.weight!, db: slot.bias.map { g + $0 },
                                 dx: dx(), B: B, I: I, O: O, threads: threads)
        case .conv(let c):
            FastConvolutionKernel.backward(c, x: input(l), w: p + slot.weight!, dz: dz, dw: g + slot.weight!,
                                           db: slot.bias.map { g + $0 }, dx: dx(), B: B, cols: cols.baseAddress!,
                                           dcols: dcols.baseAddress!, partial: partial.baseAddress!, threads: threads)
        case .pool(let pool):
            if let d = dx() { PoolingKernel.backward(pool, dz: dz, argmax: argmax[l].baseAddress!, dx: d, B: B) }
        case .globalAvgPool(let C, let S):
            if let d = dx() {
                for nc in 0 ..< B * C { for s in 0..<S { d[nc * S + s] += dz[nc] / Float(S) } }
            }
        case .flatten, .reshape, .activation:
            if let d = dx() { for i in 0 ..< B * size { d[i] += dz[i] } }
        case .dropout(let rate):
            if let d = dx() {
                let mask = saved[l].baseAddress!
                if training && rate > 0 { for i in 0 ..< B * size { d[i] += dz[i] * mask[i] } } else { for i in 0 ..< B * size { d[i] += dz[i] } }
            }
        case .batchnorm(let C, let S, _, _):
            NormalizationKernel.batchnormBackward(dy: dz, xhat: saved[l].baseAddress!, invstd: invstd[l].baseAddress!,
                                                  weight: p + slot.weight!, dweight: g + slot.weight!, dbias: g + slot.bias!,
                                                  dx: dx(), B: B, C: C, S: S)
        case .layernorm(let D, _):
            NormalizationKernel.layernormBackward(dy: dz, xhat: saved[l].baseAddress!, invstd: invstd[l].baseAddress!,
                                                  weight: p + slot.weight!, dweight: g + slot.weight!, dbias: g + slot.bias!,
                                                  dx: dx(), rows: B * size / D, D: D)
        case .embedding(let vocab, let dim):
            let x = input(l), dw = g + slot.weight!, L = layer.inputShape.reduce(1, *)
            for i in 0 ..< B * L {
                guard let row = x[i].index(below: vocab) else { preconditionFailure("embedding index \(x[i]) was not checked") }
                for d in 0..<dim { dw[row * dim + d] += dz[i * dim + d] }
            }
        case .add:
            for k in layer.inputs.indices { if let d = dx(k) { for i in 0 ..< B * size { d[i] += dz[i] } } }
        case .multiply:
            for k in layer.inputs.indices {
                guard let d = dx(k) else { continue }
                for i in 0 ..< B * size {
                    var others: Float = 1
                    for j in layer.inputs.indices where j != k { others *= input(l, j)[i] }
                    d[i] += dz[i] * others
                }
            }
        case .concat:
            var offset = 0
            for (k, shape) in layer.inputShapes.enumerated() {
                let part = shape.reduce(1, *)
                if let d = dx(k) {
                    for n in 0..<B { for i in 0..<part { d[n * part + i] += dz[n * size + offset + i] } }
                }
                offset += part
            }
        }
        addPenalty(l)
    }

    /// Adds the gradient of layer l's penalties, ∂(l1·Σ|w| + l2·Σw²)/∂w.
    func addPenalty(_ l: Int) {
        let layer = model.layers[l], g = grads.baseAddress!
        if layer.l1 != 0 || layer.l2 != 0, let w = slots[l].weight,
           let count = layer.parameters.first(where: { $0.role == .weight })?.count {
            for i in w ..< w + count {
                let v = params[i]
                g[i] += layer.l1 * (v > 0 ? 1 : v < 0 ? -1 : 0) + 2 * layer.l2 * v
            }
        }
    }

    /// Clips the gradients as the schedule says, then applies one optimizer step (counted from 1).
    func update(step: Int, learningRate lr: Double) {
        revision += 1
        switch model.schedule.clip {
        case .none: break
        case .value(let limit):
            let m = Float(limit)
            for i in grads.indices { grads[i] = min(max(grads[i], -m), m) }
        case .norm(let limit):
            // clip_grad_norm_: scale by max_norm / (total_norm + 1e-6) when that is below 1.
            var sum = 0.0
            for v in grads { sum += Double(v) * Double(v) }
            let scale = Float(limit / (sum.squareRoot() + 1e-6))
            if scale < 1 { for i in grads.indices { grads[i] *= scale } }
        }
        OptimizerKernel.step(optimizer, lr: lr, p: params.baseAddress!, g: grads.baseAddress!, s1: state1.baseAddress!,
                             s2: state2.baseAddress!, s3: state3.baseAddress!, count: parameterCount, step: step)
    }

    /// The output layer's values for every row of `x` (normalized inputs), in evaluation mode, a
    /// workspace's worth of rows at a time; row-major.
    func outputs(_ x: DataMatrix) -> [Float] {
        training = false
        var out = [Float](repeating: 0, count: x.rows * outputWidth)
        var start = 0
        while start < x.rows {
            let rows = start ..< min(start + capacity, x.rows)
            load(x, rows: ArraySlice(rows), into: self.x)
            forward(rows: rows.count)
            for k in 0 ..< rows.count * outputWidth { out[start * outputWidth + k] = a.last![k] }
            start += capacity
        }
        return out
    }

    /// The loss over every row of `x` and `y` (both as the network sees them) in evaluation mode,
    /// penalties included, combined over batches as the loss's reduction combines samples.
    func loss(_ x: DataMatrix, _ y: DataMatrix) -> Double {
        training = false
        var total = 0.0
        var start = 0
        while start < x.rows {
            let rows = ArraySlice(start ..< min(start + capacity, x.rows))
            load(x, rows: rows, into: self.x)
            load(y, rows: rows, into: t)
            forward(rows: rows.count)
            let batchLoss = Double(loss(rows: rows.count))
            total += model.loss.reduction == .sum ? batchLoss : batchLoss * Double(rows.count) / Double(x.rows)
            start += capacity
        }
        return total
    }

    /// Copies rows of a matrix into a batch buffer, in the given order.
    func load(_ m: DataMatrix, rows: ArraySlice<Int>, into buffer: UnsafeMutableBufferPointer<Float>) {
        let columns = m.columns
        m.values.withUnsafeBufferPointer { values in
            for k in 0 ..< rows.count {
                let row = rows[rows.startIndex + k]
                (buffer.baseAddress! + k * columns).update(from: values.baseAddress! + row * columns, count: columns)
            }
        }
    }
}

extension Network {
    /// The size, in values, of every buffer a network allocates for `capacity` rows: the one account
    /// behind Network.init and MemoryEstimate, so that the estimate cannot drift from what is allocated.
    struct Workspace {
        /// Learnable values (each also has a gradient and three optimizer states) and running statistics.
        var learnable = 0, statistics = 0
        /// Per layer: z, a (0 where a is z: a layer without an activation keeps its output in z), ga,
        /// what its backward needs (dropout's mask, the norms' x̂), the norms' 1/σ, pooling's argmax.
        var z: [Int] = [], a: [Int] = [], ga: [Int] = [], saved: [Int] = [], invstd: [Int] = [], argmax: [Int] = []
        /// The batch's inputs and targets; ∂L/∂z of the layer being differentiated; the convolutions'
        /// im2col columns (and as many for their gradient), one per lane; their partial weight gradients.
        var x = 0, t = 0, gz = 0, cols = 0, partial = 0

        init(model: ModelIR, capacity: Int) {
            for p in model.parameters {
                if p.isLearnable { learnable += p.count } else { statistics += p.count }
            }
            for layer in model.layers {
                let values = capacity * layer.outputSize
                z.append(values)
                a.append(layer.activation == .identity ? 0 : values)
                ga.append(values)
                switch layer.kind {
                case .dropout, .batchnorm, .layernorm: saved.append(values)
                default: saved.append(0)
                }
                switch layer.kind {
                case .batchnorm(let channels, _, _, _): invstd.append(channels)
                case .layernorm(let features, _): invstd.append(values / features)
                default: invstd.append(0)
                }
                if case .pool = layer.kind { argmax.append(values) } else { argmax.append(0) }
            }
            let inputWidth = model.inputShape.reduce(1, *)
            x = capacity * inputWidth
            t = capacity * model.targetWidth
            gz = capacity * max(model.layers.map(\.outputSize).max() ?? 1, inputWidth)
            let convolutions = model.layers.compactMap { layer -> Convolution? in
                if case .conv(let c) = layer.kind { return c }
                return nil
            }
            cols = (convolutions.map(FastConvolutionKernel.scratchSize).max() ?? 0) * WorkerPool.capacity
            partial = convolutions.map(FastConvolutionKernel.partialSize).max() ?? 0
        }

        /// Every value allocated, argmax's Int32 counted as one (they are as wide as a Float).
        var values: Int {
            5 * learnable + statistics + [z, a, ga, saved, invstd, argmax].reduce(0) { $0 + $1.reduce(0, +) }
                + x + t + gz + 2 * cols + partial
        }
    }
}
