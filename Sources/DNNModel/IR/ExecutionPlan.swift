// The one execution plan of a model: its steps in the order the interpreter runs them (the spec's
// order, which the IR builder checked is topological), each with the values it reads and the value it
// writes, and the workspace a batch of them needs. Built from the IR by `ModelIR.plan` alone: the
// interpreter allocates and runs it, the memory estimate sizes it, the fault locator reports the values
// a faulty step read, the graph view draws its edges and the summary lists its steps.

import DNNSyntax

public struct ExecutionPlan: Sendable {
    /// A value a step reads: the model's input, or a step's output.
    public enum Value: Hashable, Sendable {
        case input
        case output(of: Int)

        /// The IR's index of the layer that writes it (-1 for the model's input).
        init(layerIndex: Int) { self = layerIndex < 0 ? .input : .output(of: layerIndex) }
    }

    public struct Step: Sendable {
        /// Its layer: op, activation, shapes and parameters.
        public let layer: Layer
        /// What it reads, in the op's order, with each value's shape per sample.
        public let reads: [(value: Value, shape: [Int])]
        /// Whether its activation writes a buffer of its own; without one (identity) the output is z.
        public var activates: Bool { layer.activation != .identity }
        /// Values per sample of its output.
        public var outputSize: Int { layer.outputSize }
        /// Multiply-adds of one sample's forward pass through its op.
        public var multiplyAdds: Int { layer.kind.multiplyAdds(layer) }
    }

    public let input: [Int]
    public let steps: [Step]
    /// The targets' columns, as a batch holds them.
    public let targetWidth: Int
    /// The model's output: the last step's.
    public var output: Value { .output(of: steps.count - 1) }

    public init(_ model: ModelIR) {
        input = model.inputShape
        targetWidth = model.targetWidth
        steps = model.layers.map { layer in
            Step(layer: layer, reads: zip(layer.inputs, layer.inputShapes).map { (Value(layerIndex: $0), $1) })
        }
    }

    /// Values per sample of a value.
    public func size(of value: Value) -> Int {
        switch value {
        case .input: input.reduce(1, *)
        case .output(let s): steps[s].outputSize
        }
    }

    /// The steps that read a value, in order.
    public func readers(of value: Value) -> [Int] {
        steps.indices.filter { s in steps[s].reads.contains { $0.value == value } }
    }

    /// What a batch of `capacity` rows needs, in values: the account the interpreter allocates from and
    /// the memory estimate adds up.
    public struct Workspace: Sendable, Equatable {
        /// Learnable values (each also has a gradient and three optimizer states) and running statistics.
        public var learnable = 0, statistics = 0
        /// Per step: z, a (0 where a is z), ∂L/∂a, and its op's buffers (OpBuffers): what its backward
        /// needs, the norms' 1/σ, pooling's argmax.
        public var z: [Int] = [], a: [Int] = [], ga: [Int] = [], saved: [Int] = [], invstd: [Int] = [], argmax: [Int] = []
        /// The batch's inputs and targets; ∂L/∂z of the step being differentiated; the ops' shared
        /// scratch: im2col columns (and as many for their gradient), one per lane, and partial weight
        /// gradients.
        public var x = 0, t = 0, gz = 0, cols = 0, partial = 0
        /// The padding mask (PassContext.padding).
        public var padding = 0

        /// Every value allocated, argmax's Int32 counted as one (they are as wide as a Float).
        public var values: Int {
            5 * learnable + statistics + [z, a, ga, saved, invstd, argmax].reduce(0) { $0 + $1.reduce(0, +) }
                + x + t + gz + 2 * cols + partial + padding
        }
    }

    /// The workspace of `capacity` rows, with scratch for each of the worker pool's lanes.
    public func workspace(capacity: Int) -> Workspace {
        let lanes = WorkerPool.capacity
        var w = Workspace()
        for step in steps {
            for p in step.layer.parameters {
                if p.isLearnable { w.learnable += p.count } else { w.statistics += p.count }
            }
            let values = capacity * step.outputSize
            w.z.append(values)
            w.a.append(step.activates ? values : 0)
            w.ga.append(values)
            let own = step.layer.kind.buffers(step.layer, capacity: capacity)
            w.saved.append(own.saved)
            w.invstd.append(own.invstd)
            w.argmax.append(own.argmax)
            w.cols = max(w.cols, own.columns * lanes)
            w.partial = max(w.partial, own.partial)
            w.padding = max(w.padding, own.padding)
        }
        let inputWidth = size(of: .input)
        w.x = capacity * inputWidth
        w.t = capacity * targetWidth
        w.gz = capacity * max(steps.map(\.outputSize).max() ?? 1, inputWidth)
        return w
    }
}

extension ModelIR {
    /// The model's execution plan.
    public var plan: ExecutionPlan { ExecutionPlan(self) }
}
