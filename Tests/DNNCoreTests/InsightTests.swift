// What the trainer watches: dead units (and the early stop with a diagnosis), non-finite values blamed
// on their op, gradient health; and sweeps over seeds and varied values.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

func studyModel(_ path: String, _ sets: [String] = []) throws -> ModelIR {
    let result = try Compiler.compile(try Repo.file(path), overrides: sets.map { try Override($0) })
    return try #require(result.model, "\(path) should compile")
}

struct InsightTests {
    @Test func theDeadOutputOfTheStudyIsDiagnosedAndStoppedEarly() throws {
        let trainer = Trainer(model: try studyModel("specs/seed/relu-dead.yaml"))
        var logs: [EpochLog] = []
        let result = trainer.train(TrainingOptions(stopWhenDead: true, watchHealth: true)) { logs.append($0) }
        guard case .dead(let diagnosis) = result.end else {
            Issue.record("expected a dead run, got \(result.end)")
            return
        }
        #expect(diagnosis.layer == "fc3" && diagnosis.isOutput)
        #expect(diagnosis.since == 0 && diagnosis.stoppedAfter == 0)
        #expect(Float(diagnosis.cost) == 20)
        #expect(result.costs.count == 1, "nothing can change after epoch 0, so the run stops there")
        #expect(diagnosis.explanation.contains("the output layer `fc3` is dead since epoch 0"))
        #expect(diagnosis.explanation.contains("its pre-activation is negative for every training sample"))
        #expect(diagnosis.explanation.contains("use identity, leaky_relu or prelu on `fc3`"))
        #expect(logs.map(\.epoch) == [0])
        #expect(logs[0].layers.last == LayerHealth(name: "fc3", units: 1, dead: 1, gradientNorm: 0,
                                                   weightNorm: logs[0].layers.last!.weightNorm, updateRatio: 0))
        #expect(result.outputDead)
    }

    @Test func withoutTheStopTheDeadRunTrainsToTheEndAndStaysDead() throws {
        let trainer = Trainer(model: try studyModel("specs/seed/relu-dead.yaml", ["train.epochs=50"]))
        let result = trainer.train(TrainingOptions(stopWhenDead: false)) { _ in }
        #expect(result.end == .completed)
        #expect(result.costs.count == 50 && result.costs.allSatisfy { Float($0) == 20 })
        #expect(result.outputDead)
    }

    @Test func theConvergingRunEndsWithALiveOutput() throws {
        let trainer = Trainer(model: try studyModel("specs/seed/relu.yaml"))
        let result = trainer.train(TrainingOptions(stopWhenDead: true, watchHealth: true)) { _ in }
        #expect(result.end == .completed)
        #expect(result.costs.count == 5000)
        #expect(result.deadAtEnd.last?.dead == 0)
        #expect(!result.outputDead)
        #expect(Sweep.classify(result) == .converged)
    }

    @Test func aDeadHiddenLayerWithALiveOutputIsCountedNotStopped() throws {
        // fc1's biases start at -100: no sample can lift a unit above 0, so fc1 is dead in every unit;
        // fc2 (identity) still learns its bias, so the run goes on and the log counts the dead units.
        let text = spec(replacing: "name: fc1}", with: "name: fc1, bias: {constant: {value: -100}}}")
        let trainer = Trainer(model: try model(text))
        var logs: [EpochLog] = []
        let result = trainer.train(TrainingOptions(stopWhenDead: true, watchHealth: true)) { logs.append($0) }
        #expect(result.end == .completed)
        #expect(logs.last?.layers.first?.dead == 10)
        #expect(logs.last?.layers.last?.dead == 0)
        #expect(RunReport.logLine(logs[0], format: .text, epochs: 10).hasSuffix("  (fc1: 10/10 units dead)\n"))
        #expect(logs[0].metrics.map(\.name) == ["mae", "rmse", "r2"])
    }

    @Test func aDivergingSpecStopsAtTheFirstNonFiniteValueNamingTheOpAndTheStep() throws {
        let trainer = Trainer(model: try studyModel("specs/seed/linear.yaml", ["train.optimizer.sgd.lr=100"]))
        let initial = trainer.parameters()
        let result = trainer.train(TrainingOptions(stopWhenDead: true)) { _ in }
        guard case .nonFinite(let fault) = result.end else {
            Issue.record("expected a non-finite stop, got \(result.end)")
            return
        }
        // Step 3's prediction is about -6.5e27: finite, but its square overflows float32 in the loss.
        #expect(fault.op == "mse loss" && fault.layer == nil)
        #expect(fault.epoch == 0 && fault.step == 3)
        #expect(fault.inputs.map(\.name) == ["prediction", "target"])
        #expect(fault.inputs[0].low.isFinite && abs(fault.inputs[0].low) > 1.8e19, "its square exceeds float32's range")
        #expect(result.lastFiniteEpoch == -1 && result.lastFiniteParameters == initial)
        #expect(Sweep.classify(result) == .diverged)
    }

    @Test func anOverflowInsideALayerIsBlamedOnThatLayer() throws {
        let text = spec(replacing: "inputs:  [[0, 1], [2, 3], [4, 5], [6, 7]]", with: "inputs:  [[3e38, 3e38], [2, 3], [4, 5], [6, 7]]")
            .replacingOccurrences(of: "name: fc1}", with: "name: fc1, weights: ones}")
        let trainer = Trainer(model: try model(text))
        let result = trainer.train { _ in }
        guard case .nonFinite(let fault) = result.end else {
            Issue.record("expected a non-finite stop, got \(result.end)")
            return
        }
        #expect(fault.op == "dense" && fault.layer == "fc1" && fault.step == 1)
        #expect(fault.inputs.map(\.name) == ["input", "weight", "bias"])
        #expect(fault.inputs[0].high == 3e38 && fault.inputs[1].low == 1)
        #expect(fault.description.hasPrefix("the first non-finite value came from dense in layer `fc1` at epoch 0, step 1"))
    }

    @Test func anExactFitStopsWithNothingLeftToLearn() throws {
        let text = spec(replacing: "targets: [[1.6666667], [3.6666667], [1.0], [1.6666667]]", with: "targets: [[0], [0], [0], [0]]")
            .replacingOccurrences(of: "name: fc2}", with: "name: fc2, weights: zeros}")
        let result = Trainer(model: try model(text)).train(TrainingOptions(stopWhenDead: true)) { _ in }
        #expect(result.end == .exact(epoch: 0))
    }

    @Test func gradientHealthIsMeasuredAtLoggedEpochs() throws {
        let trainer = Trainer(model: try model(baseSpec))
        var logs: [EpochLog] = []
        trainer.train(TrainingOptions(watchHealth: true)) { logs.append($0) }
        let first = try #require(logs.first?.layers)
        #expect(first.map(\.name) == ["fc1", "fc2"])
        for layer in first {
            #expect(layer.gradientNorm > 0 && layer.weightNorm > 0 && layer.updateRatio > 0 && layer.updateRatio < 1)
            #expect(!layer.vanishes(cost: logs[0].cost, firstCost: logs[0].cost) && !layer.explodes)
        }
        let line = RunReport.logLine(logs[0], format: .jsonl, epochs: 10)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let layers = try #require(object["layers"] as? [[String: Any]])
        #expect(Set(layers[0].keys) == ["name", "units", "dead", "grad_norm", "weight_norm", "update_ratio"])
    }

    @Test func vanishingAndExplodingFollowTheirThresholds() {
        var layer = LayerHealth(name: "fc1", units: 4, dead: 0, gradientNorm: 1e-9, weightNorm: 1, updateRatio: 1e-4)
        #expect(layer.vanishes(cost: 1, firstCost: 20) && !layer.explodes)
        // Near a loss of 0 small gradients are convergence, not a fault: the study's run ends at 7e-14.
        #expect(!layer.vanishes(cost: 7e-14, firstCost: 20))
        #expect(!layer.vanishes(cost: 0.019, firstCost: 20) && layer.vanishes(cost: 0.021, firstCost: 20))
        layer.gradientNorm = 0  // exactly 0 is a dead network, which the diagnosis explains
        #expect(!layer.vanishes(cost: 1, firstCost: 20))
        layer.gradientNorm = 1e-6
        layer.updateRatio = 2
        #expect(!layer.vanishes(cost: 1, firstCost: 20) && layer.explodes)
        #expect(RunReport.healthWarnings(EpochLog(epoch: 5, cost: 1, learningRate: 0.1, layers: [layer]), firstCost: 20).first?.text
                == "warning: epoch 5: the gradients of layer `fc1` explode: each step moves its parameters by 2 times their size; lower the learning rate")
    }

    /// Saturated gates and collapsed heads, named with the layer, the part and the epoch in both logs.
    @Test func stuckGatesAndHeadsAreNamedInTheLog() throws {
        let gates = DiagnosticCode.saturatedGate.explanation.bad, heads = DiagnosticCode.collapsedHead.explanation.bad
        for (text, part, expected) in [(gates, "forget gate saturated near 0 or 1 in 4 of 4 units", "lstm_1"),
                                      (heads, "head 1 uniform over its keys", "attention_1")] {
            let trainer = Trainer(model: try model(text))
            var logs: [EpochLog] = []
            trainer.train(TrainingOptions(watchHealth: true)) { logs.append($0) }
            let layer = try #require(logs.first?.layers.first { $0.name == expected })
            #expect(layer.stuck.map(\.description).contains(part), "\(layer.stuck)")
            #expect(RunReport.logLine(logs[0], format: .text, epochs: 100).contains("\(expected): \(part)"))
            let line = RunReport.logLine(logs[0], format: .jsonl, epochs: 100)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let entry = try #require((object["layers"] as? [[String: Any]])?.first { $0["name"] as? String == expected })
            #expect((entry["stuck"] as? [String])?.contains(part) == true)
        }
        // The fixed examples' gates and heads keep working.
        for code in [DiagnosticCode.saturatedGate, .collapsedHead] {
            let trainer = Trainer(model: try model(code.explanation.good))
            var logs: [EpochLog] = []
            trainer.train(TrainingOptions(watchHealth: true)) { logs.append($0) }
            #expect(logs.allSatisfy { $0.layers.allSatisfy(\.stuck.isEmpty) })
        }
    }

    @Test func theProgressLineShowsEpochCostETAAndRate() {
        let line = RunReport.progressLine(epoch: 1249, epochs: 5000, cost: 0.0123, seconds: 2, steps: 5000)
        #expect(line == "epoch 1250/5000 [#####...............]  25%  cost 0.0123000  ETA 0:06  2500 steps/s")
    }
}

