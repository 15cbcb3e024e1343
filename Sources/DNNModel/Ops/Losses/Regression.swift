// The regression losses, on values in the targets' units: squared error (mse, and v1's sse), absolute
// error (mae), and the two that turn from quadratic to linear (huber, smooth_l1), as PyTorch defines them.

import Foundation
import DNNSyntax

/// (p − t)²: mse, or sse (mse with reduction sum, under v1's name).
public struct SquaredError: LossFunction {
    public static let kinds = [
        ChoiceKind(name: "mse", params: [Language.reduction], doc: "(prediction − target)², averaged over the batch and the outputs"),
        ChoiceKind(name: "sse", doc: "sum of (prediction − target)² over the batch and the outputs (mse with reduction sum)"),
    ]

    public let reduction: Reduction
    /// Written as sse.
    public let isSSE: Bool

    public init(_ reduction: Reduction) { self.reduction = reduction; isSSE = false }
    private init(sse: ()) { reduction = .sum; isSSE = true }
    public static let sse = SquaredError(sse: ())

    public static func lower(_ c: SpecChoice) -> SquaredError { c.kind == "sse" ? .sse : SquaredError(c.reduction) }

    public var name: String { isSSE ? "sse" : "mse" }
    public var fingerprint: String { isSSE ? "sse" : fingerprint() }

    public func total(p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        var sum: Float = 0
        for i in 0 ..< B * O { let d = p[i] - t[i]; sum += d * d }
        return sum
    }

    public func gradient(p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int, scale: Float) {
        for i in 0 ..< B * O { dp[i] = 2 * (p[i] - t[i]) * scale }
    }

    public static let pythonBranch = """
            if kind == "sse":
                return F.mse_loss(out, target, reduction="sum")
            if kind == "mse":
                return F.mse_loss(out, target, reduction=reduction)
        """
}

/// |p − t|.
public struct AbsoluteError: LossFunction {
    public static let kinds = [
        ChoiceKind(name: "mae", params: [Language.reduction], doc: "|prediction − target|, averaged over the batch and the outputs"),
    ]

    public let reduction: Reduction
    public init(_ reduction: Reduction) { self.reduction = reduction }
    public static func lower(_ c: SpecChoice) -> AbsoluteError { AbsoluteError(c.reduction) }

    public var name: String { "mae" }
    public var fingerprint: String { fingerprint() }

    public func total(p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        var sum: Float = 0
        for i in 0 ..< B * O { sum += abs(p[i] - t[i]) }
        return sum
    }

    /// The sign of 0 is 0, as torch.sign gives.
    public func gradient(p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int, scale: Float) {
        for i in 0 ..< B * O { let d = p[i] - t[i]; dp[i] = (d > 0 ? 1 : d < 0 ? -1 : 0) * scale }
    }

    public static let pythonBranch = """
            if kind == "mae":
                return F.l1_loss(out, target, reduction=reduction)
        """
}

/// 0.5·d² where |d| < delta, delta·(|d| − 0.5·delta) elsewhere.
public struct Huber: LossFunction {
    public static let kinds = [
        ChoiceKind(name: "huber", params: [
            .optional("delta", .number(.positive), default: .number(1.0), "where the loss turns from quadratic to linear"),
            Language.reduction,
        ], doc: "0.5·d² where |d| < delta, delta·(|d| − 0.5·delta) elsewhere (PyTorch's HuberLoss)"),
    ]

    public let delta: Float
    public let reduction: Reduction
    public init(delta: Float, _ reduction: Reduction) { self.delta = delta; self.reduction = reduction }
    public static func lower(_ c: SpecChoice) -> Huber { Huber(delta: Float(c["delta"]!.double!), c.reduction) }

    public var name: String { "huber" }
    public var settings: [(key: String, value: Float, shown: Bool)] { [("delta", delta, true)] }
    public var fingerprint: String { fingerprint("delta: \(delta), ") }

    public func total(p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        var sum: Float = 0
        for i in 0 ..< B * O {
            let d = abs(p[i] - t[i])
            sum += d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta)
        }
        return sum
    }

    public func gradient(p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int, scale: Float) {
        for i in 0 ..< B * O { let d = p[i] - t[i]; dp[i] = (abs(d) < delta ? d : (d > 0 ? delta : -delta)) * scale }
    }

    public static let pythonBranch = """
            if kind == "huber":
                return F.huber_loss(out, target, reduction=reduction, delta=LOSS["delta"])
        """
}

/// 0.5·d²/beta where |d| < beta, |d| − 0.5·beta elsewhere.
public struct SmoothL1: LossFunction {
    public static let kinds = [
        ChoiceKind(name: "smooth_l1", params: [
            .optional("beta", .number(.positive), default: .number(1.0), "where the loss turns from quadratic to linear"),
            Language.reduction,
        ], doc: "0.5·d²/beta where |d| < beta, |d| − 0.5·beta elsewhere (PyTorch's SmoothL1Loss)"),
    ]

    public let beta: Float
    public let reduction: Reduction
    public init(beta: Float, _ reduction: Reduction) { self.beta = beta; self.reduction = reduction }
    public static func lower(_ c: SpecChoice) -> SmoothL1 { SmoothL1(beta: Float(c["beta"]!.double!), c.reduction) }

    public var name: String { "smooth_l1" }
    public var settings: [(key: String, value: Float, shown: Bool)] { [("beta", beta, true)] }
    public var fingerprint: String { fingerprint("beta: \(beta), ") }

    public func total(p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        var sum: Float = 0
        for i in 0 ..< B * O {
            let d = abs(p[i] - t[i])
            sum += d < beta ? 0.5 * d * d / beta : d - 0.5 * beta
        }
        return sum
    }

    public func gradient(p: UnsafePointer<Float>, t: UnsafePointer<Float>, dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int, scale: Float) {
        for i in 0 ..< B * O { let d = p[i] - t[i]; dp[i] = (abs(d) < beta ? d / beta : (d > 0 ? 1 : -1)) * scale }
    }

    public static let pythonBranch = """
            if kind == "smooth_l1":
                return F.smooth_l1_loss(out, target, reduction=reduction, beta=LOSS["beta"])
        """
}

extension Loss {
    public static func mse(_ reduction: Reduction) -> Loss { Loss(SquaredError(reduction)) }
    public static let sse = Loss(SquaredError.sse)
    public static func mae(_ reduction: Reduction) -> Loss { Loss(AbsoluteError(reduction)) }
    public static func huber(delta: Float, _ reduction: Reduction) -> Loss { Loss(Huber(delta: delta, reduction)) }
    public static func smoothL1(beta: Float, _ reduction: Reduction) -> Loss { Loss(SmoothL1(beta: beta, reduction)) }
}
