// The schedules that follow the run rather than the epoch: OneCycleLR, stepped after every batch, and
// ReduceLROnPlateau, which watches a value after every epoch.

import Foundation
import DNNSyntax

/// OneCycleLR with cosine annealing (max_lr, pct_start, div_factor, final_div_factor), momentum not
/// cycled; its rates are absolute, so its factor is the rate over the base.
public struct OneCycle: ScheduleRule {
    public static let kinds = [
        ChoiceKind(name: "one_cycle", params: [
            .required("max_lr", .number(.positive), "the peak lr"),
            .optional("pct_start", .number(Bounds(min: 0, minExclusive: true, max: 1, maxExclusive: true)), default: .number(0.3), "share of the steps spent rising"),
            .optional("div_factor", .number(.positive), default: .number(25), "initial lr = max_lr / div_factor"),
            .optional("final_div_factor", .number(.positive), default: .number(1e4), "final lr = initial lr / final_div_factor"),
        ], doc: "OneCycleLR with cosine annealing, stepped after every batch (the optimizer's lr is replaced; momentum is not cycled, as cycle_momentum=False)"),
    ]
    public var maxLR: Double
    public var pctStart: Double
    public var divFactor: Double
    public var finalDivFactor: Double
    public static func lower(_ c: SpecChoice, epochs: Int, hasValidation: Bool) -> OneCycle {
        OneCycle(maxLR: c["max_lr"]!.double!, pctStart: c["pct_start"]!.double!,
                 divFactor: c["div_factor"]!.double!, finalDivFactor: c["final_div_factor"]!.double!)
    }
    public var name: String { "one_cycle" }
    public func factor(epoch: Int, step: Int, totalSteps: Int, base: Double, plateau: Double) -> Double {
        let initial = maxLR / divFactor, final = initial / finalDivFactor
        let peak = pctStart * Double(totalSteps) - 1, end = Double(totalSteps - 1)
        let s = Double(min(step, totalSteps - 1))
        func anneal(_ from: Double, _ to: Double, _ pct: Double) -> Double { to + (from - to) / 2 * (1 + cos(Double.pi * pct)) }
        let lr = s <= peak ? anneal(initial, maxLR, peak > 0 ? s / peak : 1) : anneal(maxLR, final, (s - peak) / max(end - peak, 1))
        return lr / base
    }
    public var python: String {
        "(\"one_cycle\", \(Python.number(maxLR)), \(Python.number(pctStart)), \(Python.number(divFactor)), \(Python.number(finalDivFactor)))"
    }
    public static let pythonBranch = """
                if kind == "one_cycle":
                    max_lr, pct, div, final_div = s[1:]
                    initial = max_lr / div
                    final = initial / final_div
                    peak, end = pct * self.total_steps - 1, float(self.total_steps - 1)
                    x = float(min(step, self.total_steps - 1))
                    anneal = lambda a, b, p: b + (a - b) / 2 * (1 + math.cos(math.pi * p))
                    lr = anneal(initial, max_lr, x / peak if peak > 0 else 1) if x <= peak else anneal(max_lr, final, (x - peak) / max(end - peak, 1))
                    return lr / base
        """
    public var fingerprint: String {
        "DNNCore.LRSchedule.oneCycle(maxLR: \(maxLR), pctStart: \(pctStart), divFactor: \(divFactor), finalDivFactor: \(finalDivFactor))"
    }
}

/// ReduceLROnPlateau, mode min with a relative threshold: the factor drops by `factor` after more than
/// `patience` epochs without improvement, never below min_lr.
public struct ReduceOnPlateau: ScheduleRule {
    public static let kinds = [
        ChoiceKind(name: "reduce_on_plateau", params: [
            .optional("monitor", .word(["loss", "val_loss"]), default: .contextual("val_loss with validation data, else loss"), "the value watched"),
            .optional("factor", .number(Bounds(min: 0, minExclusive: true, max: 1, maxExclusive: true)), default: .number(0.1), "lr multiplier on a plateau"),
            .optional("patience", .integer(.countOrZero), default: .int(10), "epochs without improvement before reducing"),
            .optional("threshold", .number(.nonNegative), default: .number(1e-4), "relative improvement that counts"),
            .optional("min_lr", .number(.nonNegative), default: .number(0), "the lr never goes below"),
        ], doc: "ReduceLROnPlateau (mode min, relative threshold)"),
    ]
    public var watched: String
    public var reduction: Double
    public var patience: Int
    public var threshold: Double
    public var minLR: Double
    public static func lower(_ c: SpecChoice, epochs: Int, hasValidation: Bool) -> ReduceOnPlateau {
        ReduceOnPlateau(watched: c["monitor"]?.string ?? EarlyStopping.defaultMonitor(hasValidation: hasValidation),
                        reduction: c["factor"]!.double!, patience: c["patience"]!.int!,
                        threshold: c["threshold"]!.double!, minLR: c["min_lr"]!.double!)
    }
    public var name: String { "reduce_on_plateau" }
    public var monitor: String? { watched }
    public static func monitorRange(_ choice: SpecChoice) -> SourceRange? { choice["monitor"]?.range }
    public func factor(epoch: Int, step: Int, totalSteps: Int, base: Double, plateau: Double) -> Double { plateau }

    public func observe(_ value: Double, _ state: inout PlateauState, base: Double) {
        guard value.isFinite else { return }
        if value < state.best * (1 - threshold) {
            state.best = value
            state.badEpochs = 0
        } else {
            state.badEpochs += 1
            if state.badEpochs > patience {
                state.factor = max(state.factor * reduction, minLR / base)
                state.badEpochs = 0
            }
        }
    }

    public var contextualDefaults: [(key: String, value: SpecValue.Content, note: String)] {
        [("monitor", .string(watched), "val_loss with validation data, else loss")]
    }
    public var python: String {
        "(\"reduce_on_plateau\", \(Python.string(watched)), \(Python.number(reduction)), \(patience), \(Python.number(threshold)), \(Python.number(minLR)))"
    }
    public static let pythonBranch = """
                if kind == "reduce_on_plateau":
                    return self.plateau
        """
    public var fingerprint: String {
        "DNNCore.LRSchedule.reduceOnPlateau(monitor: \(String(reflecting: watched)), factor: \(reduction), patience: \(patience), threshold: \(threshold), minLR: \(minLR))"
    }
}
