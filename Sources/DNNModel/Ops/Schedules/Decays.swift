// The schedules that are closed forms of the epoch, as torch.optim.lr_scheduler defines them: constant,
// StepLR, MultiStepLR, ExponentialLR and CosineAnnealingLR, stepped after each epoch.

import Foundation
import DNNSyntax

public struct ConstantRate: ScheduleRule {
    public static let kinds = [ChoiceKind(name: "constant", doc: "the optimizer's lr throughout")]
    public static func lower(_ c: SpecChoice, epochs: Int, hasValidation: Bool) -> ConstantRate { ConstantRate() }
    public var name: String { "constant" }
    public func factor(epoch: Int, step: Int, totalSteps: Int, base: Double, plateau: Double) -> Double { 1 }
    public var python: String { "(\"constant\",)" }
    public static let pythonBranch = """
                if kind == "constant":
                    return 1.0
        """
    public var fingerprint: String { "DNNCore.LRSchedule.constant" }
}

/// lr·gamma^⌊epoch / every⌋.
public struct StepDecay: ScheduleRule {
    public static let kinds = [
        ChoiceKind(name: "step", params: [
            .required("every", .integer(.count), "epochs between decays (step_size)"),
            .optional("gamma", .number(.positive), default: .number(0.1), "factor per decay"),
        ], doc: "lr·gamma^⌊epoch / every⌋, as StepLR"),
    ]
    public var every: Int
    public var gamma: Double
    public static func lower(_ c: SpecChoice, epochs: Int, hasValidation: Bool) -> StepDecay {
        StepDecay(every: c["every"]!.int!, gamma: c["gamma"]!.double!)
    }
    public var name: String { "step" }
    public func factor(epoch: Int, step: Int, totalSteps: Int, base: Double, plateau: Double) -> Double {
        pow(gamma, Double(epoch / every))
    }
    public var python: String { "(\"step\", \(every), \(Python.number(gamma)))" }
    public static let pythonBranch = """
                if kind == "step":
                    return math.pow(s[2], epoch // s[1])
        """
    public var fingerprint: String { "DNNCore.LRSchedule.step(every: \(every), gamma: \(gamma))" }
}

/// lr·gamma^(milestones passed).
public struct MultiStepDecay: ScheduleRule {
    public static let kinds = [
        ChoiceKind(name: "multistep", params: [
            .required("milestones", .list(.integer(.count), minCount: 1), "epochs at which the lr decays, increasing"),
            .optional("gamma", .number(.positive), default: .number(0.1), "factor per milestone"),
        ], doc: "lr·gamma^(milestones passed), as MultiStepLR"),
    ]
    public var milestones: [Int]
    public var gamma: Double
    public static func lower(_ c: SpecChoice, epochs: Int, hasValidation: Bool) -> MultiStepDecay {
        MultiStepDecay(milestones: c["milestones"]!.list!.map { $0.int! }, gamma: c["gamma"]!.double!)
    }
    public static func check(_ c: SpecChoice, _ bag: inout DiagnosticBag) {
        if let milestones = c["milestones"]?.list?.compactMap(\.int), milestones != milestones.sorted() {
            bag.error(.inconsistentValues, "milestones must increase", at: c["milestones"]!.range, help: "sort them")
        }
    }
    public var name: String { "multistep" }
    public func factor(epoch: Int, step: Int, totalSteps: Int, base: Double, plateau: Double) -> Double {
        pow(gamma, Double(milestones.filter { $0 <= epoch }.count))
    }
    public var python: String { "(\"multistep\", \(milestones), \(Python.number(gamma)))" }
    public static let pythonBranch = """
                if kind == "multistep":
                    return math.pow(s[2], len([m for m in s[1] if m <= epoch]))
        """
    public var fingerprint: String { "DNNCore.LRSchedule.multistep(milestones: \(milestones), gamma: \(gamma))" }
}

/// lr·gamma^epoch.
public struct ExponentialDecay: ScheduleRule {
    public static let kinds = [
        ChoiceKind(name: "exponential", params: [
            .required("gamma", .number(.positive), "factor per epoch"),
        ], doc: "lr·gamma^epoch, as ExponentialLR"),
    ]
    public var gamma: Double
    public static func lower(_ c: SpecChoice, epochs: Int, hasValidation: Bool) -> ExponentialDecay {
        ExponentialDecay(gamma: c["gamma"]!.double!)
    }
    public var name: String { "exponential" }
    public func factor(epoch: Int, step: Int, totalSteps: Int, base: Double, plateau: Double) -> Double {
        pow(gamma, Double(epoch))
    }
    public var python: String { "(\"exponential\", \(Python.number(gamma)))" }
    public static let pythonBranch = """
                if kind == "exponential":
                    return math.pow(s[1], epoch)
        """
    public var fingerprint: String { "DNNCore.LRSchedule.exponential(gamma: \(gamma))" }
}

/// min_lr + (lr − min_lr)·(1 + cos(π·epoch/t_max))/2: as a factor of lr, m + (1 − m)·(1 + cos)/2 with
/// m = min_lr / lr.
public struct CosineAnnealing: ScheduleRule {
    public static let kinds = [
        ChoiceKind(name: "cosine", params: [
            .optional("t_max", .integer(.count), default: .contextual("train.epochs"), "epochs of the half cosine"),
            .optional("min_lr", .number(.nonNegative), default: .number(0), "the lr at the end (eta_min)"),
        ], doc: "min_lr + (lr − min_lr)·(1 + cos(π·epoch/t_max))/2, as CosineAnnealingLR"),
    ]
    public var tMax: Int
    public var minLR: Double
    public static func lower(_ c: SpecChoice, epochs: Int, hasValidation: Bool) -> CosineAnnealing {
        CosineAnnealing(tMax: c["t_max"]?.int ?? epochs, minLR: c["min_lr"]!.double!)
    }
    public var name: String { "cosine" }
    public func factor(epoch: Int, step: Int, totalSteps: Int, base: Double, plateau: Double) -> Double {
        let low = minLR / base
        return low + (1 - low) * (1 + cos(Double.pi * Double(epoch) / Double(tMax))) / 2
    }
    public var contextualDefaults: [(key: String, value: SpecValue.Content, note: String)] { [("t_max", .int(tMax), "train.epochs")] }
    public var python: String { "(\"cosine\", \(tMax), \(Python.number(minLR)))" }
    public static let pythonBranch = """
                if kind == "cosine":
                    low = s[2] / base
                    return low + (1 - low) * (1 + math.cos(math.pi * epoch / s[1])) / 2
        """
    public var fingerprint: String { "DNNCore.LRSchedule.cosine(tMax: \(tMax), minLR: \(minLR))" }
}
