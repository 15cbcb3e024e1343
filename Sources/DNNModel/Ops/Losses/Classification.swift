// The losses over probabilities: binary cross-entropy on probabilities (bce) and on logits
// (bce_with_logits), whose targets are 0 or 1 per output, and the class losses, softmax cross-entropy
// on logits and the negative log-likelihood on log-probabilities, whose targets are classes.

import Foundation
import DNNSyntax

/// −(t·log p + (1 − t)·log(1 − p)), the logs clamped at −100.
public struct BinaryCrossEntropy: LossFunction {
    public static let kinds = [
        ChoiceKind(name: "bce", params: [Language.reduction],
                   doc: "−(t·log p + (1 − t)·log(1 − p)) on probabilities p, the logs clamped at −100 as PyTorch's BCELoss"),
    ]

    public let reduction: Reduction
    public init(_ reduction: Reduction) { self.reduction = reduction }
    public static func lower(_ c: SpecChoice) -> BinaryCrossEntropy { BinaryCrossEntropy(c.reduction) }

    public var name: String { "bce" }
    public var targets: LossTargets { .binary }
    public var fingerprint: String { fingerprint() }

    public func total(p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        var sum: Float = 0
        for i in 0 ..< B * O {
            let logP = max(Foundation.log(p[i]), -100), log1mP = max(Foundation.log(1 - p[i]), -100)
            sum -= t[i] * logP + (1 - t[i]) * log1mP
        }
        return sum
    }

    /// PyTorch's binary_cross_entropy_backward: (p − t) / max((1 − p)·p, 1e-12).
    public func gradient(p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int, scale: Float) {
        for i in 0 ..< B * O { dp[i] = (p[i] - t[i]) / max((1 - p[i]) * p[i], 1e-12) * scale }
    }

    public static let pythonBranch = """
            if kind == "bce":
                return F.binary_cross_entropy(out, target, reduction=reduction)
        """
}

/// bce of sigmoid(x), as max(x, 0) − x·t + log(1 + e^−|x|).
public struct BinaryCrossEntropyWithLogits: LossFunction {
    public static let kinds = [
        ChoiceKind(name: "bce_with_logits", params: [Language.reduction],
                   doc: "bce of sigmoid(logits), computed stably as PyTorch's BCEWithLogitsLoss"),
    ]

    public let reduction: Reduction
    public init(_ reduction: Reduction) { self.reduction = reduction }
    public static func lower(_ c: SpecChoice) -> BinaryCrossEntropyWithLogits { BinaryCrossEntropyWithLogits(c.reduction) }

    public var name: String { "bce_with_logits" }
    public var targets: LossTargets { .binary }
    public var appliesItself: (name: String, form: ProbabilityForm, instead: String)? { ("sigmoid", .perOutput, "bce") }
    public var fingerprint: String { fingerprint() }

    public func total(p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        var sum: Float = 0
        for i in 0 ..< B * O {
            let x = p[i]
            sum += max(x, 0) - x * t[i] + log1p(exp(-abs(x)))
        }
        return sum
    }

    public func gradient(p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int, scale: Float) {
        for i in 0 ..< B * O { dp[i] = (sigmoid(p[i]) - t[i]) * scale }
    }

    public static let pythonBranch = """
            if kind == "bce_with_logits":
                return F.binary_cross_entropy_with_logits(out, target, reduction=reduction)
        """
}

/// Softmax cross-entropy on logits, against class indices (T = 1) or probability rows, the targets mixed
/// with the uniform distribution by the label smoothing. A row whose class index is the ignore_index
/// adds nothing and gets no gradient, and the mean is over the other rows, as PyTorch's.
public struct CrossEntropy: LossFunction {
    public static let kinds = [
        ChoiceKind(name: "cross_entropy", params: [
            .optional("label_smoothing", .number(Bounds(min: 0, max: 1)), default: .number(0), "mixes the targets with the uniform distribution, as PyTorch's"),
            Language.reduction, Language.ignoreIndex,
        ], doc: "softmax cross-entropy on logits; targets are class indices (one column, or one per position of an [L, classes] output) or one row of probabilities per sample"),
    ]

    public let labelSmoothing: Float
    public let reduction: Reduction
    public let ignoreIndex: Int?
    public init(labelSmoothing: Float, _ reduction: Reduction, ignoreIndex: Int? = nil) {
        self.labelSmoothing = labelSmoothing
        self.reduction = reduction
        self.ignoreIndex = ignoreIndex
    }
    public static func lower(_ c: SpecChoice) -> CrossEntropy {
        CrossEntropy(labelSmoothing: Float(c["label_smoothing"]!.double!), c.reduction, ignoreIndex: c.ignoreIndex)
    }

    public var name: String { "cross_entropy" }
    public var targets: LossTargets { .classes }
    public var appliesItself: (name: String, form: ProbabilityForm, instead: String)? { ("log_softmax", .overClasses, "log_softmax with nll") }
    public var settings: [(key: String, value: Float, shown: Bool)] {
        [("label_smoothing", labelSmoothing, labelSmoothing > 0)] + ignoreSetting
    }
    public var fingerprint: String { fingerprint("labelSmoothing: \(labelSmoothing), ") + ignoreFingerprint }

    public func total(p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        var sum: Float = 0
        for r in 0 ..< B where !ignores(t, r, T: T) {
            let row = p + r * O
            let logSum = Self.logSumExp(row, O)
            for k in 0 ..< O {
                let q = target(t, r, k, O: O, T: T)
                if q != 0 { sum -= q * (row[k] - logSum) }
            }
        }
        return sum
    }

