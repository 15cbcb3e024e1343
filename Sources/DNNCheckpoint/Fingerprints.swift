// The fingerprints checkpoints carry: the model's (what the parameters mean; `predict` and `export`
// refuse parameters of another model) and the training run's (what `--resume` must share with the run
// that wrote the checkpoint). Each is FNV-1a of a text written here, field by field, in the form v1
// printed its values in, so that a checkpoint written by any dnnc since v1 still matches. Ops,
// activations, losses and schedules write their own parts (`fingerprint`); a part never changes once
// it has shipped.

import DNNSyntax
import DNNModel

extension ModelIR {
    /// A hash of what the parameters mean: every layer's kind, activation, inputs, shapes and
    /// parameters, the input shape, the normalization kinds and the loss. The training schedule is
    /// left out, so a spec whose epochs or learning rate changed still accepts its checkpoints.
    /// FNV-1a, 64 bits, in 16 hex digits.
    public var architectureHash: String {
        let hex = String(FNV1a.hash(architectureText), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    package var architectureText: String {
        var text = "input \(inputShape) normalization \(inputNormalization.rawValue) \(targetNormalization.rawValue) loss \(loss.function.fingerprint)\n"
        for layer in layers {
            text += "\(layer.name) \(layer.kind.fingerprint) \(layer.activation.fingerprint) \(layer.inputs) \(layer.inputShapes) \(layer.outputShape)"
            for p in layer.parameters { text += " \(p.name)\(p.shape)" }
            text += "\n"
        }
        return text
    }

    /// The training run's text: the model's hash, the schedule (but for how often it checkpoints), the
    /// optimizer, the seed, the loss, a checksum of the training data and the validation rows.
    package func trainingText(dataChecksum: UInt32) -> String {
        "\(architectureHash) \(schedule.fingerprint) Optimizer\(optimizer.fingerprintFields) \(seed) \(loss.function.fingerprint) "
            + "\(dataChecksum) \(validation?.inputs.rows ?? 0)" + (augmentations.isEmpty ? "" : " augment \(augmentations)")
    }
}

extension Schedule {
    var fingerprint: String {
        let early = earlyStopping.map { e in
            "Optional(DNNCore.EarlyStopping(monitor: \(String(reflecting: e.monitor)), patience: \(e.patience), minDelta: \(e.minDelta), restoreBest: \(e.restoreBest)))"
        } ?? "nil"
        let phases = self.phases.map { p in "DNNCore.Phase(epochs: \(p.epochs), optimizer: DNNCore.Optimizer\(p.optimizer.fingerprintFields), frozen: \(p.frozen))" }
        return "Schedule(epochs: \(epochs), batchSize: \(batchSize), shuffle: \(shuffle), logEvery: \(logEvery), "
            + "learningRate: \(learningRate.rule.fingerprint), warmup: \(warmup), clip: \(clip.fingerprint), validateEvery: \(validateEvery), "
            + "earlyStopping: \(early), phases: [\(phases.joined(separator: ", "))], checkpoint: nil)"
    }
}

extension Optimizer {
    var fingerprintFields: String {
        "(kind: DNNCore.Optimizer.Kind.\(name), lr: \(lr), momentum: \(momentum), dampening: \(dampening), nesterov: \(nesterov), "
            + "beta1: \(beta1), beta2: \(beta2), eps: \(eps), alpha: \(alpha), centered: \(centered), lrDecay: \(lrDecay), weightDecay: \(weightDecay))"
    }
}

extension Clipping {
    var fingerprint: String {
        switch self {
        case .none: "DNNCore.Clipping.none"
        case .norm(let limit): "DNNCore.Clipping.norm(\(limit))"
        case .value(let limit): "DNNCore.Clipping.value(\(limit))"
        }
    }
}
