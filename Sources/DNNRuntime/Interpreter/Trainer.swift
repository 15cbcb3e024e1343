// The training loop: epochs of batches, each a forward pass, the loss, a backward pass and an
// optimizer step. An epoch's cost is the sum of its batch losses, each taken in the forward pass
// before that batch's update (the study's definition).

import Dispatch
import DNNSyntax
import DNNModel
import DNNCheckpoint

public struct EpochLog: Sendable, Equatable {
    public var epoch: Int
    public var cost: Double
    public var learningRate: Double
    /// Per layer, when TrainingOptions.watchHealth is set: dead units and gradient health.
    public var layers: [LayerHealth] = []
    /// The validation loss, on epochs that evaluate it.
    public var validationLoss: Double? = nil
    /// Metrics of the epoch's parameters: on the validation set when there is one, else the training set.
    public var metrics: [Metric] = []
}

public final class Trainer {
    public let model: ModelIR
    public let network: Network
    public let inputNormalizer: Normalizer
    public let targetNormalizer: Normalizer
    /// The training set after normalization: what the network sees.
    package let inputs: DataMatrix
    package let targets: DataMatrix
    /// With `data.augment`: the training inputs as read, which each step augments, then normalizes.
    let augmented: DataMatrix?
    /// A streamed set's loader (model.stream), and the first file it could not read, which ends the run.
    let loader: BatchLoader?

    /// The seconds the steps waited for a streamed set's loader (nil: the set is in memory).
    public var loaderWaitSeconds: Double? { loader.map { Double($0.waited) / 1e9 } }
    public private(set) var dataError: DataFileError?
    /// The augmentations' draws, and one sample's scratch.
    @exclusivity(unchecked) var augmenter: RandomStream
    @exclusivity(unchecked) private var augmentScratch: [Float]
    let batchSize: Int
    @exclusivity(unchecked) var order: [Int]
    @exclusivity(unchecked) var shuffler: RandomStream
    /// Optimizer steps taken so far, across epochs.
    @exclusivity(unchecked) public internal(set) var steps = 0
    /// Steps of the current phase (the optimizer's step count restarts with its state).
    @exclusivity(unchecked) var phaseStep = 0
    /// The parameter spans the current phase leaves unchanged.
    @exclusivity(unchecked) var frozen: [Range<Int>] = []
    /// The learning rate of each step; `currentRate` is the last one used.
    public let learningRate: LearningRate
    @exclusivity(unchecked) public internal(set) var currentRate: Double
    /// Epochs run so far.
    @exclusivity(unchecked) public internal(set) var epochsRun = 0

    // The state a step reads and writes is `@exclusivity(unchecked)`: a trainer runs on one thread and
    // never holds two accesses to one of these at once, and the dynamic checks cost W1 (2 → 10 → 10 → 1,
    // four samples) about 8% of its instructions per step.

    // What one epoch saw, reset when it starts (Watch.swift says what is made of it).
    /// Per layer, per unit: whether the unit passed a gradient for some sample.
    @exclusivity(unchecked) private var alive: [[Bool]]
    /// Layers whose activation can die, by index: the only ones `markAlive` looks at.
    private let mortal: [Int]
    /// Whether any parameter's gradient was nonzero in some step.
    @exclusivity(unchecked) private var anyGradient = false
    /// The first non-finite value, which ends the epoch and the run.
    @exclusivity(unchecked) public private(set) var fault: Fault?
    /// Asked after every step: whether to stop there.
    @exclusivity(unchecked) private var stopRequested: (@Sendable () -> Bool)?
    /// On watched (logged) epochs: per layer, the sums of squared gradient norms and of update ratios.
    @exclusivity(unchecked) package var watching = false
    @exclusivity(unchecked) private var gradientSquares: [Double]
    @exclusivity(unchecked) private var updateRatios: [Double]
    @exclusivity(unchecked) private var watchedSteps = 0
    /// A logged epoch watches every `watchStride`-th step: at most 16 of them, evenly spaced. A watched
    /// step's update sums three squares of every value besides its step (Network.update).
    private let watchStride: Int
    @exclusivity(unchecked) private var stepInEpoch = 0

