// What the trainer watches while it trains: dead units, gradient health and non-finite values, and the
// plain-words diagnosis when a run cannot go on. The trainer gathers the facts (Trainer.swift); this
// file holds their types, the rules that judge them, and the words.

import DNNSyntax
import DNNModel
import DNNCheckpoint

/// One layer at a logged epoch: dead units over the training set, and its gradients over the epoch.
public struct LayerHealth: Sendable, Equatable {
    public var name: String
    public var units: Int
    public var dead: Int
    /// Root mean square over the epoch's steps of the L2 norm of the layer's gradient.
    public var gradientNorm: Double
    /// The L2 norm of the layer's parameters at the end of the epoch.
    public var weightNorm: Double
    /// Mean over the epoch's steps of ‖Δθ‖ / ‖θ‖ for the layer's parameters.
    public var updateRatio: Double
    /// Its parts that did the same for every training sample (saturated gates, collapsed heads).
    public var stuck: [StuckPart] = []

    /// Gradients vanish when they are below this fraction of the weights (and not exactly 0, which
    /// the dead-unit diagnosis explains).
    public static let vanishingRatio = 1e-7
    /// Gradients explode when one step moves the layer by more than its own size.
    public static let explodingUpdateRatio = 1.0

    /// Below this fraction of the first logged epoch's cost, a loss counts as converged.
    public static let convergedFraction = 1e-3

    /// Gradients vanish when they are below `vanishingRatio` of the weights' norm while the loss still
    /// has something to learn: at least `convergedFraction` of the first logged cost is left. Near a
    /// loss of 0 small gradients are what convergence looks like (the study's converging run ends at a
    /// cost of 7e-14), so a converged run never warns; exactly 0 is a dead network, which the
    /// diagnosis explains.
    public func vanishes(cost: Double, firstCost: Double) -> Bool {
        gradientNorm > 0 && gradientNorm < Self.vanishingRatio * weightNorm && cost > Self.convergedFraction * firstCost
    }
    public var explodes: Bool { updateRatio > Self.explodingUpdateRatio }
}

/// The first non-finite value of a run, with where it came from.
public struct Fault: Sendable, Equatable {
    /// The op that produced it: "dense", "relu", "mse loss", "backward", "sgd update".
    public var op: String
    /// The layer, or nil for the loss.
    public var layer: String?
    public var epoch: Int
    /// The optimizer step (from 1) during which it appeared.
    public var step: Int
    /// The value ranges of the op's inputs, by name: ("input", -3.2e38, 4.1e38).
    public var inputs: [(name: String, low: Float, high: Float)]

    public static func == (a: Fault, b: Fault) -> Bool {
        a.op == b.op && a.layer == b.layer && a.epoch == b.epoch && a.step == b.step
            && a.inputs.map(\.name) == b.inputs.map(\.name)
            && a.inputs.map(\.low) == b.inputs.map(\.low) && a.inputs.map(\.high) == b.inputs.map(\.high)
    }

    /// "the first non-finite value came from dense in layer fc1 at epoch 3, step 14; its inputs: ..."
    public var description: String {
        let place = layer.map { "\(op) in layer `\($0)`" } ?? op
        let ranges = inputs.map { "\($0.name) in [\(Format.c("%.4g", Double($0.low))), \(Format.c("%.4g", Double($0.high)))]" }
        return "the first non-finite value came from \(place) at epoch \(epoch), step \(step)"
            + (ranges.isEmpty ? "" : "; its inputs: " + ranges.joined(separator: ", "))
    }
}

/// Why a run that can no longer change stopped.
public struct DeadRun: Sendable, Equatable {
    /// The layer that blocks every gradient: the output layer, or the last wholly dead layer.
    public var layer: String
    public var activation: Activation
    public var isOutput: Bool
    /// The first epoch of the stretch in which nothing received a gradient.
    public var since: Int
    /// The epoch after which the run stopped.
    public var stoppedAfter: Int
    public var cost: Double
    /// Whether the targets are normalized, so that a dead relu output predicts their mean, not 0.
    public var targetsNormalized: Bool

