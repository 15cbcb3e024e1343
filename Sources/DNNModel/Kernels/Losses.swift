// A batch's loss and its gradient, dispatched to the loss's type (Ops/Losses/), which holds the loops:
// predictions p (B, O) against targets t (B, T), where T is O, or 1 for class indices.

import DNNSyntax

public enum LossKernel {
    /// The loss of the batch.
    public static func forward(_ loss: Loss, p: UnsafePointer<Float>, t: UnsafePointer<Float>, B: Int, O: Int, T: Int) -> Float {
        loss.function.value(p: p, t: t, B: B, O: O, T: T)
    }

    /// dp = ∂L/∂p.
    public static func backward(_ loss: Loss, p: UnsafePointer<Float>, t: UnsafePointer<Float>,
                                dp: UnsafeMutablePointer<Float>, B: Int, O: Int, T: Int) {
        loss.function.gradient(p: p, t: t, dp: dp, B: B, O: O, T: T)
    }
}
