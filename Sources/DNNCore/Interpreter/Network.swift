// The interpreter's workspace: every buffer a training step touches, allocated once from the IR's
// shapes. Parameters, their gradients and the optimizer state each live in one flat buffer, laid out
// in the IR's parameter order; a step allocates nothing.

public final class Network {
    public let model: ModelIR
    /// The most rows a forward pass handles at once.
    public let capacity: Int

    /// Where each parameter starts in the flat buffers, in the IR's order.
    public let offsets: [Int]
    public let parameterCount: Int

    let params: UnsafeMutableBufferPointer<Float>
    let grads: UnsafeMutableBufferPointer<Float>
    let state1: UnsafeMutableBufferPointer<Float>
    let state2: UnsafeMutableBufferPointer<Float>

    /// Per layer: pre-activations z and activations a, each (capacity, O).
    let z: [UnsafeMutableBufferPointer<Float>]
    let a: [UnsafeMutableBufferPointer<Float>]
    /// The batch's inputs (capacity, I) and targets (capacity, O_last).
    let x: UnsafeMutableBufferPointer<Float>
    let t: UnsafeMutableBufferPointer<Float>
    /// Gradient scratch: ∂L/∂a of the current layer, and ∂L/∂z, each (capacity, widest).
    let da: UnsafeMutableBufferPointer<Float>
    let dz: UnsafeMutableBufferPointer<Float>

    /// Per layer: offsets of its weight, bias and (prelu) slope in the flat buffers.
    struct LayerSlots { var weight: Int; var bias: Int; var slope: Int? }
    let slots: [LayerSlots]
    /// Per layer: its parameters' span in the flat buffers (a layer's parameters are contiguous).
    public let layerRanges: [Range<Int>]

