// Losses over a batch of predictions p and targets t, both (B,O): the value, and ∂L/∂p.
// mse, mae and huber take the mean over all B·O elements; sse takes the sum.

public enum LossKernel {
    public static func forward(_ loss: Loss, p: UnsafePointer<Float>, t: UnsafePointer<Float>, count n: Int) -> Float {
        var sum: Float = 0
        switch loss {
        case .mse, .sse:
            for i in 0..<n { let d = p[i] - t[i]; sum += d * d }
        case .mae:
            for i in 0..<n { sum += abs(p[i] - t[i]) }
        case .huber(let delta):
            for i in 0..<n {
                let d = abs(p[i] - t[i])
                sum += d < delta ? 0.5 * d * d : delta * (d - 0.5 * delta)
            }
        }
        return loss == .sse ? sum : sum / Float(n)
    }

    /// dp = ∂L/∂p.  The sign of 0 is 0 for mae, as torch.sign gives.
    public static func backward(_ loss: Loss, p: UnsafePointer<Float>, t: UnsafePointer<Float>,
                                dp: UnsafeMutablePointer<Float>, count n: Int) {
        let scale: Float = loss == .sse ? 1 : 1 / Float(n)
        switch loss {
        case .mse, .sse:
            for i in 0..<n { dp[i] = 2 * (p[i] - t[i]) * scale }
        case .mae:
            for i in 0..<n {
                let d = p[i] - t[i]
                dp[i] = (d > 0 ? 1 : d < 0 ? -1 : 0) * scale
            }
        case .huber(let delta):
            for i in 0..<n {
                let d = p[i] - t[i]
                dp[i] = (abs(d) < delta ? d : (d > 0 ? delta : -delta)) * scale
            }
        }
    }
}
