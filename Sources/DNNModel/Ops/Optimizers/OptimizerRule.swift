// An optimizer as one definition. Each optimizer (or family: adam and adamw) is one type under
// Ops/Optimizers/ that carries its keys, how it reads them into the hyperparameter record (Optimizer,
// PyTorch's param group), its checks, its update rule (calling Kernels/Optimizers.swift's loops), how
// the summary describes it and the learning rates lint finds plausible. `Ops.optimizers` is the one
// list; an Optimizer's `kind` names its rule.

import DNNSyntax

public protocol OptimizerRule: Sendable {
    /// The kinds this type defines, as the language table lists them.
    static var kinds: [ChoiceKind] { get }
    /// Reads a checked choice's keys (lr and weight_decay are read for every rule).
    static func lower(_ choice: SpecChoice, into optimizer: inout Optimizer)
    /// A located error when the hyperparameters contradict each other, or nil.
    static func check(_ optimizer: Optimizer, _ choice: SpecChoice, _ bag: inout DiagnosticBag)
    /// The summary's words after `name lr X`: "momentum 0.9 nesterov", "betas (0.9, 0.999) eps 1e-08".
    static func describe(_ optimizer: Optimizer) -> String
    /// The learning rates practitioners use with it; outside them, W0450.
    static var plausibleLearningRates: ClosedRange<Double> { get }
    /// Its branch of the PyTorch program's `make_optimizer(spec, parameters)`: Python lines, indented 4
    /// spaces, returning its torch.optim optimizer when `kind` is one of its names.
    static var pythonBranch: String { get }
    /// One update with the gradient already clipped and `lr` the scheduled rate: p, g and the state
    /// buffers s1, s2, s3 are flat over the n learnable values; `step` counts from 1. It must be
    /// elementwise (value i reads and writes index i only): the interpreter calls it on blocks of the
    /// values, on several threads at once.
    static func step(_ optimizer: Optimizer, lr: Double, p: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>,
                     s1: UnsafeMutablePointer<Float>, s2: UnsafeMutablePointer<Float>, s3: UnsafeMutablePointer<Float>,
                     count n: Int, step t: Int)
}

extension OptimizerRule {
    public static func check(_ optimizer: Optimizer, _ choice: SpecChoice, _ bag: inout DiagnosticBag) {}

    /// Coupled weight decay, g += wd·p, as every optimizer but adamw applies it.
    static func coupledWeightDecay(_ optimizer: Optimizer, p: UnsafePointer<Float>, g: UnsafeMutablePointer<Float>, count n: Int) {
        let wd = Float(optimizer.weightDecay)
        if wd != 0 { for i in 0..<n { g[i] += wd * p[i] } }
    }
}

extension Ops {
    /// The registry of optimizers, in the language table's order.
    public static let optimizers: [any OptimizerRule.Type] = [SGD.self, Adam.self, RMSprop.self, Adagrad.self]

    public static func optimizer(named name: String) -> (any OptimizerRule.Type)? {
        optimizers.first { type in type.kinds.contains { $0.name == name } }
    }
}