struct SweepTests {
    static let variants = Sweep.variants([try! Sweep.vary("model.layers.fc3.dense.activation=relu,prelu")])

    static func models() throws -> [ModelIR] {
        try variants.map { variant in
            let result = try Compiler.compile(try Repo.file("specs/seed/relu.yaml"),
                                              overrides: [try Override("train.epochs=300")] + variant.overrides)
            return try #require(result.model)
        }
    }

    @Test func aSweepGivesTheSameTableOnEveryRunAndWithAnyNumberOfWorkers() throws {
        let models = try Self.models()
        let seeds = Sweep.seeds("0..19")!
        let one = Sweep.run(models, seeds: seeds, jobs: 1, stopWhenDead: true)
        let two = Sweep.run(models, seeds: seeds, jobs: 2, stopWhenDead: true)
        let again = Sweep.run(models, seeds: seeds, jobs: 2, stopWhenDead: true)
        #expect(one == two && two == again)
        #expect(one.count == 40)
        #expect(one.map(\.variant) == Array(repeating: 0, count: 20) + Array(repeating: 1, count: 20))
        #expect(one.map(\.seed) == seeds + seeds)
        #expect(Sweep.table(one, Self.variants, format: .text) == Sweep.table(two, Self.variants, format: .text))
        // The study's answer in miniature: relu dies on some seeds, prelu on none.
        #expect(one.contains { $0.variant == 0 && $0.outcome == .dead })
        #expect(!one.contains { $0.variant == 1 && $0.outcome == .dead })
        // Seed 1 is the study's dead start.
        #expect(one[1].outcome == .dead && one[1].epochsRun == 1 && one[1].dead.map(\.name).contains("fc3"))
    }