    /// What the epoch loop carries from one epoch to the next; a checkpoint saves it (TrainingState.swift).
    struct Progress {
        var nextEpoch = 0
        var costs: [Double] = []
        var stuckSince: Int? = nil
        var bestMonitored = Double.infinity, bestEpoch = 0, waited = 0
        var bestParameters: [Float]? = nil, bestStatistics: [Float]? = nil
        var validationCurve: [(epoch: Int, loss: Double)] = []
        var bestValidation: (epoch: Int, parameters: [Float], statistics: [Float])? = nil
        var phaseEnd = 0, phaseIndex = -1
    }
    @exclusivity(unchecked) var loop = Progress()

    /// The cost of the run's first epoch (a resumed run's too), against which a loss counts as converged.
    public var firstCost: Double? { loop.costs.first }

    /// What a checkpoint of this run must match to be resumed (TrainingState.swift).
    public private(set) lazy var trainingHash: String = computeTrainingHash()

    /// Makes phase `index`'s optimizer and frozen layers current (its optimizer state is the caller's).
    func enterPhase(_ index: Int) {
        let phase = model.schedule.phases[index]
        network.optimizer = phase.optimizer
        frozen = phase.frozen.map { network.layerRanges[$0] }.filter { !$0.isEmpty }
    }

    /// Allocates the workspace and draws the initial parameters from the spec's seed.
    public init(model: ModelIR) {
        self.model = model
        let data = model.train
        if let stream = model.stream {
            // Fitted by reading the images (twice for standard); a file that fails ends the run at once.
            do { inputNormalizer = try Normalizer(model.inputNormalization, fittedOn: stream) } catch {
                inputNormalizer = Normalizer(.none, fittedOn: data.inputs)
                dataError = error
            }
            loader = BatchLoader(stream: stream, batchSize: min(model.schedule.batchSize, data.inputs.rows))
        } else {
            inputNormalizer = Normalizer(model.inputNormalization, fittedOn: data.inputs, scaled: model.encoder?.scaled)
            loader = nil
        }
        targetNormalizer = Normalizer(model.appliedTargetNormalization, fittedOn: data.targets)
        inputs = data.inputs.isStreamed ? data.inputs : inputNormalizer.apply(data.inputs)
        augmented = model.augmentations.isEmpty || data.inputs.isStreamed ? nil : data.inputs
        augmenter = RandomStream(seed: model.seed, stream: RandomStream.augmentation)
        augmentScratch = [Float](repeating: 0, count: model.augmentations.isEmpty ? 0 : data.inputs.columns)
        targets = targetNormalizer.apply(data.targets)
        batchSize = min(model.schedule.batchSize, data.inputs.rows)
        network = Network(model: model, capacity: batchSize)
        network.initialize(seed: model.seed)
        order = Array(0..<data.inputs.rows)
        let stepsPerEpoch = (data.inputs.rows + batchSize - 1) / batchSize
        learningRate = LearningRate(base: model.optimizer.lr, schedule: model.schedule.learningRate,
                                    warmup: model.schedule.warmup, totalSteps: stepsPerEpoch * model.schedule.epochs)
        currentRate = learningRate.rate(model.optimizer.lr, epoch: 0, step: 0)
        shuffler = RandomStream(seed: model.seed, stream: RandomStream.shuffling)
        alive = model.layers.map { [Bool](repeating: false, count: $0.outputShape.reduce(1, *)) }
        mortal = model.layers.indices.filter { model.layers[$0].activation.function.canDie }
        gradientSquares = [Double](repeating: 0, count: model.layers.count)
        updateRatios = gradientSquares
        watchStride = max(1, stepsPerEpoch / 16)
    }

