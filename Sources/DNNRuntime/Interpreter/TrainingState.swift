// The whole state of a training run between two epochs, saved by `train.checkpoint` and restored by
// `dnnc run --resume`, so that a resumed run ends with exactly the parameters of an uninterrupted one.
// A checkpoint is an ordinary safetensors checkpoint (the model's tensors and CheckpointMetadata, so
// `predict` and `export` take it) plus the optimizer's state and the best parameters kept for early
// stopping and --save-best as tensors named `dnnc_state.*`, and the loop's counters, random
// generators and learning-rate state in the metadata key `dnnc_state`. Every Double is written as its
// bit pattern in hex, so it reads back exactly. The shuffled order is not saved: it is replayed from
// the shuffling stream, which is cheaper than any epoch it stands for.

import Foundation
import DNNSyntax
import DNNModel
import DNNCheckpoint

extension Trainer {
    public static let stateKey = CheckpointMetadata.trainingStateKey
    static let statePrefix = "dnnc_state."

    /// A fingerprint of everything a resumed run must share with the one that wrote the checkpoint:
    /// the model, the schedule (but for how often it checkpoints), the optimizer, the seed and the data.
    /// Computed once per trainer (`trainingHash`): it reads the whole training set.
    func computeTrainingHash() -> String {
        var crc = model.train.inputs.values.withUnsafeBytes { CRC32.checksum($0) }
        crc ^= model.train.targets.values.withUnsafeBytes { CRC32.checksum($0) }
        // A streamed set's images are not in memory: their paths and sizes stand for them.
        if let stream = model.stream { crc ^= CRC32.checksum(Array(stream.fingerprint.utf8)) }
        let text = model.trainingText(dataChecksum: crc)
        return String(FNV1a.hash(text), radix: 16)
    }

    /// The checkpoint of the state after the last finished epoch: tensors and metadata.
    public func checkpointState() -> (tensors: [(name: String, tensor: Tensor)], metadata: [String: String]) {
        var tensors = network.checkpointTensors()
        let n = network.parameterCount
        for (k, buffer) in [network.state1, network.state2, network.state3].enumerated() {
            tensors.append(("\(Self.statePrefix)optimizer.\(k)", Tensor(shape: [n], values: Array(buffer[0 ..< n]))))
        }
        func add(_ name: String, _ values: [Float]?) {
            if let values { tensors.append((Self.statePrefix + name, Tensor(shape: [values.count], values: values))) }
        }
        add("early_stopping.parameters", loop.bestParameters)
        add("early_stopping.statistics", loop.bestStatistics)
        add("best_validation.parameters", loop.bestValidation?.parameters)
        add("best_validation.statistics", loop.bestValidation?.statistics)
        func hex(_ x: Double) -> JSONValue { .string(String(x.bitPattern, radix: 16)) }
        // The augmentations' generator only where there are augmentations: other checkpoints keep their bytes.
        let augment: [(String, JSONValue)] = model.augmentations.isEmpty ? [] : [("augment_rng", .array(augmenter.state.map { .string(String($0, radix: 16)) }))]
        let state = JSONValue.object([
            ("training_hash", .string(trainingHash)),
            ("next_epoch", .int(loop.nextEpoch)),
            ("steps", .int(steps)),
            ("phase_step", .int(phaseStep)),
            ("epochs_run", .int(epochsRun)),
            ("current_rate", hex(currentRate)),
            ("plateau_factor", .array([hex(learningRate.plateau.factor), hex(learningRate.plateau.best), .int(learningRate.plateau.badEpochs)])),
            ("dropout_rng", .array(network.dropoutStream.state.map { .string(String($0, radix: 16)) })),
            ("costs", .array(loop.costs.map(hex))),
            ("stuck_since", loop.stuckSince.map { .int($0) } ?? .null),
            ("best_monitored", hex(loop.bestMonitored)),
            ("best_epoch", .int(loop.bestEpoch)),
            ("waited", .int(loop.waited)),
            ("validation_curve", .array(loop.validationCurve.map { .array([.int($0.epoch), hex($0.loss)]) })),
            ("best_validation_epoch", loop.bestValidation.map { .int($0.epoch) } ?? .null),
            ("phase", .array([.int(loop.phaseIndex), .int(loop.phaseEnd)])),
            ("gemm", .string(Gemm.implementation)),
        ] + augment)
        var metadata = CheckpointMetadata(self).strings
        metadata[Self.stateKey] = state.compact
        return (tensors, metadata)
    }

