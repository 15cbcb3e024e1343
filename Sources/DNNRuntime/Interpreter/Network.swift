// The interpreter's workspace and its forward and backward passes over the layer graph. Every buffer a
// training step touches is allocated once from the IR's shapes. Each layer's op (Ops/) computes z from
// its inputs and adds its gradients; the layer's activation turns z into a. Learnable parameters,
// their gradients and the optimizer's state each live in one flat buffer in the IR's parameter order;
// running statistics live in a second one. Layers run in spec order, which the IR builder has checked
// is a topological order; backward runs in reverse and ADDS each layer's input gradients into its
// producers' gradient buffers, all zeroed once per step. A step allocates nothing.

import DNNSyntax
import DNNModel
import Synchronization
import DNNCheckpoint

public final class Network {
    public let model: ModelIR
    /// The steps it runs, with the values each reads (ModelIR.plan).
    public let plan: ExecutionPlan
    /// The most rows a pass handles at once.
    public let capacity: Int

    /// Where each parameter lives: in `params` (learnable) or `stats`, at an offset.
    public let placement: [(learnable: Bool, offset: Int)]
    /// The number of learnable values.
    public let parameterCount: Int

    package let params: UnsafeMutableBufferPointer<Float>
    package let grads: UnsafeMutableBufferPointer<Float>
    let state1: UnsafeMutableBufferPointer<Float>
    let state2: UnsafeMutableBufferPointer<Float>
    let state3: UnsafeMutableBufferPointer<Float>
    /// Running statistics (batchnorm), updated by the layers themselves.
    let stats: UnsafeMutableBufferPointer<Float>

    /// Per layer: pre-activation z and output a, each (capacity, size); ga = ∂L/∂a.
    package let z: [UnsafeMutableBufferPointer<Float>]
    package let a: [UnsafeMutableBufferPointer<Float>]
    let ga: [UnsafeMutableBufferPointer<Float>]
    /// Per layer, what its op's backward needs (OpBuffers): dropout's mask or the norms' x̂, the norms'
    /// 1/σ, max pooling's argmax.
    let saved: [UnsafeMutablePointer<Float>?]
    let invstd: [UnsafeMutablePointer<Float>?]
    let argmax: [UnsafeMutablePointer<Int32>?]
    /// The batch's inputs (capacity, I) and targets (capacity, T).
    package let x: UnsafeMutableBufferPointer<Float>
    package let t: UnsafeMutableBufferPointer<Float>
    /// ∂L/∂z of the layer being differentiated, (capacity, widest).
    let gz: UnsafeMutableBufferPointer<Float>
    /// Scratch shared by the layers (OpBuffers.columns, .partial): im2col columns and their gradient,
    /// partial weight gradients.
    let cols: UnsafeMutableBufferPointer<Float>
    let dcols: UnsafeMutableBufferPointer<Float>
    let partial: UnsafeMutableBufferPointer<Float>
    /// The padding mask (PassContext.padding), empty when no embedding declares a padding_index.
    let padding: UnsafeMutableBufferPointer<Float>

    /// Per layer: offsets of its tensors (nil when absent); running statistics index `stats`.
    struct LayerSlots { var weight: Int?; var bias: Int?; var slope: Int?; var runningMean: Int?; var runningVar: Int? }
    let slots: [LayerSlots]
    /// Per layer: its learnable parameters' span in `params` (a layer's parameters are contiguous).
    public let layerRanges: [Range<Int>]

