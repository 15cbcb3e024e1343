// sgd: torch.optim.SGD's update, with momentum, dampening, nesterov and coupled weight decay.

import DNNSyntax

extension Optimizer.Kind {
    public static let sgd = Optimizer.Kind("sgd")
}

public enum SGD: OptimizerRule {
    public static let kinds = [
        ChoiceKind(name: "sgd", params: [
            .required("lr", .number(.positive), "learning rate"),
            .optional("momentum", .number(.nonNegative), default: .number(0), "momentum factor"),
            .optional("dampening", .number(Bounds(min: 0, max: 1)), default: .number(0), "dampening of the momentum"),
            .optional("nesterov", .boolean, default: .bool(false), "Nesterov momentum (needs momentum > 0 and no dampening)"),
            Language.weightDecay(0),
        ], doc: "stochastic gradient descent with torch.optim.SGD's update rule"),
    ]

    public static func lower(_ c: SpecChoice, into o: inout Optimizer) {
        o.momentum = c["momentum"]!.double!
        o.dampening = c["dampening"]!.double!
        o.nesterov = c["nesterov"]!.bool!
    }

    public static func check(_ o: Optimizer, _ choice: SpecChoice, _ bag: inout DiagnosticBag) {
        if o.nesterov && (o.momentum == 0 || o.dampening != 0) {
            bag.error(.invalidOptimizer, "nesterov momentum needs momentum > 0 and no dampening", at: choice["nesterov"]!.range,
                      help: "set `momentum:` (e.g. 0.9) and leave `dampening` at 0, or drop `nesterov: true`")
        }
    }

    public static func describe(_ o: Optimizer) -> String {
        o.momentum != 0 ? " momentum \(Format.number(o.momentum))" + (o.nesterov ? " nesterov" : "") : ""
    }

    public static let plausibleLearningRates = 1e-6...1.0

    public static let pythonBranch = """
            if kind == "sgd":
                return torch.optim.SGD(parameters, lr=spec["lr"], momentum=spec["momentum"], dampening=spec["dampening"],
                                       nesterov=spec["nesterov"], weight_decay=spec["weight_decay"])
        """

    public static func step(_ o: Optimizer, lr: Double, p: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>,
                            s1: UnsafeMutablePointer<Float>, s2: UnsafeMutablePointer<Float>, s3: UnsafeMutablePointer<Float>,
                            count n: Int, step t: Int) {
        coupledWeightDecay(o, p: p, g: g, count: n)
        OptimizerKernel.sgd(p: p, g: g, buf: s1, count: n, lr: lr, momentum: o.momentum, dampening: o.dampening,
                            nesterov: o.nesterov, firstStep: t == 1)
    }
}