    @Test func theTableFormats() throws {
        let runs = Sweep.run(try Self.models(), seeds: [1, 3], jobs: 2, stopWhenDead: true)
        let text = Sweep.table(runs, Self.variants, format: .text)
        // 300 epochs are too few for seed 3, whose cost is still falling.
        #expect(text.contains("fc3.dense.activation=relu: converged: 0/2, improving: 1/2, plateaued: 0/2, dead: 1/2, diverged: 0/2; final cost min 3.1189, median 11.5594, max 20\n"))
        let csv = Sweep.table(runs, Self.variants, format: .csv).split(separator: "\n")
        #expect(csv[0] == "variant,seed,final_cost,best_epoch,epochs,dead_units,outcome")
        #expect(csv.count == 5 && csv[1].hasPrefix("fc3.dense.activation=relu,1,20,0,1,"))
        let json = Sweep.table(runs, Self.variants, format: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((object["runs"] as? [Any])?.count == 4)
        #expect(((object["summary"] as? [[String: Any]])?.first)?["dead"] as? Int == 1)
    }

    @Test func outcomesFollowTheirRules() {
        func outcome(_ costs: [Double], _ end: RunEnd = .completed) -> Outcome {
            Sweep.classify(TrainingResult(end: end, costs: costs, deadAtEnd: [], lastFiniteParameters: [], lastFiniteEpoch: 0))
        }
        #expect(outcome([20] + Array(repeating: 0.02, count: 9)) == .converged)
        #expect(outcome([20] + Array(repeating: 0.021, count: 9)) == .plateaued)
        #expect(outcome([20, 10, 9, 8, 7, 6, 5, 4, 3, 2]) == .improving)
        #expect(outcome([20, 300]) == .diverged)
        #expect(outcome([20, .infinity]) == .diverged)
        let fault = Fault(op: "mse loss", layer: nil, epoch: 0, step: 1, inputs: [])
        #expect(outcome([20], .nonFinite(fault)) == .diverged)
    }

    @Test func seedsAndVariedValuesParse() throws {
        #expect(Sweep.seeds("0..3") == [0, 1, 2, 3])
        #expect(Sweep.seeds("7") == [7])
        #expect(Sweep.seeds("1,5,9") == [1, 5, 9])
        for bad in ["3..1", "a..b", "1,,2", "", "-1"] { #expect(Sweep.seeds(bad) == nil, "\(bad)") }
        let values = try Sweep.vary("model.layers.fc3.dense.activation=relu, {leaky_relu: {alpha: 0.1}},prelu")
        #expect(values.map(\.value) == ["relu", "{leaky_relu: {alpha: 0.1}}", "prelu"])
        #expect(throws: OverrideError.self) { try Sweep.vary("train.epochs") }
        #expect(throws: OverrideError.self) { try Sweep.vary("train.epochs=1,,2") }
        let grid = Sweep.variants([try Sweep.vary("train.epochs=1,2"), try Sweep.vary("seed=5,6,7")])
        #expect(grid.map(\.label) == ["train.epochs=1 seed=5", "train.epochs=1 seed=6", "train.epochs=1 seed=7",
                                      "train.epochs=2 seed=5", "train.epochs=2 seed=6", "train.epochs=2 seed=7"])
    }
}