    /// What a step reads of each layer, as plain values and pointers: the hot loop touches no array of the
    /// IR, so a step does no reference counting.
    struct LayerPlan {
        var io: LayerIO
        var hasPenalty = false
        var elementwise = true
        /// Values per sample, and the sample's first dimension (prelu's channels).
        var size = 0, channels = 1
        var a, ga: UnsafeMutablePointer<Float>
        var slope, dslope: UnsafeMutablePointer<Float>?
    }
    let plans: UnsafeMutableBufferPointer<LayerPlan>
    /// Per layer, its op and its activation bound to their own types once (`Bound`), apart from the plans
    /// (which stay plain values that copy as bytes): a step calls them through the class's vtable, with
    /// no existential to open or copy, and reaches the cell without reference counting.
    class Code {
        /// z = op(inputs).
        func forward(_ plan: UnsafePointer<LayerPlan>, _ pass: UnsafeMutablePointer<PassContext>) { preconditionFailure("abstract") }
        /// The op's gradients from dz.
        func backward(_ plan: UnsafePointer<LayerPlan>, dz: UnsafeMutablePointer<Float>, _ pass: UnsafeMutablePointer<PassContext>) {
            preconditionFailure("abstract")
        }
        /// a = f(z): element-wise without a shape (in pieces of rows over up to `threads` threads), along
        /// an axis of `shape` with one.
        func activate(_ plan: UnsafePointer<LayerPlan>, B: Int, shape: [Int]?, threads: Int) { preconditionFailure("abstract") }
        /// dz from ∂L/∂a, likewise (in one piece where the activation has a gradient of its own to sum).
        func activationBackward(_ plan: UnsafePointer<LayerPlan>, dz: UnsafeMutablePointer<Float>, B: Int, shape: [Int]?, threads: Int) {
            preconditionFailure("abstract")
        }
        func markPassing(z: UnsafePointer<Float>, a: UnsafePointer<Float>, rows: Int, flags: UnsafeMutableBufferPointer<Bool>) {
            preconditionFailure("abstract")
        }

        /// The cell of an op and an activation, each opened once.
        static func bind(_ op: any LayerOp, _ activation: any ActivationFunction) -> Code {
            func withOp<O: LayerOp>(_ op: O) -> Code {
                func withActivation<A: ActivationFunction>(_ activation: A) -> Code { Bound(op, activation) }
                return withActivation(activation)
            }
            return withOp(op)
        }
    }

    final class Bound<O: LayerOp, A: ActivationFunction>: Code {
        /// The op and the activation as constants of a final class: a call passes their address to the
        /// witness as it is, with nothing copied (a value behind a pointer was copied through its
        /// metadata for every call).
        let op: O
        let activation: A
        init(_ op: O, _ activation: A) {
            self.op = op
            self.activation = activation
        }

        override func forward(_ plan: UnsafePointer<LayerPlan>, _ pass: UnsafeMutablePointer<PassContext>) {
            op.forward(plan.pointee.io, &pass.pointee)
        }

        override func backward(_ plan: UnsafePointer<LayerPlan>, dz: UnsafeMutablePointer<Float>, _ pass: UnsafeMutablePointer<PassContext>) {
            op.backward(plan.pointee.io, dz: dz, &pass.pointee)
        }

        override func activate(_ plan: UnsafePointer<LayerPlan>, B: Int, shape: [Int]?, threads: Int) {
            // Every argument is of the parameter's own type before the call: an implicit pointer
            // conversion in the call would make Swift copy the activation through its metadata first.
            let p = plan.pointee
            let z = UnsafePointer(p.io.z), slope = p.slope.map { UnsafePointer<Float>($0) }
            guard let shape else {
                let S = p.size, a = p.a, channels = p.channels
                Network.forEachRowPiece(rows: B, size: S, threads: threads) { first, rows in
                    self.activation.forward(z: z + first * S, a: a + first * S, slope: slope, B: rows, S: S, channels: channels)
                }
                return
            }
            activation.forward(z: z, a: p.a, slope: slope, B: B, shape: shape)
        }

        override func activationBackward(_ plan: UnsafePointer<LayerPlan>, dz: UnsafeMutablePointer<Float>, B: Int, shape: [Int]?, threads: Int) {
            let p = plan.pointee
            let z = UnsafePointer(p.io.z), a = UnsafePointer(p.a), da = UnsafePointer(p.ga), slope = p.slope.map { UnsafePointer<Float>($0) }
            guard let shape else {
                // prelu's slope gradient sums over the rows: one piece, so that the sum's order is one.
                let S = p.size, channels = p.channels, dslope = p.dslope
                Network.forEachRowPiece(rows: B, size: S, threads: threads, pieces: dslope == nil) { first, rows in
                    self.activation.backward(z: z + first * S, a: a + first * S, da: da + first * S, dz: dz + first * S, slope: slope,
                                             dslope: dslope, B: rows, S: S, channels: channels)
                }
                return
            }
            activation.backward(z: z, a: a, da: da, dz: dz, slope: slope, dslope: p.dslope, B: B, shape: shape)
        }

        override func markPassing(z: UnsafePointer<Float>, a: UnsafePointer<Float>, rows: Int, flags: UnsafeMutableBufferPointer<Bool>) {
            activation.markPassing(z: z, a: a, rows: rows, flags: flags)
        }
    }
    let code: UnsafeMutableBufferPointer<Unmanaged<Code>>

