// adam and adamw: torch.optim.Adam (weight decay added to the gradient) and torch.optim.AdamW (decoupled
// weight decay, p ·= 1 − lr·wd before the step), bias correction included.

import DNNSyntax

extension Optimizer.Kind {
    public static let adam = Optimizer.Kind("adam")
    public static let adamw = Optimizer.Kind("adamw")
}

public enum Adam: OptimizerRule {
    static func params(weightDecay value: Double) -> [Field] {
        [
            .optional("lr", .number(.positive), default: .number(0.001), "learning rate"),
            .optional("beta1", .number(.unitOpen), default: .number(0.9), "decay of the first moment"),
            .optional("beta2", .number(.unitOpen), default: .number(0.999), "decay of the second moment"),
            .optional("eps", .number(.nonNegative), default: .number(1e-8), "added to the denominator"),
            Language.weightDecay(value),
        ]
    }

    public static let kinds = [
        ChoiceKind(name: "adam", params: params(weightDecay: 0),
                   doc: "Adam with torch.optim.Adam's update rule, bias correction included; weight decay is added to the gradient"),
        ChoiceKind(name: "adamw", params: params(weightDecay: 0.01),
                   doc: "AdamW: Adam with decoupled weight decay, torch.optim.AdamW's update rule"),
    ]

    public static func lower(_ c: SpecChoice, into o: inout Optimizer) {
        o.beta1 = c["beta1"]!.double!
        o.beta2 = c["beta2"]!.double!
        o.eps = c["eps"]!.double!
    }

    public static func describe(_ o: Optimizer) -> String {
        " betas (\(Format.number(o.beta1)), \(Format.number(o.beta2))) eps \(Format.number(o.eps))"
    }

    public static let plausibleLearningRates = 1e-6...0.1

    public static let pythonBranch = """
            if kind == "adam":
                return torch.optim.Adam(parameters, lr=spec["lr"], betas=spec["betas"], eps=spec["eps"], weight_decay=spec["weight_decay"])
            if kind == "adamw":
                return torch.optim.AdamW(parameters, lr=spec["lr"], betas=spec["betas"], eps=spec["eps"], weight_decay=spec["weight_decay"])
        """

    public static func step(_ o: Optimizer, lr: Double, p: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>,
                            s1: UnsafeMutablePointer<Float>, s2: UnsafeMutablePointer<Float>, s3: UnsafeMutablePointer<Float>,
                            count n: Int, step t: Int) {
        if o.kind == .adamw {
            if o.weightDecay != 0 {
                let shrink = Float(1 - lr * o.weightDecay)
                for i in 0..<n { p[i] *= shrink }
            }
        } else {
            coupledWeightDecay(o, p: p, g: g, count: n)
        }
        OptimizerKernel.adam(p: p, g: g, m: s1, v: s2, count: n, lr: lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps, step: t)
    }
}