/// Facts about a graph model follow each layer's `inputs`, never "the layer before" (issue 14 found
/// the backward-fault locator reading layer l−1's buffer, past its end on a wider layer).
struct GraphFaultTests {
    @Test func aBackwardFaultReportsTheInputsTheLayerRead() throws {
        let result = compile("""
            dnnc: 1
            data: {train: {inputs: [[1000, -2000, 3000], [4, 5, 6]], targets: [[1], [2]]}}
            model:
              input: [3]
              layers:
                - dense: {units: 8, name: wide}
                - dense: {units: 2, name: side, inputs: [input]}
                - concat: {inputs: [wide, side], name: both}
                - dense: {units: 1, name: out}
            train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1, batch_size: 2}
            """)
        let model = try #require(result.model, "\(result.diagnostics.all.map(\.message))")
        let trainer = Trainer(model: model)
        trainer.network.load(trainer.inputs, rows: [0, 1], into: trainer.network.x)
        trainer.network.forward(rows: 2)
        let side = try #require(model.layers.firstIndex { $0.name == "side" })
        let both = try #require(model.layers.firstIndex { $0.name == "both" })
        // `side` reads the model's input (normalized or not, its range is the data's), not `wide`.
        let read = trainer.inputExtents(side, rows: 2)
        #expect(read.count == 1 && read[0].name == "input")
        let x = trainer.inputs.values
        #expect(read[0].low == x.min() && read[0].high == x.max())
        #expect(trainer.inputExtents(both, rows: 2).map(\.name) == ["input 1", "input 2"])

        // A non-finite gradient in `side`'s parameters: the fault names `side` and what it read.
        trainer.network.grads.update(repeating: 0)
        trainer.network.grads[trainer.network.layerRanges[side].lowerBound] = .nan
        let fault = trainer.locateBackwardFault(rows: 2, step: 1)
        #expect(fault.layer == "side")
        #expect(fault.inputs.first?.name == "input" && fault.inputs.first?.low == x.min() && fault.inputs.first?.high == x.max())
    }
}

/// "Class indices are not normalized" is one fact (ModelIR.appliedTargetNormalization), asked by the
/// trainer, the predictor's checkpoint check, lint and the exports alike.
struct TargetNormalizationTests {
    @Test func aClassifiersTargetsAreNeverNormalized() throws {
        let result = compile("""
            dnnc: 1
            data:
              train: {inputs: [[0, 1], [1, 0], [1, 1], [0, 0]], targets: [[0], [1], [2], [1]]}
              normalize: {targets: standard}
            model: {input: [2], layers: [{dense: {units: 3}}]}
            train: {loss: cross_entropy, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
            """)
        let model = try #require(result.model, "\(result.diagnostics.all.map(\.message))")
        #expect(model.targetNormalization == .standard && model.appliedTargetNormalization == .none)
        let trainer = Trainer(model: model)
        #expect(trainer.targetNormalizer.kind == .none)
        #expect(trainer.targets.values == [0, 1, 2, 1], "labels stay indices")
        // A checkpoint of it passes the metadata check a predictor makes.
        try CheckpointMetadata(trainer).check(for: model)
    }
}
