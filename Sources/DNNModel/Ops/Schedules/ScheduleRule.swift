// A learning-rate schedule as one definition. Each schedule is one type under Ops/Schedules/ that
// carries its keys, how it reads them, the factor of the base rate it gives each batch (the base being
// the current phase's optimizer lr), what it watches after each epoch, its branch of the PyTorch
// program and the text checkpoints have always fingerprinted it by. `Ops.schedules` is the one list.
// A linear warmup multiplies the first batches' rate, whatever the schedule (LearningRate).

import DNNSyntax

public protocol ScheduleRule: Sendable {
    /// The kinds this type defines, as the language table lists them.
    static var kinds: [ChoiceKind] { get }
    /// The schedule of a checked choice; `epochs` and `hasValidation` for contextual defaults.
    static func lower(_ choice: SpecChoice, epochs: Int, hasValidation: Bool) -> Self
    /// Located errors where its settings contradict each other.
    static func check(_ choice: SpecChoice, _ bag: inout DiagnosticBag)
    var name: String { get }
    /// The factor of `base` (the optimizer's lr, which rates written in the schedule are relative to)
    /// at batch `step` (from 0, across epochs) of `epoch` (from 0) of a run of `totalSteps` batches;
    /// `plateau` is the factor reduce_on_plateau has reached (1 for the others).
    func factor(epoch: Int, step: Int, totalSteps: Int, base: Double, plateau: Double) -> Double
    /// What it watches after each epoch ("loss" or "val_loss"), or nil.
    var monitor: String? { get }
    /// Where a checked choice of it names what it watches, when it does.
    static func monitorRange(_ choice: SpecChoice) -> SourceRange?
    /// After an epoch whose monitored value is `value`: the plateau state's next value.
    func observe(_ value: Double, _ state: inout PlateauState, base: Double)
    /// The defaults it computed from context, as resolve shows them: (key, value, where it came from).
    var contextualDefaults: [(key: String, value: SpecValue.Content, note: String)] { get }
    /// Its tuple in the PyTorch program's SCHEDULE["learning_rate"]: `("step", 30, 0.1)`.
    var python: String { get }
    /// Its branch of the PyTorch program's `LearningRate.factor(epoch, step)`: Python lines, indented 8
    /// spaces, returning the factor when `s[0]` is its name.
    static var pythonBranch: String { get }
    /// Its text in the training fingerprint that checkpoints carry (v1's enum case, as it printed).
    var fingerprint: String { get }
}

extension ScheduleRule {
    public static func check(_ choice: SpecChoice, _ bag: inout DiagnosticBag) {}
    public var monitor: String? { nil }
    public static func monitorRange(_ choice: SpecChoice) -> SourceRange? { nil }
    public func observe(_ value: Double, _ state: inout PlateauState, base: Double) {}
    public var contextualDefaults: [(key: String, value: SpecValue.Content, note: String)] { [] }
}

/// ReduceLROnPlateau's state: the factor it has reached, the best value and the epochs since it.
public struct PlateauState: Sendable, Equatable {
    public var factor = 1.0
    public var best = Double.infinity
    public var badEpochs = 0

    package init() {}
}

/// The model's schedule: a value of one of the registered types.
public struct LRSchedule: Sendable, Equatable, CustomStringConvertible {
    public let rule: any ScheduleRule

    public init(_ rule: any ScheduleRule) { self.rule = rule }

    static func lower(_ choice: SpecChoice, epochs: Int, hasValidation: Bool) -> LRSchedule {
        guard let type = Ops.schedule(named: choice.kind) else { preconditionFailure("schedule \(choice.kind) is not registered") }
        return LRSchedule(type.lower(choice, epochs: epochs, hasValidation: hasValidation))
    }

    public static let constant = LRSchedule(ConstantRate())

    public var name: String { rule.name }
    public var monitor: String? { rule.monitor }
    public var description: String { rule.fingerprint }
    public static func == (a: LRSchedule, b: LRSchedule) -> Bool { a.description == b.description }
}

extension Ops {
    /// The registry of schedules, in the language table's order.
    public static let schedules: [any ScheduleRule.Type] = [ConstantRate.self, StepDecay.self, MultiStepDecay.self, ExponentialDecay.self,
                                                           CosineAnnealing.self, OneCycle.self, ReduceOnPlateau.self]

    public static func schedule(named name: String) -> (any ScheduleRule.Type)? {
        schedules.first { type in type.kinds.contains { $0.name == name } }
    }
}
