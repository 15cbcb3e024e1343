// adagrad: torch.optim.Adagrad's update, clr = lr / (1 + (step − 1)·lr_decay), with coupled weight decay.

import DNNSyntax

extension Optimizer.Kind {
    public static let adagrad = Optimizer.Kind("adagrad")
}

public enum Adagrad: OptimizerRule {
    public static let kinds = [
        ChoiceKind(name: "adagrad", params: [
            .optional("lr", .number(.positive), default: .number(0.01), "learning rate (PyTorch's default)"),
            .optional("lr_decay", .number(.nonNegative), default: .number(0), "lr / (1 + (step − 1)·lr_decay)"),
            .optional("eps", .number(.nonNegative), default: .number(1e-10), "added to the denominator"),
            Language.weightDecay(0),
        ], doc: "Adagrad with torch.optim.Adagrad's update rule"),
    ]

    public static func lower(_ c: SpecChoice, into o: inout Optimizer) {
        o.lrDecay = c["lr_decay"]!.double!
        o.eps = c["eps"]!.double!
    }

    public static func describe(_ o: Optimizer) -> String { "" }

    public static let plausibleLearningRates = 1e-6...1.0

    public static let pythonBranch = """
            if kind == "adagrad":
                return torch.optim.Adagrad(parameters, lr=spec["lr"], lr_decay=spec["lr_decay"], weight_decay=spec["weight_decay"], eps=spec["eps"])
        """

    /// state s1 = Σ g²; p -= clr · g / (√s1 + eps).
    public static func step(_ o: Optimizer, lr: Double, p: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>,
                            s1: UnsafeMutablePointer<Float>, s2: UnsafeMutablePointer<Float>, s3: UnsafeMutablePointer<Float>,
                            count n: Int, step t: Int) {
        coupledWeightDecay(o, p: p, g: g, count: n)
        let clr = Float(lr / (1 + Double(t - 1) * o.lrDecay)), eps = Float(o.eps)
        for i in 0..<n {
            s1[i] += g[i] * g[i]
            p[i] += -clr * (g[i] / (s1[i].squareRoot() + eps))
        }
    }
}