    /// Trains for the schedule's epochs, calling `log` after each logged epoch (and the last one run).
    /// Stops early at the first non-finite value, and, with `stopWhenDead`, when nothing can change.
    @discardableResult
    public func train(_ options: TrainingOptions = TrainingOptions(), progress: ((_ epoch: Int, _ cost: Double) -> Void)? = nil,
                      checkpoint: ((_ epoch: Int) -> Void)? = nil, log: (EpochLog) -> Void) -> TrainingResult {
        var lastFinite = parameters(), lastFiniteEpoch = loop.nextEpoch - 1
        var end = RunEnd.completed
        for epoch in loop.nextEpoch ..< model.schedule.epochs {
            // A new phase: its optimizer with fresh state, its frozen layers.
            while !model.schedule.phases.isEmpty && epoch >= loop.phaseEnd && loop.phaseIndex + 1 < model.schedule.phases.count {
                loop.phaseIndex += 1
                loop.phaseEnd += model.schedule.phases[loop.phaseIndex].epochs
                enterPhase(loop.phaseIndex)
                network.resetOptimizerState()
                phaseStep = 0
            }
            let logs = model.schedule.logs(epoch: epoch)
            watching = options.watchHealth && logs
            stopRequested = options.stopRequested
            let cost = runEpoch()
            if let dataError {
                end = .unreadableData(dataError.message)
                break
            }
            // A non-finite value outranks a stop request: the parameters are no longer fit to save.
            if stopRequested?() == true && fault == nil {
                end = .interrupted(epoch: epoch, step: steps)
                break
            }
            loop.costs.append(cost)
            progress?(epoch, cost)
            if let fault {
                end = .nonFinite(fault)
                break
            }
            var changed = false
            lastFinite.withUnsafeMutableBufferPointer { previous in
                for i in 0 ..< network.parameterCount where previous[i] != network.params[i] {
                    changed = true
                    previous[i] = network.params[i]
                }
            }
            lastFiniteEpoch = epoch
            // Stuck: no gradient reached the parameters (or the output layer passed none) and none moved,
            // so every later epoch repeats this one.
            let outputPassedNone = model.layers.last!.activation.function.canDie && !alive.last!.contains(true)
            let stuck = !changed && (!anyGradient || outputPassedNone)
            loop.stuckSince = stuck ? (loop.stuckSince ?? epoch) : nil
            var stop: RunEnd? = nil
            if stuck && options.stopWhenDead {
                stop = cost == 0 ? .exact(epoch: epoch) : .dead(diagnose(since: loop.stuckSince!, stoppedAfter: epoch, cost: cost))
            }
            // Validation, the plateau schedule and early stopping.
            let validates = model.validation != nil && (epoch % model.schedule.validateEvery == 0 || epoch == model.schedule.epochs - 1)
            let validationLoss = validates ? evaluate(model.validation!) : nil
            if let validationLoss {
                loop.validationCurve.append((epoch, validationLoss))
                if validationLoss < (loop.validationCurve.dropLast().map(\.loss).min() ?? .infinity) {
                    loop.bestValidation = (epoch, parameters(), statistics())
                }
            }
            let monitored: (String) -> Double? = { $0 == "val_loss" ? validationLoss : cost }
            if let monitor = model.schedule.learningRate.monitor, let value = monitored(monitor) {
                learningRate.observe(value)
            }
            if stop == nil, let rule = model.schedule.earlyStopping, let value = monitored(rule.monitor) {
                if value < loop.bestMonitored - rule.minDelta {
                    loop.bestMonitored = value
                    loop.bestEpoch = epoch
                    loop.bestParameters = rule.restoreBest ? parameters() : nil
                    loop.bestStatistics = rule.restoreBest ? statistics() : nil
                    loop.waited = 0
                } else {
                    loop.waited += 1
                    if loop.waited >= rule.patience { stop = .earlyStopped(bestEpoch: loop.bestEpoch) }
                }
            }
            if logs || stop != nil {
                let layers = options.watchHealth ? health() : []
                var entry = EpochLog(epoch: epoch, cost: cost, learningRate: currentRate, layers: layers)
                entry.validationLoss = validationLoss
                entry.metrics = Metrics.evaluate(model, trainer: self)
                log(entry)
            }
            if let dataError {  // a streamed file that failed in the evaluation pass
                end = .unreadableData(dataError.message)
                break
            }
            loop.nextEpoch = epoch + 1
            if let stop {
                end = stop
                if case .earlyStopped = stop, let bestParameters = loop.bestParameters, let bestStatistics = loop.bestStatistics {
                    restore(parameters: bestParameters)
                    restore(statistics: bestStatistics)
                }
                break
            }
            if let every = options.checkpointEvery, (epoch + 1) % every == 0 { checkpoint?(epoch) }
        }
        var result = TrainingResult(end: end, costs: loop.costs, deadAtEnd: deadUnits(), lastFiniteParameters: lastFinite,
                                    lastFiniteEpoch: lastFiniteEpoch)
        result.validationLosses = loop.validationCurve
        result.best = loop.bestValidation
        return result
    }