    public init(model: ModelIR, capacity: Int) {
        self.model = model
        self.capacity = capacity
        var offsets: [Int] = []
        var total = 0
        for p in model.parameters {
            offsets.append(total)
            total += p.count
        }
        self.offsets = offsets
        parameterCount = total
        func buffer(_ n: Int) -> UnsafeMutableBufferPointer<Float> {
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(n, 1))
            b.initialize(repeating: 0)
            return b
        }
        params = buffer(total)
        grads = buffer(total)
        state1 = buffer(total)
        state2 = buffer(total)
        var slots: [LayerSlots] = []
        var index = 0
        for layer in model.layers {
            var slot = LayerSlots(weight: 0, bias: 0, slope: nil)
            for p in layer.parameters {
                switch p.role {
                case .weight: slot.weight = offsets[index]
                case .bias: slot.bias = offsets[index]
                case .preluSlope: slot.slope = offsets[index]
                }
                index += 1
            }
            slots.append(slot)
        }
        self.slots = slots
        var ranges: [Range<Int>] = []
        var start = 0
        for layer in model.layers {
            let end = start + layer.parameterCount
            ranges.append(start ..< end)
            start = end
        }
        layerRanges = ranges
        let widths = model.layers.map { $0.outputShape.reduce(1, *) }
        let inputWidth = model.inputShape.reduce(1, *)
        let widest = max(inputWidth, widths.max() ?? 1)
        z = widths.map { buffer(capacity * $0) }
        a = widths.map { buffer(capacity * $0) }
        x = buffer(capacity * inputWidth)
        t = buffer(capacity * model.outputWidth)
        da = buffer(capacity * widest)
        dz = buffer(capacity * widest)
    }

    deinit {
        for b in [params, grads, state1, state2, x, t, da, dz] + z + a { b.deallocate() }
    }

    /// Draws every parameter from its initializer, in the IR's order, from the initialization stream.
    public func initialize(seed: UInt64) {
        var rng = RandomStream(seed: seed, stream: RandomStream.initialization)
        for (p, offset) in zip(model.parameters, offsets) {
            let slice = UnsafeMutableBufferPointer(rebasing: params[offset ..< offset + p.count])
            Initializers.fill(slice, with: p.initializer, fanIn: p.fanIn, fanOut: p.fanOut, rng: &rng)
        }
        resetOptimizerState()
    }

    public func resetOptimizerState() {
        state1.update(repeating: 0)
        state2.update(repeating: 0)
    }

    /// The values of one parameter, by its index in `model.parameters`.
    public func values(ofParameter index: Int) -> [Float] {
        let offset = offsets[index]
        return Array(params[offset ..< offset + model.parameters[index].count])
    }

    public func setValues(ofParameter index: Int, _ values: [Float]) {
        precondition(values.count == model.parameters[index].count)
        let offset = offsets[index]
        for (k, v) in values.enumerated() { params[offset + k] = v }
    }

    /// The gradient of one parameter after the last `backward`.
    public func gradient(ofParameter index: Int) -> [Float] {
        let offset = offsets[index]
        return Array(grads[offset ..< offset + model.parameters[index].count])
    }

    /// Runs the layers on the first `rows` rows of `x`; the output is `a.last`.
    func forward(rows B: Int) {
        for l in model.layers.indices {
            forwardLinear(l, rows: B)
            forwardActivation(l, rows: B)
        }
    }

    /// Layer l's linear op: z[l] from its input (x, or the previous layer's a).
    func forwardLinear(_ l: Int, rows B: Int) {
        let input = UnsafePointer(l == 0 ? x.baseAddress! : a[l - 1].baseAddress!)
        switch model.layers[l].kind {
        case .dense(let I, let O):
            DenseKernel.forward(z: z[l].baseAddress!, x: input, w: params.baseAddress! + slots[l].weight,
                                b: params.baseAddress! + slots[l].bias, B: B, I: I, O: O)
        }
    }

    /// Layer l's activation: a[l] from z[l].
    func forwardActivation(_ l: Int, rows B: Int) {
        let layer = model.layers[l]
        ActivationKernel.forward(layer.activation, z: z[l].baseAddress!, a: a[l].baseAddress!,
                                 slope: slots[l].slope.map { UnsafePointer(params.baseAddress! + $0) },
                                 B: B, O: layer.outputShape.reduce(1, *))
    }

    /// The loss of the last forward pass against the first `rows` rows of `t`.
    func loss(rows B: Int) -> Float {
        LossKernel.forward(model.loss, p: a.last!.baseAddress!, t: t.baseAddress!, count: B * model.outputWidth)
    }

    /// Zeroes the gradients, then adds ∂L/∂θ of the last forward pass into them.
    func backward(rows B: Int) {
        grads.update(repeating: 0)
        LossKernel.backward(model.loss, p: a.last!.baseAddress!, t: t.baseAddress!, dp: da.baseAddress!,
                            count: B * model.outputWidth)
        for l in model.layers.indices.reversed() {
            let layer = model.layers[l], slot = slots[l]
            switch layer.kind {
            case .dense(let I, let O):
                ActivationKernel.backward(layer.activation, z: z[l].baseAddress!, a: a[l].baseAddress!,
                                          da: da.baseAddress!, dz: dz.baseAddress!,
                                          slope: slot.slope.map { UnsafePointer(params.baseAddress! + $0) },
                                          dslope: slot.slope.map { grads.baseAddress! + $0 }, B: B, O: O)
                let input = l == 0 ? x.baseAddress! : a[l - 1].baseAddress!
                DenseKernel.backward(dz: dz.baseAddress!, x: input, w: params.baseAddress! + slot.weight,
                                     dw: grads.baseAddress! + slot.weight, db: grads.baseAddress! + slot.bias,
                                     dx: l == 0 ? nil : da.baseAddress!, B: B, I: I, O: O)
            }
        }
    }

    /// Applies one optimizer step (counted from 1) to every parameter.
    func update(step: Int) {
        switch model.optimizer {
        case .sgd(let lr, let momentum, let nesterov):
            OptimizerKernel.sgd(p: params.baseAddress!, g: grads.baseAddress!, buf: state1.baseAddress!,
                                count: parameterCount, lr: lr, momentum: momentum, nesterov: nesterov,
                                firstStep: step == 1)
        case .adam(let lr, let beta1, let beta2, let eps):
            OptimizerKernel.adam(p: params.baseAddress!, g: grads.baseAddress!, m: state1.baseAddress!,
                                 v: state2.baseAddress!, count: parameterCount, lr: lr, beta1: beta1,
                                 beta2: beta2, eps: eps, step: step)
        }
    }

    /// Copies rows of a matrix into a batch buffer, in the given order.
    func load(_ m: DataMatrix, rows: ArraySlice<Int>, into buffer: UnsafeMutableBufferPointer<Float>) {
        var k = 0
        for r in rows {
            for j in 0..<m.columns {
                buffer[k] = m.values[r * m.columns + j]
                k += 1
            }
        }
    }
}