    /// The loss bound to its type once, as the layers' code is: a step calls it through the vtable.
    class LossCode {
        func value(p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float { preconditionFailure("abstract") }
        func gradient(p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int) {
            preconditionFailure("abstract")
        }
        func divisor(t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float { preconditionFailure("abstract") }

        static func bind(_ loss: any LossFunction) -> LossCode {
            func open<L: LossFunction>(_ function: L) -> LossCode { BoundLoss(function) }
            return open(loss)
        }
    }

    final class BoundLoss<L: LossFunction>: LossCode {
        let function: L
        init(_ function: L) { self.function = function }

        override func value(p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
            function.value(p: p, t: t, B: B, O: O, T: T)
        }

        override func gradient(p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int) {
            function.gradient(p: p, t: t, dp: dp, B: B, O: O, T: T)
        }

        override func divisor(t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float { function.divisor(t: t, B: B, O: O, T: T) }
    }
    let lossCode: LossCode

    /// Calls `body` with layer l's code, without retaining it (the network holds it until deinit).
    @inline(__always)
    func withCode<R>(_ l: Int, _ body: (Code) -> R) -> R { code[l]._withUnsafeGuaranteedRef(body) }

    /// Every layer's inputs and their gradients, in one allocation each (LayerIO points into them).
    let inputPointers: UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>>
    let inputGradientPointers: UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>?>

    /// The model's output width and the targets' width, read by every step.
    let outputWidth: Int, targetWidth: Int
    /// Positions per sample that the loss takes one by one (ModelIR.positions): its rows are B·positions.
    let positions: Int

    /// Counts changes to the parameters, so that results computed from them can be reused until the next.
    @exclusivity(unchecked) public internal(set) var revision = 0

    /// What the layers of a pass share: rows, mode, threads, dropout's stream, scratch. Behind a pointer,
    /// so that handing it to each op costs no exclusivity check.
    let pass: UnsafeMutablePointer<PassContext>

    /// Threads a matrix multiply may use; the result is the same whatever the count (Gemm.swift).
    public var threads: Int {
        get { pass.pointee.threads }
        set { pass.pointee.threads = newValue }
    }

    /// Training mode: dropout drops and batchnorm uses the batch's statistics. Off for evaluation.
    public var training: Bool {
        get { pass.pointee.training }
        set { pass.pointee.training = newValue }
    }
    /// The optimizer of the current phase, and its rule (looked up once per phase, not per step).
    @exclusivity(unchecked) public var optimizer: Optimizer { didSet { optimizerRule = optimizer.rule } }
    @exclusivity(unchecked) private(set) var optimizerRule: any OptimizerRule.Type
    /// Dropout's draws: the seed's stream 2.
    package var dropoutStream: RandomStream {
        get { pass.pointee.dropout }
        set { pass.pointee.dropout = newValue }
    }

    public init(model: ModelIR, capacity: Int) {
        self.model = model
        self.capacity = capacity
        let plan = model.plan
        self.plan = plan
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
        // Each buffer starts on a cache line (malloc gives 16 bytes past a page for large ones), so the
        // multiplies' column cuts and the update's blocks fall on line boundaries (Gemm.lineFloats).
        func buffer<T: Numeric>(_ n: Int, _: T.Type = Float.self) -> UnsafeMutableBufferPointer<T> {
            let count = max(n, 1)
            let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<T>.stride, alignment: 4 * Gemm.lineFloats)
            let b = UnsafeMutableBufferPointer(start: raw.bindMemory(to: T.self, capacity: count), count: count)
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
        let perLayer = [Double](repeating: 0, count: ranges.count)
        watched = (perLayer, perLayer, perLayer)
        watchPieces = Self.watchPieces(ranges)
        let sizes = plan.workspace(capacity: capacity)
        let zs = sizes.z.map { buffer($0) }
        z = zs
        a = sizes.a.indices.map { l in sizes.a[l] == 0 ? zs[l] : buffer(sizes.a[l]) }
        ga = sizes.ga.map { buffer($0) }
        func optional<T: Numeric>(_ n: Int, _: T.Type = Float.self) -> UnsafeMutablePointer<T>? {
            n == 0 ? nil : buffer(n, T.self).baseAddress!
        }
        saved = sizes.saved.map { optional($0) }
        invstd = sizes.invstd.map { optional($0) }
        argmax = sizes.argmax.map { optional($0, Int32.self) }
        x = buffer(sizes.x)
        t = buffer(sizes.t)
        gz = buffer(sizes.gz)
        cols = buffer(sizes.cols)
        dcols = buffer(sizes.cols)
        partial = buffer(sizes.partial)
        padding = buffer(sizes.padding)
        pass = .allocate(capacity: 1)
        pass.initialize(to: PassContext(dropout: RandomStream(seed: model.seed, stream: RandomStream.dropout), columns: cols.baseAddress!,
                           columnGradients: dcols.baseAddress!, partial: partial.baseAddress!))
        pass.pointee.padding = sizes.padding == 0 ? nil : padding.baseAddress!
        optimizer = model.optimizer
        optimizerRule = model.optimizer.rule
        outputWidth = model.outputWidth
        targetWidth = model.targetWidth
        positions = model.positions
        lossCode = LossCode.bind(model.loss.function)
        let edges = plan.steps.reduce(0) { $0 + $1.reads.count }
        inputPointers = .allocate(capacity: max(edges, 1))
        inputGradientPointers = .allocate(capacity: max(edges, 1))
        plans = .allocate(capacity: max(model.layers.count, 1))
        code = .allocate(capacity: max(model.layers.count, 1))
        var edge = 0
        let p = params.baseAddress!, g = grads.baseAddress!, s = stats.baseAddress!
        for (l, step) in plan.steps.enumerated() {
            let layer = step.layer, slot = slots[l], learnable = layerRanges[l], first = edge
            for read in step.reads {
                switch read.value {
                case .input:
                    inputPointers.initializeElement(at: edge, to: x.baseAddress!)
                    inputGradientPointers.initializeElement(at: edge, to: nil)
                case .output(let source):
                    inputPointers.initializeElement(at: edge, to: a[source].baseAddress!)
                    inputGradientPointers.initializeElement(at: edge, to: ga[source].baseAddress!)
                }
                edge += 1
            }
            let io = LayerIO(
                x: inputPointers[first], dx: inputGradientPointers[first],
                inputs: UnsafeBufferPointer(rebasing: inputPointers[first ..< edge]),
                inputGradients: UnsafeBufferPointer(rebasing: inputGradientPointers[first ..< edge]),
                z: z[l].baseAddress!, size: layer.outputSize, saved: saved[l], invstd: invstd[l], argmax: argmax[l],
                weight: slot.weight.map { p + $0 }, bias: slot.bias.map { p + $0 },
                runningMean: slot.runningMean.map { s + $0 }, runningVar: slot.runningVar.map { s + $0 },
                dweight: slot.weight.map { g + $0 }, dbias: slot.bias.map { g + $0 },
                parameters: learnable.isEmpty ? nil : p + learnable.lowerBound,
                gradients: learnable.isEmpty ? nil : g + learnable.lowerBound)
            code.initializeElement(at: l, to: Unmanaged.passRetained(Code.bind(layer.kind, layer.activation.function)))
            let plan = LayerPlan(io: io, hasPenalty: layer.l1 != 0 || layer.l2 != 0,
                                 elementwise: layer.activation.isElementwise, size: layer.outputSize,
                                 channels: layer.outputShape.first ?? 1, a: a[l].baseAddress!, ga: ga[l].baseAddress!,
                                 slope: slot.slope.map { p + $0 }, dslope: slot.slope.map { g + $0 })
            plans.initializeElement(at: l, to: plan)
        }
    }

    deinit {
        var freed = Set<UnsafeMutablePointer<Float>>()
        for b in [params, grads, state1, state2, state3, stats, x, t, gz, cols, dcols, partial, padding] + z + a + ga
        where freed.insert(b.baseAddress!).inserted {
            b.deallocate()
        }
        for case let b? in saved + invstd { b.deallocate() }
        for case let b? in argmax { b.deallocate() }
        plans.deallocate()
        for cell in code { cell.release() }
        code.deallocate()
        pass.deinitialize(count: 1)
        pass.deallocate()
        inputPointers.deallocate()
        inputGradientPointers.deallocate()
        watchSums?.deallocate()
        watchBefore?.deallocate()
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
        for (l, layer) in model.layers.enumerated() { layer.kind.initialized(params.baseAddress! + layerRanges[l].lowerBound) }
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
    package func forward(rows B: Int) {
        for l in 0 ..< plans.count {
            forwardLinear(l, rows: B)
            forwardActivation(l, rows: B)
        }
    }

    /// Layer l's op: z[l] from its inputs.
    @inline(__always)
    func forwardLinear(_ l: Int, rows B: Int) {
        pass.pointee.rows = B
        let plan = UnsafePointer(plans.baseAddress! + l), pass = self.pass
        withCode(l) { $0.forward(plan, pass) }
    }

    /// Layer l's activation: a[l] from z[l] (nothing for identity, whose a is z).
    @inline(__always)
    func forwardActivation(_ l: Int, rows B: Int) {
        let plan = UnsafePointer(plans.baseAddress! + l)
        if plan.pointee.a == plan.pointee.io.z {
            // identity: the output is z itself
        } else {
            let shape = plan.pointee.elementwise ? nil : model.layers[l].outputShape
            let threads = pass.pointee.threads
            withCode(l) { $0.activate(plan, B: B, shape: shape, threads: threads) }
        }
    }

    /// The loss of the last forward pass against the first `rows` rows of `t`, with the layers' penalties.
    package func loss(rows B: Int) -> Float {
        var value = lossCode.value(p: plans[plans.count - 1].a, t: t.baseAddress!, B: B * positions, O: outputWidth / positions,
                                   T: targetWidth / positions)
        for l in 0 ..< plans.count where plans[l].hasPenalty {
            let layer = model.layers[l]
            guard let w = slots[l].weight, let count = layer.parameters.first(where: { $0.role == .weight })?.count else { continue }
            for i in w ..< w + count { value += layer.l1 * abs(params[i]) + layer.l2 * params[i] * params[i] }
        }
        return value
    }

    /// Zeroes the gradients, then adds ∂L/∂θ of the last forward pass into them.
    package func backward(rows B: Int) {
        pass.pointee.rows = B
        zeroGradients()
        for l in 0 ..< plans.count {
            let ga = plans[l].ga, S = plans[l].size
            Self.forEachRowPiece(rows: B, size: S, threads: pass.pointee.threads) { first, rows in
                (ga + first * S).update(repeating: 0, count: rows * S)
            }
        }
        let last = plans[plans.count - 1]
        lossCode.gradient(p: last.a, t: t.baseAddress!, dp: last.ga, B: B * positions, O: outputWidth / positions, T: targetWidth / positions)
        for l in stride(from: plans.count - 1, through: 0, by: -1) {
            let plan = UnsafePointer(plans.baseAddress! + l), dz = gradientOfZ(l, rows: B), pass = self.pass
            withCode(l) { $0.backward(plan, dz: dz, pass) }
            if plans[l].hasPenalty { addPenalty(l) }
        }
    }

    /// ∂L/∂z of layer l from ∂L/∂a: ga itself for identity (a is z), else its activation's backward into gz.
    @inline(__always)
    func gradientOfZ(_ l: Int, rows B: Int) -> UnsafeMutablePointer<Float> {
        let plan = UnsafePointer(plans.baseAddress! + l)
        if plan.pointee.a == plan.pointee.io.z { return plan.pointee.ga }
        let dz = gz.baseAddress!, shape = plan.pointee.elementwise ? nil : model.layers[l].outputShape
        let threads = pass.pointee.threads
        withCode(l) { $0.activationBackward(plan, dz: dz, B: B, shape: shape, threads: threads) }
        return dz
    }

    /// Marks layer l's units that passed a gradient for some row of the last forward pass (its
    /// activation's markPassing): the one scan behind the trainer's watch and its census.
    func markPassing(_ l: Int, rows B: Int, flags: UnsafeMutableBufferPointer<Bool>) {
        let z = self.z[l].baseAddress!, a = self.a[l].baseAddress!
        withCode(l) { $0.markPassing(z: z, a: a, rows: B, flags: flags) }
    }

    /// Adds layer l's last forward pass to its census tally (LayerOp.watch).
    func watch(_ l: Int, _ tally: inout PartTally) {
        model.layers[l].kind.watch(plans[l].io, pass.pointee, &tally)
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

    /// Clips the gradients as the schedule says, then applies one optimizer step (counted from 1);
    /// whether every parameter is finite after it. A watched step (`watching`) also measures the step
    /// into `watched`, in the same pass.
    @discardableResult
    func update(step: Int, learningRate lr: Double, watching: Bool = false) -> Bool {
        revision += 1
        // Clipping is elementwise, so each block is clipped as it is stepped: by value, or by
        // clip_grad_norm_'s factor max_norm / (total_norm + 1e-6) when that is below 1.
        let clip = model.schedule.clip, scale = normClipScale()
        // The step in blocks, spread over the threads (a rule is elementwise, so the cut changes no
        // bit), each block's new values surveyed while they are in cache: one pass, not two.
        let n = parameterCount
        let p = params.baseAddress!, g = grads.baseAddress!, s1 = state1.baseAddress!, s2 = state2.baseAddress!, s3 = state3.baseAddress!
        if n <= Self.updateBlock && !watching {  // a small network (W1's 151 values, 20,000 steps): no closure, no atomic
            Self.clipped(g, count: n, clip, scale: scale)
            optimizerRule.step(optimizer, lr: lr, p: p, g: g, s1: s1, s2: s2, s3: s3, count: n, step: step)
            return survey(UnsafeBufferPointer(start: p, count: n)).finite
        }
        let rule = optimizerRule, optimizer = optimizer
        let nonFinite = Atomic<Int>(0)
        guard watching else {
            forEachBlock { lo, count in
                Self.clipped(g + lo, count: count, clip, scale: scale)
                rule.step(optimizer, lr: lr, p: p + lo, g: g + lo, s1: s1 + lo, s2: s2 + lo, s3: s3 + lo, count: count, step: step)
                if !survey(UnsafeBufferPointer(start: p + lo, count: count)).finite { nonFinite.add(1, ordering: .relaxed) }
            }
            return nonFinite.load(ordering: .relaxed) == 0
        }
        // A watched step goes a squaredDistance chunk at a time, cut from each layer's first value: the
        // gradient's squares, the parameters' squares, then the step, then its own squares, while the
        // chunk is in cache, where these were four passes over every value and a copy.
        let (pieces, chunks) = watchPieces, lanes = blockThreads
        let total = chunks.isEmpty ? 0 : chunks[chunks.count - 1].upperBound  // (`last` allocates in a debug build)
        if watchSums == nil { watchSums = .allocate(capacity: 3 * total) }
        if (watchBefore?.count ?? 0) < lanes * squaredDistanceChunk {
            watchBefore?.deallocate()
            watchBefore = .allocate(capacity: lanes * squaredDistanceChunk)
        }
        let gradientSums = watchSums!.baseAddress!, sizeSums = gradientSums + total, moveSums = gradientSums + 2 * total
        let kept = watchBefore!.baseAddress!
        WorkerPool.forEach(chunks: pieces.count, threads: lanes) { k, lane in
            let piece = pieces[k], end = piece.first + piece.count, before = kept + lane * squaredDistanceChunk
            var i = piece.first, chunk = piece.chunk
            while i < end {
                let count = min(squaredDistanceChunk, end - i)
                gradientSums[chunk] = squaredDistance(g + i, nil, count: count)
                sizeSums[chunk] = squaredDistance(p + i, nil, count: count)
                before.update(from: p + i, count: count)
                Self.clipped(g + i, count: count, clip, scale: scale)
                rule.step(optimizer, lr: lr, p: p + i, g: g + i, s1: s1 + i, s2: s2 + i, s3: s3 + i, count: count, step: step)
                moveSums[chunk] = squaredDistance(p + i, before, count: count)
                i += count
                chunk += 1
            }
            if !survey(UnsafeBufferPointer(start: p + piece.first, count: piece.count)).finite { nonFinite.add(1, ordering: .relaxed) }
        }
        // Each layer's chunks added in order: one squaredDistance call's Double, whatever the threads.
        for l in chunks.indices {
            var gradients = 0.0, sizes = 0.0, moves = 0.0
            for chunk in chunks[l] {
                gradients += gradientSums[chunk]
                sizes += sizeSums[chunk]
                moves += moveSums[chunk]
            }
            watched.gradients[l] = gradients
            watched.sizes[l] = sizes
            watched.moves[l] = moves
        }
        return nonFinite.load(ordering: .relaxed) == 0
    }

    /// Clips `count` gradients as `clip` says: each to ±its limit, or all by the norm's factor `scale`.
    @inline(__always)
    private static func clipped(_ g: UnsafeMutablePointer<Float>, count: Int, _ clip: Clipping, scale: Float) {
        switch clip {
        case .none: break
        case .value(let limit):
            let m = Float(limit)
            for i in 0 ..< count { g[i] = min(max(g[i], -m), m) }
        case .norm: if scale < 1 { for i in 0 ..< count { g[i] *= scale } }
        }
    }

    /// clip_grad_norm_'s factor for the gradients, max_norm / (total_norm + 1e-6) when that is below 1; else 1.
    private func normClipScale() -> Float {
        guard case .norm(let limit) = model.schedule.clip else { return 1 }
        var sum = 0.0
        for v in grads { sum += Double(v) * Double(v) }
        return min(1, Float(limit / (sum.squareRoot() + 1e-6)))
    }

    /// A watched step's measures of its update, per layer: Σg² of the gradients before clipping, Σθ² of
    /// the parameters before the step, and Σ(θ after − θ before)² of the step.
    package private(set) var watched: (gradients: [Double], sizes: [Double], moves: [Double])

    /// Parameters per block of an update: 64 KiB of each buffer, which stays in a core's cache.
    static let updateBlock = 1 << 14

    /// Values per piece of an element-wise pass over a batch's rows (an activation, zeroing) spread
    /// over the threads: at least this many, in whole rows, at most 16 pieces.
    static let rowPiece = 1 << 14

    /// Calls body(first, rows) for pieces of `rows` rows of `size` values, cut by the size alone (an
    /// element-wise function gives every value the same bits in any piece), spread over the threads;
    /// under two pieces' worth, or with `pieces` false, one call on this thread.
    @inline(__always)
    static func forEachRowPiece(rows B: Int, size S: Int, threads: Int, pieces: Bool = true, _ body: (_ first: Int, _ rows: Int) -> Void) {
        let count = pieces ? min(B, B * S / rowPiece, 16) : 1
        guard count > 1 else { return body(0, B) }
        WorkerPool.forEach(chunks: count, threads: threads) { k, _ in
            let first = B * k / count
            body(first, B * (k + 1) / count - first)
        }
    }

    /// Sets every gradient to 0, in blocks over the threads.
    func zeroGradients() {
        let g = grads.baseAddress!
        forEachBlock { lo, count in (g + lo).update(repeating: 0, count: count) }
    }

    /// Whether every gradient is finite and whether any is nonzero (`survey`), in blocks over the threads.
    func surveyGradients() -> (finite: Bool, nonzero: Bool) {
        let g = grads.baseAddress!, found = Atomic<Int>(0)   // bit 0: a value not finite; bit 1: one nonzero
        forEachBlock { lo, count in
            let (finite, nonzero) = survey(UnsafeBufferPointer(start: g + lo, count: count))
            if !finite || nonzero { found.bitwiseOr((finite ? 0 : 1) | (nonzero ? 2 : 0), ordering: .relaxed) }
        }
        let bits = found.load(ordering: .relaxed)
        return (bits & 1 == 0, bits & 2 != 0)
    }

    /// Calls body(first, count) for each block of `updateBlock` learnable values, spread over the
    /// threads from two blocks' worth on (what a block computes must not depend on its thread); a
    /// network of one block is one call on this thread.
    @inline(__always)
    func forEachBlock(_ body: (_ first: Int, _ count: Int) -> Void) {
        let n = parameterCount, blocks = (n + Self.updateBlock - 1) / Self.updateBlock
        // One block (W1's 151 values, 20,000 steps): a plain call, not one into the pool with a closure.
        if blocks == 1 { return body(0, n) }
        WorkerPool.forEach(chunks: blocks, threads: blockThreads) { block, _ in
            let first = block * Self.updateBlock
            body(first, min(Self.updateBlock, n - first))
        }
    }

    /// The threads a pass over the learnable values in blocks uses: one below two blocks' worth.
    private var blockThreads: Int { parameterCount < 2 * Self.updateBlock ? 1 : threads }

    /// The chunks of squaredDistance (`squaredDistanceChunk` values, cut from each layer's first
    /// parameter), numbered layer after layer, in pieces of at most `updateBlock` values within one
    /// layer; and each layer's chunks.
    private let watchPieces: (pieces: [(first: Int, count: Int, chunk: Int)], chunks: [Range<Int>])

    private static func watchPieces(_ layerRanges: [Range<Int>]) -> (pieces: [(first: Int, count: Int, chunk: Int)], chunks: [Range<Int>]) {
        var pieces: [(first: Int, count: Int, chunk: Int)] = [], chunks: [Range<Int>] = [], chunk = 0
        for range in layerRanges {
            let first = chunk
            for lo in stride(from: range.lowerBound, to: range.upperBound, by: updateBlock) {
                let count = min(updateBlock, range.upperBound - lo)
                pieces.append((lo, count, chunk))
                chunk += (count + squaredDistanceChunk - 1) / squaredDistanceChunk
            }
            chunks.append(first ..< chunk)
        }
        return (pieces, chunks)
    }

    /// Each chunk's three sums of a watched update, and each lane's copy of a chunk's parameters before
    /// its step, made at the first one (a training step allocates nothing).
    private var watchSums: UnsafeMutableBufferPointer<Double>? = nil
    private var watchBefore: UnsafeMutableBufferPointer<Float>? = nil

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
    /// penalties included, combined over batches as the loss's reduction combines samples: for mean,
    /// each batch weighs by its share of the rows (of the targets counted, when the loss ignores some).
    func loss(_ x: DataMatrix, _ y: DataMatrix) -> Double {
        training = false
        let P = positions, ignores = model.loss.ignoreIndex != nil
        var losses: [(value: Double, weight: Double)] = []
        var start = 0
        while start < x.rows {
            let rows = ArraySlice(start ..< min(start + capacity, x.rows))
            load(x, rows: rows, into: self.x)
            load(y, rows: rows, into: t)
            forward(rows: rows.count)
            let weight = ignores ? lossCode.divisor(t: t.baseAddress!, B: rows.count * P, O: outputWidth / P, T: targetWidth / P) : Float(rows.count)
            losses.append((Double(loss(rows: rows.count)), Double(weight)))
            start += capacity
        }
        guard model.loss.reduction == .mean else { return losses.reduce(0) { $0 + $1.value } }
        let whole = losses.reduce(0) { $0 + $1.weight }
        return losses.reduce(0) { $0 + $1.value * $1.weight / whole }
    }

    /// Copies rows of a matrix into a batch buffer, in the given order, in pieces of rows over the threads.
    func load(_ m: DataMatrix, rows: ArraySlice<Int>, into buffer: UnsafeMutableBufferPointer<Float>) {
        let columns = m.columns
        m.values.withUnsafeBufferPointer { values in
            Self.forEachRowPiece(rows: rows.count, size: columns, threads: threads) { first, count in
                for k in first ..< first + count {
                    let row = rows[rows.startIndex + k]
                    (buffer.baseAddress! + k * columns).update(from: values.baseAddress! + row * columns, count: columns)
                }
            }
        }
    }
}

extension Network {
    /// The size, in values, of every buffer a network allocates for `capacity` rows: the one account
    /// behind Network.init and MemoryEstimate, so that the estimate cannot drift from what is allocated.
}

extension Network {
    /// The parameters as safetensors entries, in the IR's order.
    public func checkpointTensors() -> [(name: String, tensor: Tensor)] {
        model.parameters.enumerated().map { index, p in
            (p.name, Tensor(shape: p.shape, values: values(ofParameter: index)))
        }
    }

    /// Sets every parameter from `tensors`; a missing or mis-shaped tensor is an error naming it.
    public func load(_ tensors: [String: Tensor]) throws(CheckpointError) {
        for (index, p) in model.parameters.enumerated() {
            guard let tensor = tensors[p.name] else {
                let names = tensors.keys.sorted()
                throw CheckpointError("the checkpoint has no tensor `\(p.name)`"
                    + (names.isEmpty ? "" : " (it has " + names.map { "`\($0)`" }.joined(separator: ", ") + ")"))
            }
            guard tensor.shape == p.shape else {
                throw CheckpointError("tensor `\(p.name)` has shape \(tensor.shape), but the model needs \(p.shape)")
            }
            if let bad = tensor.values.firstIndex(where: { !$0.isFinite }) {
                throw CheckpointError("tensor `\(p.name)` holds a non-finite value (\(tensor.values[bad]) at index \(bad))")
            }
            setValues(ofParameter: index, tensor.values)
        }
        resetOptimizerState()
    }
}