    /// One pass over the training set; returns the sum of the batch losses. Stops at the first
    /// non-finite value, recorded in `fault`.
    public func runEpoch() -> Double {
        if model.schedule.shuffle { shuffle() }
        for k in 0 ..< mortal.count { alive[mortal[k]].withUnsafeMutableBufferPointer { $0.update(repeating: false) } }
        anyGradient = false
        for l in gradientSquares.indices { gradientSquares[l] = 0; updateRatios[l] = 0 }
        watchedSteps = 0
        stepInEpoch = 0
        defer { epochsRun += 1 }
        var cost = 0.0
        var start = 0
        loader?.begin(order: order)
        defer { loader?.end() }
        while start < order.count, fault == nil, dataError == nil, stopRequested?() != true {
            let rows = order[start ..< min(start + batchSize, order.count)]
            step(rows)
            cost += Double(lastLoss)
            start += batchSize
        }
        return cost
    }

    /// Reorders the samples for the next epoch: Fisher–Yates, from the last position down.
    func shuffle() {
        var rng = shuffler
        order.withUnsafeMutableBufferPointer { order in
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = rng.index(below: i + 1), kept = order[i]
                order[i] = order[j]
                order[j] = kept
            }
        }
        shuffler = rng
    }

    @exclusivity(unchecked) private var lastLoss: Float = 0

    /// One optimizer step on the given rows, watching for dead units and non-finite values.
    private func step(_ rows: ArraySlice<Int>) {
        let B = rows.count
        network.training = true
        defer { network.training = false }
        if let loader {
            // A streamed batch, as read: augmented (and normalized), or normalized.
            do { try loader.next(rows: B, into: network.x.baseAddress!) } catch {
                dataError = error
                return
            }
            if model.augmentations.isEmpty {
                normalizeInputRows(B)
            } else {
                augment(rows: B)
            }
        } else if let augmented {
            network.load(augmented, rows: rows, into: network.x)
            augment(rows: B)
        } else {
            network.load(inputs, rows: rows, into: network.x)
        }
        network.load(targets, rows: rows, into: network.t)
        network.forward(rows: B)
        markAlive(rows: B)
        lastLoss = network.loss(rows: B)
        guard lastLoss.isFinite else {
            fault = locateForwardFault(rows: B, step: steps + 1)
            return
        }
        network.backward(rows: B)
        let grads = network.grads
        let (finite, nonzero) = network.surveyGradients()
        anyGradient = anyGradient || nonzero
        guard finite else {
            fault = locateBackwardFault(rows: B, step: steps + 1)
            return
        }
        let watchesThisStep = watching && stepInEpoch % watchStride == 0
        stepInEpoch += 1
        currentRate = learningRate.rate(network.optimizer.lr, epoch: epochsRun, step: steps)
        steps += 1
        phaseStep += 1
        // A watched step's update also measures the gradients, the parameters and the step, layer by layer.
        let finiteAfter: Bool
        if frozen.isEmpty {
            finiteAfter = network.update(step: phaseStep, learningRate: currentRate, watching: watchesThisStep)
        } else {
            let kept = frozen.map { range in Array(network.params[range]) }
            finiteAfter = network.update(step: phaseStep, learningRate: currentRate, watching: watchesThisStep)
            for (range, values) in zip(frozen, kept) {
                for (offset, value) in zip(range, values) { network.params[offset] = value }
            }
        }
        if watchesThisStep {
            for l in gradientSquares.indices { gradientSquares[l] += network.watched.gradients[l] }
        }
        // (A frozen layer's values were put back: a non-finite value found among them is gone.)
        if !finiteAfter, let l = network.layerRanges.firstIndex(where: { !allFinite(network.params, $0) }) {
            let range = network.layerRanges[l]
            fault = Fault(op: "\(model.optimizer.name) update", layer: model.layers[l].name, epoch: epochsRun, step: steps,
                          inputs: [("gradient", extent(grads, range).low, extent(grads, range).high)])
            return
        }
        if watchesThisStep {
            for l in updateRatios.indices {
                // A frozen layer's values were put back: it did not move.
                let delta = frozen.contains(network.layerRanges[l]) ? 0 : network.watched.moves[l], size = network.watched.sizes[l]
                updateRatios[l] += size > 0 ? (delta / size).squareRoot() : (delta > 0 ? .infinity : 0)
            }
            watchedSteps += 1
        }
    }

    /// Normalizes the first `B` rows of network.x in place: a streamed batch, as read.
    private func normalizeInputRows(_ B: Int) {
        for k in 0 ..< B { inputNormalizer.apply(row: network.x.baseAddress! + k * inputs.columns) }
    }

    /// Augments the batch's rows in network.x, sample after sample, then normalizes them as `inputs` are.
    private func augment(rows B: Int) {
        let shape = model.inputShape, columns = augmentScratch.count
        var rng = augmenter
        augmentScratch.withUnsafeMutableBufferPointer { scratch in
            for k in 0 ..< B {
                let row = network.x.baseAddress! + k * columns
                for augmentation in model.augmentations {
                    let drawn = augmentation.draw(&rng, height: shape[1], width: shape[2])
                    augmentation.transform(row, channels: shape[0], height: shape[1], width: shape[2], drawn: drawn,
                                           scratch: scratch.baseAddress!, pixelMax: model.pixelMax)
                }
                inputNormalizer.apply(row: row)
            }
        }
        augmenter = rng
    }

    /// Records which units passed a gradient for some row of the last forward pass.
    private func markAlive(rows B: Int) {
        for k in 0 ..< mortal.count {
            let l = mortal[k]
            alive[l].withUnsafeMutableBufferPointer { network.markPassing(l, rows: B, flags: $0) }
        }
    }

    /// Per layer, the units that pass no gradient for any training sample under the current parameters.
    public func deadUnits() -> [LayerHealth] {
        let found = census(), passes = found.passes, stuck = found.stuck
        return model.layers.enumerated().map { l, layer in
            let dead = layer.activation.function.canDie ? passes[l].filter { !$0 }.count : 0
            return LayerHealth(name: layer.name, units: passes[l].count, dead: dead, gradientNorm: 0, weightNorm: 0, updateRatio: 0,
                               stuck: stuck[l])
        }
    }

    /// One evaluation pass over the training set under the current parameters: per layer, which units
    /// pass a gradient for some sample and which parts are stuck; the metrics' tally; and, for a set in
    /// memory, the network's outputs (before any target scaling). Logging, the metrics, the classification
    /// report and the final predictions all need it; it is computed once per parameter revision. A
    /// streamed set's outputs are not kept: they would grow with the set (`trainingPredictions` reads
    /// the set again for them).
    private var lastCensus: (revision: Int, census: Census)?

    private struct Census {
        var outputs: [Float]
        var passes: [[Bool]]
        var stuck: [[StuckPart]]
        var tally: MetricTally
    }

    /// Wall time spent in evaluation passes, which a step-by-step comparison with other frameworks leaves out.
    public private(set) var evaluationSeconds = 0.0

    /// Seconds of one bare forward pass over the in-memory training set (nil for a streamed one), in
    /// the workspace's batches: what `DNNC_TIMING` sets beside an evaluation pass, which is that pass
    /// and the census of dead units.
    public func timeForwardPass() -> Double? {
        guard model.stream == nil else { return nil }
        let started = DispatchTime.now().uptimeNanoseconds
        _ = network.outputs(inputs)
        return Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
    }

    private func census() -> Census {
        if let lastCensus, lastCensus.revision == network.revision { return lastCensus.census }
        let started = DispatchTime.now().uptimeNanoseconds
        defer { evaluationSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        var passes = model.layers.map { [Bool](repeating: false, count: $0.outputShape.reduce(1, *)) }
        // The parts that may get stuck (gates, heads), tallied over every sample (LayerOp.watch).
        var tallies = model.layers.map { PartTally(slots: $0.kind.watchedSlots) }
        var tally = MetricTally(model, targets: model.train.targets)
        let width = model.outputWidth
        var outputs = [Float](repeating: 0, count: model.stream == nil ? inputs.rows * width : 0)
        forEachTrainingBatch(upTo: inputs.rows) { rows in
            for (l, layer) in model.layers.enumerated() where layer.activation.function.canDie {
                passes[l].withUnsafeMutableBufferPointer { network.markPassing(l, rows: rows.count, flags: $0) }
            }
            for l in tallies.indices where !tallies[l].low.isEmpty { network.watch(l, &tallies[l]) }
            if !outputs.isEmpty {
                for k in 0 ..< rows.count * width { outputs[rows.lowerBound * width + k] = network.a.last![k] }
            }
            tally.add(batchPredictions(rows.count))
        }
        let stuck = model.layers.enumerated().map { l, layer in tallies[l].low.isEmpty ? [] : layer.kind.stuckParts(tallies[l]) }
        let census = Census(outputs: outputs, passes: passes, stuck: stuck, tally: tally)
        lastCensus = (network.revision, census)
        return census
    }

    /// Runs the network forward over the training set's first `count` rows in order, in batches of the
    /// workspace, calling `body` with each batch's rows while its outputs are in `network.a.last`. A
    /// streamed set is read in order on this thread; a file that fails gives zeros and sets `dataError`,
    /// which ends the run after this pass.
    private func forEachTrainingBatch(upTo count: Int, _ body: (Range<Int>) -> Void) {
        network.training = false
        var start = 0
        while start < count {
            let rows = start ..< min(start + network.capacity, count)
            if let stream = model.stream {
                do { try stream.decode(rows, into: network.x.baseAddress!) } catch {
                    dataError = dataError ?? error
                    network.x.update(repeating: 0)
                }
                normalizeInputRows(rows.count)
            } else {
                network.load(inputs, rows: ArraySlice(rows), into: network.x)
            }
            network.forward(rows: rows.count)
            body(rows)
            start += network.capacity
        }
    }

    /// The last forward pass's first `B` rows of outputs as predictions: class scores, or values in the
    /// targets' units.
    private func batchPredictions(_ B: Int) -> DataMatrix {
        let width = model.outputWidth
        let outputs = DataMatrix(rows: B, columns: width, values: Array(network.a.last![0 ..< B * width]))
        return model.loss.isClassification ? outputs : targetNormalizer.invert(outputs)
    }

    /// The metrics' tally of the current parameters on the validation set, or on the training set (from
    /// its census).
    public func tally(validation: Bool) -> MetricTally {
        guard validation, let set = model.validation else { return census().tally }
        var tally = MetricTally(model, targets: set.targets)
        tally.add(predict(set.inputs))
        return tally
    }

    /// The predictions for the training set's first `count` rows (every row without it), handed to
    /// `body` in order: at once for a set in memory (its census's outputs), a batch at a time for a
    /// streamed set, which is read again for them. A file that fails sets `dataError`.
    public func trainingPredictions(upTo count: Int? = nil, _ body: (DataMatrix) -> Void) {
        let rows = min(count ?? inputs.rows, inputs.rows)
        guard model.stream != nil else {
            let all = predict(model.train.inputs)
            body(rows == all.rows ? all : DataMatrix(rows: rows, columns: all.columns, values: Array(all.values.prefix(rows * all.columns))))
            return
        }
        forEachTrainingBatch(upTo: rows) { body(batchPredictions($0.count)) }
    }

    /// Dead units now, with the gradient statistics of the epoch just run.
    private func health() -> [LayerHealth] {
        var layers = deadUnits()
        for l in layers.indices {
            let steps = Double(max(watchedSteps, 1))
            layers[l].gradientNorm = (gradientSquares[l] / steps).squareRoot()
            layers[l].weightNorm = norm(network.params, network.layerRanges[l])
            layers[l].updateRatio = updateRatios[l] / steps
        }
        return layers
    }

    /// Names the layer that keeps every gradient at 0: the output layer when it passed none, else the
    /// last layer none of whose units passed one.
    private func diagnose(since: Int, stoppedAfter epoch: Int, cost: Double) -> DeadRun {
        let last = model.layers.count - 1
        let blocked = alive.last!.contains(true) ? (alive.indices.last { !alive[$0].contains(true) && model.layers[$0].activation.function.canDie } ?? last) : last
        let layer = model.layers[blocked]
        return DeadRun(layer: layer.name, activation: layer.activation, isOutput: blocked == last,
                       since: since, stoppedAfter: epoch, cost: cost, targetsNormalized: model.appliedTargetNormalization != .none)
    }

    /// Runs the step's forward pass again op by op to find the first that produced a non-finite value.
    private func locateForwardFault(rows B: Int, step: Int) -> Fault {
        for (l, layer) in model.layers.enumerated() {
            let O = layer.outputSize
            network.forwardLinear(l, rows: B)
            if !allFinite(network.z[l], 0 ..< B * O) {
                var inputs = inputExtents(l, rows: B)
                for (index, p) in model.parameters.enumerated() where p.name.hasPrefix(layer.name + ".") && p.isLearnable {
                    let values = network.values(ofParameter: index)
                    inputs.append((String(p.name.dropFirst(layer.name.count + 1)), values.min() ?? 0, values.max() ?? 0))
                }
                return Fault(op: layer.kind.name, layer: layer.name, epoch: epochsRun, step: step, inputs: inputs)
            }
            network.forwardActivation(l, rows: B)
            if !allFinite(network.a[l], 0 ..< B * O) {
                return Fault(op: layer.activation.name, layer: layer.name, epoch: epochsRun, step: step, inputs: [
                    ("pre-activation", extent(network.z[l], 0 ..< B * O).low, extent(network.z[l], 0 ..< B * O).high),
                ])
            }
        }
        let n = B * model.outputWidth, m = B * model.targetWidth
        let p = network.a.last!, t = network.t
        return Fault(op: "\(model.loss.name) loss", layer: nil, epoch: epochsRun, step: step, inputs: [
            ("prediction", extent(p, 0 ..< n).low, extent(p, 0 ..< n).high),
            ("target", extent(t, 0 ..< m).low, extent(t, 0 ..< m).high),
        ])
    }

    /// The value range of each value step l read in the last forward pass (the plan's reads): "input"
    /// for one, "input 1", "input 2", ... for several.
    package func inputExtents(_ l: Int, rows B: Int) -> [(name: String, low: Float, high: Float)] {
        let reads = network.plan.steps[l].reads
        return reads.enumerated().map { k, read in
            let values: UnsafeMutableBufferPointer<Float>
            switch read.value {
            case .input: values = network.x
            case .output(let source): values = network.a[source]
            }
            let e = extent(values, 0 ..< B * read.shape.reduce(1, *))
            return (reads.count == 1 ? "input" : "input \(k + 1)", e.low, e.high)
        }
    }

    /// The layer whose gradient went non-finite first in backward order (output layer first).
    package func locateBackwardFault(rows B: Int, step: Int) -> Fault {
        let l = network.layerRanges.indices.reversed().first { !allFinite(network.grads, network.layerRanges[$0]) }
            ?? model.layers.count - 1
        let O = model.layers[l].outputSize
        let params = network.layerRanges[l]
        return Fault(op: "backward", layer: model.layers[l].name, epoch: epochsRun, step: step, inputs: inputExtents(l, rows: B) + [
            ("pre-activation", extent(network.z[l], 0 ..< B * O).low, extent(network.z[l], 0 ..< B * O).high),
            ("parameters", extent(network.params, params).low, extent(network.params, params).high),
        ])
    }

    /// A copy of every parameter, in the flat order.
    public func parameters() -> [Float] { Array(network.params) }

    /// Puts back parameters taken by `parameters()` (the last finite ones, before saving them).
    public func restore(parameters values: [Float]) {
        precondition(values.count == network.parameterCount)
        for (i, v) in values.enumerated() { network.params[i] = v }
        network.revision += 1
    }

    /// The running statistics (batchnorm's), which early stopping restores with the parameters.
    public func statistics() -> [Float] { Array(network.stats) }

    public func restore(statistics values: [Float]) {
        for (i, v) in values.enumerated() { network.stats[i] = v }
        network.revision += 1
    }

    /// The loss over a whole data set in evaluation mode (normalized as training data), combined
    /// over batches as the loss's reduction combines samples.
    public func evaluate(_ set: Dataset) -> Double {
        network.loss(inputNormalizer.apply(set.inputs), targetNormalizer.applyToTargets(set.targets, of: model.loss))
    }

    /// The network's outputs for `inputs` (in original units), in batches of the workspace's size: for
    /// the training set, its census's. A streamed training set's come from `trainingPredictions`.
    public func predict(_ raw: DataMatrix) -> DataMatrix {
        precondition(!raw.isStreamed, "a streamed set's predictions come from trainingPredictions")
        let width = model.outputWidth
        let out = raw == model.train.inputs ? census().outputs : network.outputs(inputNormalizer.apply(raw))
        let predictions = DataMatrix(rows: raw.rows, columns: width, values: out)
        // Class scores are not in the targets' units; regression outputs are.
        return model.loss.isClassification ? predictions : targetNormalizer.invert(predictions)
    }
}

