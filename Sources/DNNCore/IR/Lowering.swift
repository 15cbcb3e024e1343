// The checked choices of a spec (initializers, losses, optimizers, schedules, clipping; activations are
// their types' own, Ops/Activations/)
// as IR values. Every kind in a Language catalog has a case here; a kind in the table but not here is
// a programming error that the grammar tests catch.

enum Lowering {
    static func initializer(_ value: SpecValue) -> Initializer {
        let c = value.choice!
        switch c.kind {
        case "zeros": return .zeros
        case "ones": return .ones
        case "constant": return .constant(Float(c["value"]!.double!))
        case "uniform": return .uniform(low: c["low"]!.double!, high: c["high"]!.double!)
        case "normal": return .normal(mean: c["mean"]!.double!, stddev: c["stddev"]!.double!)
        case "truncated_normal": return .truncatedNormal(mean: c["mean"]!.double!, stddev: c["stddev"]!.double!)
        case "glorot_uniform": return .glorotUniform
        case "glorot_normal": return .glorotNormal
        case "he_uniform": return .heUniform
        case "he_normal": return .heNormal
        default: preconditionFailure("initializer \(c.kind) is in the table but not lowered")
        }
    }

    static func loss(_ c: SpecChoice) -> Loss {
        let reduction = Reduction(rawValue: c["reduction"]?.string ?? "mean")!
        switch c.kind {
        case "mse": return .mse(reduction)
        case "sse": return .sse
        case "mae": return .mae(reduction)
        case "huber": return .huber(delta: Float(c["delta"]!.double!), reduction)
        case "smooth_l1": return .smoothL1(beta: Float(c["beta"]!.double!), reduction)
        case "bce": return .bce(reduction)
        case "bce_with_logits": return .bceWithLogits(reduction)
        case "cross_entropy": return .crossEntropy(labelSmoothing: Float(c["label_smoothing"]!.double!), reduction)
        case "nll": return .nll(reduction)
        default: preconditionFailure("loss \(c.kind) is in the table but not lowered")
        }
    }

    static func optimizer(_ c: SpecChoice) -> Optimizer {
        let kind = Optimizer.Kind(c.kind)
        var o = Optimizer(kind, lr: c["lr"]!.double!)
        o.weightDecay = c["weight_decay"]!.double!
        kind.rule.lower(c, into: &o)
        return o
    }

    static func schedule(_ c: SpecChoice, epochs: Int, hasValidation: Bool) -> LRSchedule {
        switch c.kind {
        case "constant": return .constant
        case "step": return .step(every: c["every"]!.int!, gamma: c["gamma"]!.double!)
        case "multistep": return .multistep(milestones: c["milestones"]!.list!.map { $0.int! }, gamma: c["gamma"]!.double!)
        case "exponential": return .exponential(gamma: c["gamma"]!.double!)
        case "cosine": return .cosine(tMax: c["t_max"]?.int ?? epochs, minLR: c["min_lr"]!.double!)
        case "one_cycle":
            return .oneCycle(maxLR: c["max_lr"]!.double!, pctStart: c["pct_start"]!.double!,
                             divFactor: c["div_factor"]!.double!, finalDivFactor: c["final_div_factor"]!.double!)
        case "reduce_on_plateau":
            return .reduceOnPlateau(monitor: c["monitor"]?.string ?? defaultMonitor(hasValidation: hasValidation),
                                    factor: c["factor"]!.double!, patience: c["patience"]!.int!,
                                    threshold: c["threshold"]!.double!, minLR: c["min_lr"]!.double!)
        default: preconditionFailure("schedule \(c.kind) is in the table but not lowered")
        }
    }

    static func monitor(of schedule: LRSchedule) -> String? {
        if case .reduceOnPlateau(let monitor, _, _, _, _) = schedule { return monitor }
        return nil
    }

    static func clip(_ c: SpecChoice) -> Clipping {
        c.kind == "norm" ? .norm(c["max"]!.double!) : .value(c["max"]!.double!)
    }

    /// What `monitor` watches when the spec does not say (early stopping and reduce_on_plateau): the
    /// validation loss when there is validation data, else the training cost, as Keras and Lightning do.
    static func defaultMonitor(hasValidation: Bool) -> String { hasValidation ? "val_loss" : "loss" }
}
