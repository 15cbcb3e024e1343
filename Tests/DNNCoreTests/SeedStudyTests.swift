// The ReLU study's four outcomes, each run from its spec file in specs/seed/.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

struct SeedRun {
    var logs: [EpochLog]
    var predictions: DataMatrix
    var model: ModelIR
    var trainer: Trainer

    init(_ path: String) throws {
        let result = Compiler.compile(try Repo.file(path))
        model = try #require(result.model, "\(path) should compile")
        trainer = Trainer(model: model)
        var logs: [EpochLog] = []
        trainer.train { logs.append($0) }
        self.logs = logs
        predictions = trainer.predict(model.train.inputs)
    }
}

struct SeedStudyTests {
    static let targets: [Double] = [1.6666667, 3.6666667, 1.0, 1.6666667]

    @Test func everySeedSpecLogsTheStudysEpochs() throws {
        let run = try SeedRun("specs/seed/relu.yaml")
        #expect(run.logs.map(\.epoch) == [0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 4999])
    }

    /// Outcome 1: a linear network can do no better than the least-squares fit of y on x.
    @Test func linearPlateausAtTheLeastSquaresFit() throws {
        let run = try SeedRun("specs/seed/linear.yaml")
        // Least squares of y on [x1, 1] (x2 = x1 + 1 adds nothing), in Double, from the spec's data.
        let x = (0..<4).map { Double(run.model.train.inputs.values[$0 * 2]) }
        let y = (0..<4).map { Double(run.model.train.targets.values[$0]) }
        let mx = x.reduce(0, +) / 4, my = y.reduce(0, +) / 4
        let slope = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        let fit = x.map { my + slope * ($0 - mx) }
        let leastSquaresCost = zip(fit, y).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        #expect(abs(leastSquaresCost - 3.6444) < 1e-3)
        let final = run.logs.last!.cost
        #expect(final >= leastSquaresCost && final <= 3.66, "final cost \(final), least squares \(leastSquaresCost)")
        // A plateau: the last 1000 epochs move the cost by less than 0.1%.
        let earlier = run.logs[run.logs.count - 3].cost
        #expect(abs(earlier - final) / final < 1e-3, "cost \(earlier) → \(final) is not a plateau")
        for r in 0..<4 {
            #expect(abs(Double(run.predictions.values[r]) - fit[r]) < 0.01,
                    "prediction \(r) is \(run.predictions.values[r]), least squares \(fit[r])")
        }
    }

    /// Outcome 2: relu fits the data exactly.
    @Test func reluFitsTheData() throws {
        let run = try SeedRun("specs/seed/relu.yaml")
        #expect(run.logs.last!.cost < 1e-6)
        for r in 0..<4 {
            #expect(abs(Double(run.predictions.values[r]) - Self.targets[r]) < 1e-3)
        }
    }

    /// Outcome 3: the output unit starts dead; nothing ever moves.
    @Test func reluDeadStaysAtTwenty() throws {
        let run = try SeedRun("specs/seed/relu-dead.yaml")
        // The cost with every prediction 0 is the sum of the squared targets: 20.0.
        let squaredTargets = run.model.train.targets.values.reduce(0.0) { $0 + Double($1 * $1) }
        #expect(abs(squaredTargets - 20) < 1e-5)
        #expect(run.logs.count == 11)
        for log in run.logs {
            #expect(log.cost == squaredTargets, "epoch \(log.epoch): cost \(log.cost)")
            #expect(Float(log.cost) == 20)
        }
        #expect(run.predictions.values == [0, 0, 0, 0])
        // Dead from the start: fc3's pre-activation is negative for every sample under the initial weights.
        let fresh = Trainer(model: run.model)
        for r in 0..<4 {  // the workspace holds one row: the spec's batch size
            fresh.network.load(fresh.inputs, rows: [r], into: fresh.network.x)
            fresh.network.forward(rows: 1)
            #expect(fresh.network.z[2][0] < 0, "sample \(r): fc3's pre-activation \(fresh.network.z[2][0])")
        }
    }

    /// Outcome 4: prelu's learnable slope revives the same start.
    @Test func preluTrainsDownFromTheDeadStart() throws {
        let dead = try #require(Compiler.compile(try Repo.file("specs/seed/relu-dead.yaml")).model)
        let run = try SeedRun("specs/seed/prelu.yaml")
        #expect(run.model.seed == dead.seed)
        #expect(run.model.layers[2].activation == .prelu(initialSlope: 0.25))
        #expect(run.logs.last!.cost < 0.01)
    }
}