    /// Restores the state a checkpoint saved; the trainer must be new (no epoch run yet) and built
    /// from the same spec. Errors say what differs. Returns a warning when the checkpoint's run
    /// multiplied matrices with another implementation than this process does (Gemm.implementation): the
    /// resumed run is then correct but not bit for bit the uninterrupted one.
    @discardableResult
    public func resume(from bytes: [UInt8]) throws(CheckpointError) -> String? {
        let (tensors, metadata) = try SafeTensors.decodeWithMetadata(bytes)
        guard let text = metadata[Self.stateKey],
              let state = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw CheckpointError("it holds no training state (it was not written by train.checkpoint)")
        }
        guard state["training_hash"] as? String == trainingHash else {
            throw CheckpointError("it was written by a run of another model, schedule, seed or data set (training hash \(state["training_hash"] as? String ?? "none"), this run's is \(trainingHash))")
        }
        func int(_ key: String) throws(CheckpointError) -> Int {
            guard let v = (state[key] as? NSNumber)?.intValue else { throw CheckpointError("its training state lacks `\(key)`") }
            return v
        }
        func double(_ any: Any?) throws(CheckpointError) -> Double {
            guard let s = any as? String, let bits = UInt64(s, radix: 16) else { throw CheckpointError("its training state holds a malformed number") }
            return Double(bitPattern: bits)
        }
        func list(_ key: String) throws(CheckpointError) -> [Any] {
            guard let v = state[key] as? [Any] else { throw CheckpointError("its training state lacks `\(key)`") }
            return v
        }
        func tensor(_ name: String, count: Int) throws(CheckpointError) -> [Float]? {
            guard let t = tensors[Self.statePrefix + name] else { return nil }
            guard t.values.count == count else { throw CheckpointError("its tensor `\(Self.statePrefix + name)` has \(t.values.count) values, not \(count)") }
            return t.values
        }
        try network.load(tensors)
        let n = network.parameterCount
        for (k, buffer) in [network.state1, network.state2, network.state3].enumerated() {
            guard let values = try tensor("optimizer.\(k)", count: n) else { throw CheckpointError("it lacks the optimizer's state") }
            for i in 0 ..< n { buffer[i] = values[i] }
        }
        let statistics = network.stats.count  // as `statistics()` returns them
        loop = Progress()
        loop.nextEpoch = try int("next_epoch")
        steps = try int("steps")
        phaseStep = try int("phase_step")
        epochsRun = try int("epochs_run")
        currentRate = try double(state["current_rate"])
        // ReduceLROnPlateau's factor; before schedules gave factors, the lr it had reached (`plateau`).
        let byFactor = state["plateau_factor"] != nil
        let plateau = try list(byFactor ? "plateau_factor" : "plateau")
        guard plateau.count == 3, let bad = (plateau[2] as? NSNumber)?.intValue else { throw CheckpointError("its training state has a malformed `plateau_factor`") }
        learningRate.plateau.factor = try double(plateau[0]) / (byFactor ? 1 : model.optimizer.lr)
        learningRate.plateau.best = try double(plateau[1])
        learningRate.plateau.badEpochs = bad
        let rng = try list("dropout_rng").compactMap { ($0 as? String).flatMap { UInt64($0, radix: 16) } }
        guard rng.count == 4 else { throw CheckpointError("its training state has a malformed `dropout_rng`") }
        network.dropoutStream.state = rng
        // Written where data.augment is; a run without augmentations never draws from it.
        if !model.augmentations.isEmpty {
            let augment = try list("augment_rng").compactMap { ($0 as? String).flatMap { UInt64($0, radix: 16) } }
            guard augment.count == 4 else { throw CheckpointError("its training state has a malformed `augment_rng`") }
            augmenter.state = augment
        }
        loop.costs = try list("costs").map { (x: Any) throws(CheckpointError) in try double(x) }
        loop.stuckSince = (state["stuck_since"] as? NSNumber)?.intValue
        loop.bestMonitored = try double(state["best_monitored"])
        loop.bestEpoch = try int("best_epoch")
        loop.waited = try int("waited")
        for entry in try list("validation_curve") {
            guard let pair = entry as? [Any], pair.count == 2, let epoch = (pair[0] as? NSNumber)?.intValue else {
                throw CheckpointError("its training state has a malformed `validation_curve`")
            }
            loop.validationCurve.append((epoch, try double(pair[1])))
        }
        loop.bestParameters = try tensor("early_stopping.parameters", count: n)
        loop.bestStatistics = try tensor("early_stopping.statistics", count: statistics)
        if let epoch = (state["best_validation_epoch"] as? NSNumber)?.intValue {
            guard let p = try tensor("best_validation.parameters", count: n), let s = try tensor("best_validation.statistics", count: statistics) else {
                throw CheckpointError("it lacks the best validation epoch's parameters")
            }
            loop.bestValidation = (epoch, p, s)
        }
        let phase = try list("phase").compactMap { ($0 as? NSNumber)?.intValue }
        guard phase.count == 2 else { throw CheckpointError("its training state has a malformed `phase`") }
        (loop.phaseIndex, loop.phaseEnd) = (phase[0], phase[1])
        try checkResumedState()
        if loop.phaseIndex >= 0 { enterPhase(loop.phaseIndex) }
        // The order of the samples: every shuffle the finished epochs made, replayed.
        order = Array(0 ..< order.count)
        shuffler = RandomStream(seed: model.seed, stream: RandomStream.shuffling)
        if model.schedule.shuffle {
            for _ in 0 ..< epochsRun { shuffle() }
        }
        network.revision += 1
        guard let written = state["gemm"] as? String, written != Gemm.implementation else { return nil }
        return "the checkpoint's run multiplied matrices with `\(written)` and this one with `\(Gemm.implementation)` (\(Gemm.Backend.why)); "
            + "the resumed run's numbers will differ in the last bits from an uninterrupted run's"
    }

    /// Everything a checkpoint's training state says, checked against this spec's schedule before any
    /// of it is used: a crafted or damaged state with valid checksums is refused, never replayed
    /// (a phase index out of range trapped; 10^15 epochs run replayed shuffles for ever).
    func checkResumedState() throws(CheckpointError) {
        func fail(_ what: String) -> CheckpointError {
            CheckpointError("its training state is inconsistent with this spec: \(what)")
        }
        let epochs = model.schedule.epochs, next = loop.nextEpoch
        let stepsPerEpoch = (model.train.inputs.rows + batchSize - 1) / batchSize
        guard (0 ... epochs).contains(next) else { throw fail("it resumes at epoch \(next), but the spec trains \(epochs)") }
        guard epochsRun == next else { throw fail("\(epochsRun) epochs run, but it resumes at epoch \(next)") }
        guard loop.costs.count == next, loop.costs.allSatisfy(\.isFinite) else { throw fail("\(loop.costs.count) costs for \(next) epochs") }
        guard steps == next * stepsPerEpoch else { throw fail("\(steps) steps, but \(next) epochs of \(stepsPerEpoch) make \(next * stepsPerEpoch)") }
        guard (0 ... steps).contains(phaseStep) else { throw fail("phase step \(phaseStep) of \(steps)") }
        guard currentRate.isFinite, currentRate >= 0 else { throw fail("a learning rate of \(currentRate)") }
        guard learningRate.plateau.factor.isFinite, learningRate.plateau.factor >= 0, !learningRate.plateau.best.isNaN,
              (0 ... max(next, 0)).contains(learningRate.plateau.badEpochs) else { throw fail("a malformed plateau state") }
        let phases = model.schedule.phases
        if phases.isEmpty {
            guard loop.phaseIndex == -1, loop.phaseEnd == 0 else { throw fail("a phase, but the spec has none") }
        } else {
            guard (-1 ..< phases.count).contains(loop.phaseIndex) else {
                throw fail("phase \(loop.phaseIndex), but the spec has \(phases.count) (0 to \(phases.count - 1))")
            }
            let end = phases.prefix(loop.phaseIndex + 1).reduce(0) { $0 + $1.epochs }
            guard loop.phaseEnd == end, next <= end || loop.phaseIndex == phases.count - 1 else {
                throw fail("phase \(loop.phaseIndex) ending after \(loop.phaseEnd) epochs, but the spec's ends after \(end)")
            }
        }
        if let stuck = loop.stuckSince, !(0 ..< max(next, 1)).contains(stuck) { throw fail("stuck since epoch \(stuck)") }
        guard (0 ..< max(next, 1)).contains(loop.bestEpoch), (0 ... next).contains(loop.waited), !loop.bestMonitored.isNaN else {
            throw fail("a malformed early-stopping state")
        }
        var previous = -1
        for point in loop.validationCurve {
            guard point.epoch > previous, point.epoch < next, point.loss.isFinite else { throw fail("a malformed validation curve") }
            previous = point.epoch
        }
        if let best = loop.bestValidation, !(0 ..< max(next, 1)).contains(best.epoch) { throw fail("best validation epoch \(best.epoch)") }
        for values in [loop.bestParameters, loop.bestStatistics, loop.bestValidation?.parameters, loop.bestValidation?.statistics] {
            guard values?.allSatisfy(\.isFinite) ?? true else { throw fail("non-finite saved parameters") }
        }
        for buffer in [network.state1, network.state2, network.state3] {
            guard buffer[0 ..< network.parameterCount].allSatisfy(\.isFinite) else { throw fail("a non-finite optimizer state") }
        }
    }
}

extension CheckpointMetadata {
    /// The metadata of a trainer's current model.
    public init(_ trainer: Trainer) {
        self.init(modelHash: trainer.model.architectureHash, inputNormalizer: trainer.inputNormalizer,
                  targetNormalizer: trainer.targetNormalizer, classes: trainer.model.classes, encoder: trainer.model.encoder,
                  epochsTrained: trainer.epochsRun)
    }
}