    public func gradient(p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int, scale: Float) {
        for r in 0 ..< B {
            guard !ignores(t, r, T: T) else { for k in 0 ..< O { dp[r * O + k] = 0 }; continue }
            let row = p + r * O
            let logSum = Self.logSumExp(row, O)
            for k in 0 ..< O { dp[r * O + k] = (exp(row[k] - logSum) - target(t, r, k, O: O, T: T)) * scale }
        }
    }

    /// Row r's target probability of class k: one-hot from an index (T = 1) or the given row, mixed
    /// with the uniform distribution by the label smoothing.
    @inline(__always)
    func target(_ t: UnsafePointer<Float>, _ r: Int, _ k: Int, O: Int, T: Int) -> Float {
        let q: Float = T == 1 ? (Int(t[r]) == k ? 1 : 0) : t[r * O + k]
        return q * (1 - labelSmoothing) + labelSmoothing / Float(O)
    }

    static func logSumExp(_ row: UnsafePointer<Float>, _ count: Int) -> Float {
        var top = -Float.infinity
        for k in 0 ..< count { top = max(top, row[k]) }
        var sum: Float = 0
        for k in 0 ..< count { sum += exp(row[k] - top) }
        return top + Foundation.log(sum)
    }

    public static let pythonBranch = """
            if kind == "cross_entropy":
                if out.dim() == 3:  # [N, L, classes] against [N, L]: every position
                    out, target = out.reshape(-1, out.shape[-1]), target.reshape(-1, 1)
                target = target[:, 0].long() if target.shape[1] == 1 else target
                return F.cross_entropy(out, target, reduction=reduction, label_smoothing=LOSS["label_smoothing"],
                                       ignore_index=int(LOSS.get("ignore_index", -100)))
        """
}

/// −log p of the target class, on log-probabilities.
public struct NegativeLogLikelihood: LossFunction {
    public static let kinds = [
        ChoiceKind(name: "nll", params: [Language.reduction, Language.ignoreIndex],
                   doc: "negative log-likelihood on log-probabilities (after log_softmax); targets are class indices"),
    ]

    public let reduction: Reduction
    public let ignoreIndex: Int?
    public init(_ reduction: Reduction, ignoreIndex: Int? = nil) { self.reduction = reduction; self.ignoreIndex = ignoreIndex }
    public static func lower(_ c: SpecChoice) -> NegativeLogLikelihood { NegativeLogLikelihood(c.reduction, ignoreIndex: c.ignoreIndex) }

    public var name: String { "nll" }
    public var targets: LossTargets { .classIndices }
    public var settings: [(key: String, value: Float, shown: Bool)] { ignoreSetting }
    public var fingerprint: String { fingerprint() + ignoreFingerprint }

    public func total(p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        var sum: Float = 0
        for r in 0 ..< B where !ignores(t, r, T: T) { sum -= p[r * O + Int(t[r])] }
        return sum
    }

    public func gradient(p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int, scale: Float) {
        for i in 0 ..< B * O { dp[i] = 0 }
        for r in 0 ..< B where !ignores(t, r, T: T) { dp[r * O + Int(t[r])] = -scale }
    }

    public static let pythonBranch = """
            if kind == "nll":
                if out.dim() == 3:  # [N, L, classes] against [N, L]: every position
                    out, target = out.reshape(-1, out.shape[-1]), target.reshape(-1, 1)
                return F.nll_loss(out, target[:, 0].long(), reduction=reduction, ignore_index=int(LOSS.get("ignore_index", -100)))
        """
}

/// The class losses' `ignore_index`: a target class whose rows count for nothing.
protocol IgnoresIndex: LossFunction {
    var ignoreIndex: Int? { get }
}

extension IgnoresIndex {
    /// Whether row r's target is the ignored class index (only class indices, T = 1, can be).
    @inline(__always)
    func ignores(_ t: UnsafePointer<Float>, _ r: Int, T: Int) -> Bool {
        guard let ignoreIndex, T == 1 else { return false }
        return Int(t[r]) == ignoreIndex
    }

    /// The mean is over the rows not ignored (none: the loss and its gradient are 0, where PyTorch's is nan).
    public func divisor(t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        guard reduction == .mean else { return 1 }
        var counted = 0
        for r in 0 ..< B where !ignores(t, r, T: T) { counted += 1 }
        return Float(max(counted, 1))
    }

    var ignoreSetting: [(key: String, value: Float, shown: Bool)] { ignoreIndex.map { [("ignore_index", Float($0), true)] } ?? [] }
    /// Nothing when there is none, so that v1's fingerprints stay.
    var ignoreFingerprint: String { ignoreIndex.map { " ignore_index \($0)" } ?? "" }
}

extension CrossEntropy: IgnoresIndex {}
extension NegativeLogLikelihood: IgnoresIndex {}

extension Language {
    static let ignoreIndex = Field.optional("ignore_index", .integer(Bounds(min: -16_777_216, max: 16_777_216)), default: .off("none"),
                                            "a target class index that counts for nothing (padding), as PyTorch's; the mean is over the other targets")
}

extension SpecChoice {
    /// The choice's `ignore_index`, when it sets one.
    var ignoreIndex: Int? { self["ignore_index"]?.int }
}

extension Loss {
    public static func bce(_ reduction: Reduction) -> Loss { Loss(BinaryCrossEntropy(reduction)) }
    public static func bceWithLogits(_ reduction: Reduction) -> Loss { Loss(BinaryCrossEntropyWithLogits(reduction)) }
    public static func crossEntropy(labelSmoothing: Float, _ reduction: Reduction) -> Loss {
        Loss(CrossEntropy(labelSmoothing: labelSmoothing, reduction))
    }
    public static func nll(_ reduction: Reduction) -> Loss { Loss(NegativeLogLikelihood(reduction)) }
}
