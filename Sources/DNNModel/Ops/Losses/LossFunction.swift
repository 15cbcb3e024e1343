// A loss as one definition. Each loss (or family: mse and sse) is one type under Ops/Losses/ that
// carries its keys, how it reads them, what its targets are, the activation it applies itself, its
// value and gradient over a batch, the summary's words for it, its branch of the PyTorch program and
// the text checkpoints have always fingerprinted it by. `Ops.losses` is the one list.
//
// Predictions p (B, O) against targets t (B, T), where T is O, or 1 for class indices. Element-wise
// losses average over all B·O values (reduction mean) or add them (sum); cross_entropy and nll average
// over the B samples, as PyTorch.

import DNNSyntax

public enum Reduction: String, Sendable, Equatable {
    case mean, sum
}

/// What a loss compares its input with.
public enum LossTargets: Sendable, Equatable {
    /// Values in the targets' units (regression).
    case values
    /// 0 or 1 per output (binary labels).
    case binary
    /// Classes: one column of class indices, or one row of probabilities per sample.
    case classes
    /// Classes as one column of class indices only.
    case classIndices

    /// Whether they are classes, either way.
    public var areClasses: Bool { self == .classes || self == .classIndices }
}

public protocol LossFunction: Sendable {
    /// The kinds this type defines, as the language table lists them.
    static var kinds: [ChoiceKind] { get }
    /// The loss of a checked choice of one of its kinds.
    static func lower(_ choice: SpecChoice) -> Self
    /// The canonical kind name.
    var name: String { get }
    var reduction: Reduction { get }
    var targets: LossTargets { get }
    /// The activation the loss applies to its input itself, the probabilities it makes (an output
    /// activation that makes the same, its probabilityForm, is applied twice), and what to use instead
    /// with such an output.
    var appliesItself: (name: String, form: ProbabilityForm, instead: String)? { get }
    /// Its own settings as PyTorch names them (delta, beta, label_smoothing), for the summary and the
    /// PyTorch program; `shown` is false for a setting the summary leaves out at its value.
    var settings: [(key: String, value: Float, shown: Bool)] { get }
    /// The loss before the reduction divides it: the sum over the batch.
    func total(p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float
    /// dp = scale · ∂(total)/∂p, where scale is the reduction's 1 / divisor.
    func gradient(p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>,
                  B: Int, O: Int, T: Int, scale: Float)
    /// What the reduction divides the total by: 1 for sum; for mean B (the class losses, less the rows
    /// they ignore) or B·O (the others).
    func divisor(t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float
    /// Its branch of the PyTorch program's `loss_function(out, target)`: Python lines, indented 4
    /// spaces, returning the loss when `kind` is one of its names.
    static var pythonBranch: String { get }
    /// The text the model and training fingerprints of checkpoints have held for it since v1 (the
    /// loss enum's description then). It never changes, so checkpoints stay readable.
    var fingerprint: String { get }
}

extension LossFunction {
    /// The loss of the batch: the total divided as the reduction says (1 for sum, B for the class
    /// losses, B·O for the others).
    public func value(p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        total(p: p, t: t, B: B, O: O, T: T) / divisor(t: t, B: B, O: O, T: T)
    }

    /// dp = ∂(value)/∂p.
    public func gradient(p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int) {
        gradient(p: p, t: t, dp: dp, B: B, O: O, T: T, scale: 1 / divisor(t: t, B: B, O: O, T: T))
    }

    public func divisor(t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        guard reduction == .mean else { return 1 }
        return Float(targets.areClasses ? B : B * O)
    }

    public var targets: LossTargets { .values }
    public var appliesItself: (name: String, form: ProbabilityForm, instead: String)? { nil }
    public var settings: [(key: String, value: Float, shown: Bool)] { [] }

    /// `name(DNNCore.Reduction.mean)`, v1's enum text, with `labels` (`delta: 1.0, `) before the reduction.
    func fingerprint(_ labels: String = "") -> String { "\(fingerprintCaseName(name))(\(labels)DNNCore.Reduction.\(reduction.rawValue))" }
}

extension Language {
    static let reduction = Field.optional("reduction", .word(["mean", "sum"]), default: .word("mean"),
                                          "mean over the batch (and the outputs), or sum")
}

extension SpecChoice {
    /// The choice's `reduction` (mean when the kind has none).
    var reduction: Reduction { Reduction(rawValue: self["reduction"]?.string ?? "mean")! }
}

/// The model's loss: a value of one of the registered types.
public struct Loss: Sendable, Equatable, CustomStringConvertible {
    public let function: any LossFunction

    public init(_ function: any LossFunction) { self.function = function }

    /// The loss of a checked `train.loss` choice.
    package static func lower(_ choice: SpecChoice) -> Loss {
        guard let type = Ops.loss(named: choice.kind) else { preconditionFailure("loss \(choice.kind) is not registered") }
        return Loss(type.lower(choice))
    }

    public var name: String { function.name }
    public var reduction: Reduction { function.reduction }
    /// Whether the targets are classes: one column of class indices, or one-hot rows.
    public var isClassification: Bool { function.targets.areClasses }
    /// Whether the targets are 0 or 1 per output (binary labels).
    public var isBinary: Bool { function.targets == .binary }
    /// Whether targets `columns` wide are class indices, one per row (or one per position, `positions`
    /// of them): they are read as labels, never normalized, and compared with the predicted class.
    public func targetsAreIndices(columns: Int, positions: Int = 1) -> Bool { isClassification && (columns == 1 || columns == positions) }
    /// The target class index that counts for nothing, when the loss has one.
    public var ignoreIndex: Int? { (function as? any IgnoresIndex)?.ignoreIndex }
    /// Whether the loss takes logits and applies its own activation to them: an output that activation
    /// already went through gets it twice, and the outputs are scores, not values to compare with the
    /// targets.
    public var takesLogits: Bool { appliesItself != nil }
    public var appliesItself: (name: String, form: ProbabilityForm, instead: String)? { function.appliesItself }
    public var description: String { function.fingerprint }

    public static func == (a: Loss, b: Loss) -> Bool { a.description == b.description }

    /// The summary's words: `huber delta 1`, `mae (sum)`.
    public var summary: String {
        var s = name
        for setting in function.settings where setting.shown { s += " \(setting.key) \(Format.c("%g", Double(setting.value)))" }
        if reduction == .sum, function.fingerprint != "sse" { s += " (sum)" }
        return s
    }

    /// The PyTorch program's LOSS dictionary.
    public var python: String {
        let fields = ["\"kind\": \(Python.string(name))", "\"reduction\": \(Python.string(reduction.rawValue))"]
            + function.settings.map { "\"\($0.key)\": \(Python.number($0.value))" }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

extension Ops {
    /// The registry of losses, in the language table's order.
    public static let losses: [any LossFunction.Type] = [SquaredError.self, AbsoluteError.self, Huber.self, SmoothL1.self,
                                                        BinaryCrossEntropy.self, BinaryCrossEntropyWithLogits.self,
                                                        CrossEntropy.self, NegativeLogLikelihood.self]

    public static func loss(named name: String) -> (any LossFunction.Type)? {
        losses.first { type in type.kinds.contains { $0.name == name } }
    }
}