/// The L2 norm of a span of a buffer, in Double.
func norm(_ b: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>) -> Double {
    var sum = 0.0
    for i in range { sum += Double(b[i]) * Double(b[i]) }
    return sum.squareRoot()
}

/// How many values squaredDistance sums in Float before it adds them into its Double total
/// (a watched Network.update cuts its chunks as this does, to add up the same Double).
let squaredDistanceChunk = 512

/// Σ (a[i] − b[i])², or Σ a[i]² without b: vectorized in Float over chunks of `squaredDistanceChunk`,
/// summed in Double.
func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>?, count: Int) -> Double {
    var total = 0.0, i = 0
    while i < count {
        let end = min(count, i + squaredDistanceChunk)
        var lanes = SIMD8<Float>(), tail: Float = 0
        while i + 8 <= end {
            var v = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            if let b { v -= UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self) }
            lanes += v * v
            i += 8
        }
        while i < end {
            let v = a[i] - (b?[i] ?? 0)
            tail += v * v
            i += 1
        }
        total += Double(lanes.sum()) + Double(tail)
    }
    return total
}

/// The smallest and largest value of a span (NaN when the span holds one).
func extent(_ b: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>) -> (low: Float, high: Float) {
    var low = Float.infinity, high = -Float.infinity
    for i in range {
        if b[i].isNaN { return (.nan, .nan) }
        low = min(low, b[i])
        high = max(high, b[i])
    }
    return (low, high)
}

/// Whether every value is finite and whether any is nonzero, in one vectorized pass: x·0 is 0 for a
/// finite x and NaN for an infinity or a NaN; a value is nonzero when its bits other than the sign are.
func survey(_ b: UnsafeBufferPointer<Float>) -> (finite: Bool, nonzero: Bool) {
    guard let base = b.baseAddress else { return (true, false) }
    var probe = SIMD8<Float>(), bits = SIMD8<UInt32>()
    var i = 0
    while i + 8 <= b.count {
        let v = UnsafeRawPointer(base + i).loadUnaligned(as: SIMD8<Float>.self)
        probe += v * 0
        bits |= unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF
        i += 8
    }
    var tail: Float = 0, tailBits: UInt32 = 0
    while i < b.count {
        tail += b[i] * 0
        tailBits |= b[i].bitPattern & 0x7FFF_FFFF
        i += 1
    }
    return (!(probe.sum() + tail).isNaN, bits.max() != 0 || tailBits != 0)
}

func allFinite(_ b: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>) -> Bool {
    for i in range where !b[i].isFinite { return false }
    return true
}
