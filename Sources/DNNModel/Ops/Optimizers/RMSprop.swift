// rmsprop: torch.optim.RMSprop's update, centered or not, with momentum and coupled weight decay.

import DNNSyntax

extension Optimizer.Kind {
    public static let rmsprop = Optimizer.Kind("rmsprop")
}

public enum RMSprop: OptimizerRule {
    public static let kinds = [
        ChoiceKind(name: "rmsprop", params: [
            .optional("lr", .number(.positive), default: .number(0.01), "learning rate (PyTorch's default)"),
            .optional("alpha", .number(.unitOpen), default: .number(0.99), "decay of the squared-gradient average"),
            .optional("eps", .number(.nonNegative), default: .number(1e-8), "added to the denominator"),
            .optional("momentum", .number(.nonNegative), default: .number(0), "momentum factor"),
            .optional("centered", .boolean, default: .bool(false), "divide by the gradient's estimated standard deviation instead"),
            Language.weightDecay(0),
        ], doc: "RMSprop with torch.optim.RMSprop's update rule"),
    ]

    public static func lower(_ c: SpecChoice, into o: inout Optimizer) {
        o.alpha = c["alpha"]!.double!
        o.eps = c["eps"]!.double!
        o.momentum = c["momentum"]!.double!
        o.centered = c["centered"]!.bool!
    }

    public static func describe(_ o: Optimizer) -> String {
        " alpha \(Format.number(o.alpha))" + (o.momentum != 0 ? " momentum \(Format.number(o.momentum))" : "") + (o.centered ? " centered" : "")
    }

    public static let plausibleLearningRates = 1e-6...0.1

    public static let pythonBranch = """
            if kind == "rmsprop":
                return torch.optim.RMSprop(parameters, lr=spec["lr"], alpha=spec["alpha"], eps=spec["eps"], weight_decay=spec["weight_decay"],
                                           momentum=spec["momentum"], centered=spec["centered"])
        """

    public static func step(_ o: Optimizer, lr: Double, p: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>,
                            s1: UnsafeMutablePointer<Float>, s2: UnsafeMutablePointer<Float>, s3: UnsafeMutablePointer<Float>,
                            count n: Int, step t: Int) {
        coupledWeightDecay(o, p: p, g: g, count: n)
        OptimizerKernel.rmsprop(p: p, g: g, squareAverage: s1, gradientAverage: s2, buf: s3, count: n, lr: lr, alpha: o.alpha,
                                eps: o.eps, momentum: o.momentum, centered: o.centered)
    }
}
