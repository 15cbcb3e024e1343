// The checked choices of a spec (initializers, losses, optimizers, schedules, clipping; activations are
// their types' own, Ops/Activations/)
// as IR values. Every kind in a Language catalog has a case here; a kind in the table but not here is
// a programming error that the grammar tests catch.

import DNNSyntax

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

    static func optimizer(_ c: SpecChoice) -> Optimizer {
        let kind = Optimizer.Kind(c.kind)
        var o = Optimizer(kind, lr: c["lr"]!.double!)
        o.weightDecay = c["weight_decay"]!.double!
        kind.rule.lower(c, into: &o)
        return o
    }

    static func clip(_ c: SpecChoice) -> Clipping {
        c.kind == "norm" ? .norm(c["max"]!.double!) : .value(c["max"]!.double!)
    }
}
