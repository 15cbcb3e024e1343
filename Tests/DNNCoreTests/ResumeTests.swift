// A run interrupted after a checkpoint and resumed from it ends with exactly the parameters, running
// statistics and epoch costs of the run that was never interrupted: shuffling, dropout, momentum and
// Adam state, schedules that keep state (plateau), early stopping, phases with frozen layers.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

/// Counts the trainer's stop questions (one per step) and says stop after `limit` of them.
final class StepLimit: @unchecked Sendable {
    private let lock = NSLock()
    private var asked = 0
    let limit: Int
    init(_ limit: Int) { self.limit = limit }
    func ask() -> Bool {
        lock.lock(); defer { lock.unlock() }
        asked += 1
        return asked > limit
    }
}

struct ResumeTests {
    /// 24 rows of 3 inputs and a target, from a fixed formula.
    static let data: String = {
        let rows = (0..<24).map { i -> (String, String) in
            let x = [Double(i % 5) - 2, Double(i % 7) * 0.5, Double((i * 3) % 4)]
            return ("[\(x.map { String($0) }.joined(separator: ", "))]", "[\(x[0] * 0.5 - x[1] + 0.25 * x[2])]")
        }
        return "    inputs: [\(rows.map(\.0).joined(separator: ", "))]\n    targets: [\(rows.map(\.1).joined(separator: ", "))]"
    }()

    static func spec(_ model: String, _ train: String) -> String {
        """
        dnnc: 1
        seed: 11
        data:
          train:
        \(data)
          validation: {split: 0.25}
          normalize: {inputs: standard, targets: standard}
        model:
          input: [3]
          layers:
        \(model)
        train:
          loss: mse
        \(train)
        """
    }

    static let cases: [(name: String, text: String)] = [
        ("shuffle, dropout, batchnorm, adam, cosine, clipping", spec("""
                - dense: {units: 8, activation: relu, name: a}
                - batchnorm: {}
                - dropout: {rate: 0.3}
                - dense: {units: 1}
            """, """
              optimizer: {adam: {lr: 0.01}}
              schedule: {cosine: {}}
              clip: {norm: {max: 1.0}}
              epochs: 12
              batch_size: 5
            """)),
        ("momentum, plateau, warmup, early stopping on val_loss", spec("""
                - dense: {units: 6, activation: tanh}
                - dense: {units: 1}
            """, """
              optimizer: {sgd: {lr: 0.05, momentum: 0.9, nesterov: true}}
              schedule: {reduce_on_plateau: {patience: 1, factor: 0.5}}
              warmup: 3
              early_stopping: {patience: 4, min_delta: 0.001}
              epochs: 40
              batch_size: 4
            """)),
        ("phases with a frozen layer, prelu, rmsprop then adamw", spec("""
                - dense: {units: 6, activation: prelu, name: first}
                - dense: {units: 1, name: last}
            """, """
              optimizer: {rmsprop: {lr: 0.01, centered: true, momentum: 0.5}}
              phases:
                - {epochs: 5}
                - {epochs: 5, optimizer: {adamw: {lr: 0.005}}, freeze: [first]}
              epochs: 10
              batch_size: 6
            """)),
    ]

    @Test(arguments: 0 ..< cases.count)
    func aResumedRunEndsExactlyAsTheUninterruptedOne(_ index: Int) throws {
        let ir = try model(Self.cases[index].text)
        let full = Trainer(model: ir)
        let expected = full.train { _ in }

        // Interrupt a run in the middle of its sixth epoch, after two checkpoints (every 2 epochs). The
        // trainer asks whether to stop before every step and once after every epoch.
        let interrupted = Trainer(model: ir)
        let stepsPerEpoch = (ir.train.inputs.rows + ir.schedule.batchSize - 1) / ir.schedule.batchSize
        let limit = StepLimit(5 * (stepsPerEpoch + 1) + 2)
        var saved: (epoch: Int, bytes: [UInt8])? = nil
        let cut = interrupted.train(TrainingOptions(stopRequested: { limit.ask() }, checkpointEvery: 2),
                                    checkpoint: { epoch in
                                        let (tensors, metadata) = interrupted.checkpointState()
                                        saved = (epoch, SafeTensors.encode(tensors, metadata: metadata))
                                    }) { _ in }
        guard case .interrupted = cut.end else {
            Issue.record("the run should have been interrupted, it ended with \(cut.end)")
            return
        }
        let checkpoint = try #require(saved)
        #expect(checkpoint.epoch == 3)

        let resumed = Trainer(model: ir)
        try resumed.resume(from: checkpoint.bytes)
        let result = resumed.train { _ in }
        #expect(result.costs == expected.costs, "\(Self.cases[index].name): costs")
        #expect(resumed.parameters() == full.parameters(), "\(Self.cases[index].name): parameters")
        #expect(resumed.statistics() == full.statistics(), "\(Self.cases[index].name): running statistics")
        #expect(result.end == expected.end, "\(Self.cases[index].name): how the run ended")
        #expect(result.validationLosses.map(\.loss) == expected.validationLosses.map(\.loss))
    }

    @Test func resumeRefusesTheStateOfAnotherRun() throws {
        let ir = try model(Self.cases[1].text)
        let trainer = Trainer(model: ir)
        var bytes: [UInt8] = []
        trainer.train(TrainingOptions(checkpointEvery: 1), checkpoint: { _ in
            let (tensors, metadata) = trainer.checkpointState()
            bytes = SafeTensors.encode(tensors, metadata: metadata)
        }) { _ in }

        var other = ir
        other.optimizer.lr = 0.06
        #expect(throws: CheckpointError.self) { try Trainer(model: other).resume(from: bytes) }
        do {
            try Trainer(model: other).resume(from: bytes)
        } catch {
            #expect(error.description.contains("another model, schedule, seed or data set"))
        }
        let plain = SafeTensors.encode(trainer.network.checkpointTensors())
        do {
            try Trainer(model: ir).resume(from: plain)
            Issue.record("a checkpoint without training state should be refused")
        } catch {
            #expect(error.description.contains("holds no training state"))
        }
    }
}