    /// The diagnosis in plain words, then what helps.
    public var explanation: String {
        let why = activation.function.deathReason ?? "no gradient reaches it"
        let what = isOutput ? "the output layer `\(layer)` is dead" : "layer `\(layer)` is dead in every unit"
        var text = "training stopped after epoch \(stoppedAfter): \(what) since epoch \(since)\n"
        text += "  why: \(why); no parameter "
        text += isOutput ? "receives a gradient" : "before it receives a gradient"
        text += ", so nothing can change and the cost stays at \(Format.c("%.6g", cost))"
        if isOutput {
            text += activation.function.diesToZero && !targetsNormalized ? " (every prediction is 0)" : " (every prediction is the same)"
        }
        text += "\n"
        text += "  help: use identity, leaky_relu or prelu on `\(layer)`, which pass a gradient for negative inputs; "
        text += "or start elsewhere (another initializer or seed); or lower the learning rate if it died during training\n"
        text += "  note: --keep-going trains on regardless"
        return text
    }
}

/// How a run ended.
public enum RunEnd: Sendable, Equatable {
    /// Every epoch of the schedule ran.
    case completed
    /// Nothing could change any more: the diagnosis says why.
    case dead(DeadRun)
    /// The cost reached exactly 0 and no gradient remained: nothing left to learn.
    case exact(epoch: Int)
    /// A value became infinite or NaN.
    case nonFinite(Fault)
    /// Early stopping: the monitored loss stopped improving; the best epoch's parameters are restored
    /// when the spec asks.
    case earlyStopped(bestEpoch: Int)
    /// Asked to stop (a signal): the step under way finished, the epoch did not.
    case interrupted(epoch: Int, step: Int)
    /// A streamed set's file could not be read or decoded (it changed after the run started).
    case unreadableData(String)
}

public struct TrainingOptions: Sendable {
    /// Stop when no parameter can change any more (a dead network), with a diagnosis.
    public var stopWhenDead: Bool
    /// Gather per-layer health (dead units, gradient norms, update ratios) at logged epochs.
    public var watchHealth: Bool

    /// Asked after every step; true ends the run after that step (SIGINT, SIGTERM).
    public var stopRequested: (@Sendable () -> Bool)?

    /// `train`'s checkpoint closure is called after every `checkpointEvery`-th epoch (counted from 1)
    /// that the run goes on from or ends with normally.
    public var checkpointEvery: Int?

    public init(stopWhenDead: Bool = false, watchHealth: Bool = false, stopRequested: (@Sendable () -> Bool)? = nil,
                checkpointEvery: Int? = nil) {
        self.stopWhenDead = stopWhenDead
        self.watchHealth = watchHealth
        self.stopRequested = stopRequested
        self.checkpointEvery = checkpointEvery
    }
}

public struct TrainingResult: Sendable {
    public var end: RunEnd
    /// The cost of every epoch that ran, epoch 0 first.
    public var costs: [Double]
    /// The validation loss at each epoch that evaluated it.
    public var validationLosses: [(epoch: Int, loss: Double)] = []
    /// The parameters and running statistics of the evaluation with the lowest validation loss, and
    /// its epoch (when there was validation data).
    public var best: (epoch: Int, parameters: [Float], statistics: [Float])? = nil
    /// Dead units per layer after the last epoch, over the training set.
    public var deadAtEnd: [LayerHealth]
    /// The parameters after the last epoch whose values were all finite (the initial ones before epoch 0).
    public var lastFiniteParameters: [Float]
    /// The epoch whose parameters those are (−1: the initial ones).
    public var lastFiniteEpoch: Int

    /// The epoch with the lowest cost (the first, on ties).
    public var bestEpoch: Int {
        costs.indices.min { costs[$0] < costs[$1] || (costs[$0] == costs[$1] && $0 < $1) } ?? 0
    }

    /// Whether every unit of the output layer is dead at the end.
    public var outputDead: Bool { deadAtEnd.last.map { $0.dead == $0.units && $0.units > 0 } ?? false }
}
