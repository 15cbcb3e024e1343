// The training loop: epochs of batches, each a forward pass, the loss, a backward pass and an
// optimizer step. An epoch's cost is the sum of its batch losses, each taken in the forward pass
// before that batch's update (the study's definition).

public struct EpochLog: Sendable, Equatable {
    public var epoch: Int
    public var cost: Double
    public var learningRate: Double
}

public final class Trainer {
    public let model: ModelIR
    public let network: Network
    public let inputNormalizer: Normalizer
    public let targetNormalizer: Normalizer
    /// The training set after normalization: what the network sees.
    let inputs: DataMatrix
    let targets: DataMatrix
    let batchSize: Int
    private var order: [Int]
    private var shuffler: RandomStream
    /// Optimizer steps taken so far, across epochs.
    public private(set) var steps = 0

    /// Allocates the workspace and draws the initial parameters from the spec's seed.
    public init(model: ModelIR) {
        self.model = model
        let data = model.train
        inputNormalizer = Normalizer(model.inputNormalization, fittedOn: data.inputs)
        targetNormalizer = Normalizer(model.targetNormalization, fittedOn: data.targets)
        inputs = inputNormalizer.apply(data.inputs)
        targets = targetNormalizer.apply(data.targets)
        batchSize = min(model.schedule.batchSize, data.inputs.rows)
        network = Network(model: model, capacity: batchSize)
        network.initialize(seed: model.seed)
        order = Array(0..<data.inputs.rows)
        shuffler = RandomStream(seed: model.seed, stream: RandomStream.shuffling)
    }

    /// Trains for the schedule's epochs, calling `log` after each logged epoch (and the last).
    public func train(log: (EpochLog) -> Void) {
        for epoch in 0..<model.schedule.epochs {
            let cost = runEpoch()
            if model.schedule.logs(epoch: epoch) {
                log(EpochLog(epoch: epoch, cost: cost, learningRate: model.optimizer.learningRate))
            }
        }
    }

    /// One pass over the training set; returns the sum of the batch losses.
    public func runEpoch() -> Double {
        if model.schedule.shuffle {
            // Fisher–Yates, from the last position down.
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, shuffler.index(below: i + 1))
            }
        }
        var cost = 0.0
        var start = 0
        while start < order.count {
            let rows = order[start ..< min(start + batchSize, order.count)]
            network.load(inputs, rows: rows, into: network.x)
            network.load(targets, rows: rows, into: network.t)
            network.forward(rows: rows.count)
            cost += Double(network.loss(rows: rows.count))
            network.backward(rows: rows.count)
            steps += 1
            network.update(step: steps)
            start += batchSize
        }
        return cost
    }

    /// The network's outputs for `inputs` (in original units), in batches of the workspace's size.
    public func predict(_ raw: DataMatrix) -> DataMatrix {
        let x = inputNormalizer.apply(raw)
        let width = model.outputWidth
        var out = [Float](repeating: 0, count: raw.rows * width)
        var start = 0
        while start < raw.rows {
            let rows = start ..< min(start + network.capacity, raw.rows)
            network.load(x, rows: ArraySlice(rows), into: network.x)
            network.forward(rows: rows.count)
            for k in 0 ..< rows.count * width { out[start * width + k] = network.a.last![k] }
            start += network.capacity
        }
        return targetNormalizer.invert(DataMatrix(rows: raw.rows, columns: width, values: out))
    }
}
