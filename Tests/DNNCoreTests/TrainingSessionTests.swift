// A training session without the binary: checkpoints every N epochs with the newest `keep` kept, a
// resumed session ending with the bytes of a whole run, one session per checkpoint folder, and
// another run's checkpoints neither resumed from nor pruned.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

struct TrainingSessionTests {
    /// The base spec with checkpoints every `every` epochs, compiled as if read from `folder/spec.yaml`.
    static func model(in folder: URL, seed: Int = 3, every: Int = 2, keep: Int = 2, epochs: Int = 7) throws -> ModelIR {
        let text = baseSpec.replacingOccurrences(of: "seed: 3", with: "seed: \(seed)")
            .replacingOccurrences(of: "  epochs: 10", with: "  epochs: \(epochs)\n  checkpoint: {every: \(every), keep: \(keep), path: saved}")
        let result = Compiler.compile(SourceFile(path: folder.appendingPathComponent("spec.yaml").path, text: text))
        return try #require(result.model, "\(result.diagnostics.all.map(\.message))")
    }

    static func epochs(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("saved").path)) ?? [])
            .filter { $0.hasSuffix(".safetensors") }.sorted()
    }

    static func parameters(_ session: TrainingSession) -> [Float] {
        (0 ..< session.trainer.model.parameters.count).flatMap { session.trainer.network.values(ofParameter: $0) }
    }

    @Test func checkpointsAreWrittenEveryNEpochsAndTheNewestKeepAreKept() throws {
        let folder = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: folder) }
        let session = try TrainingSession(model: try Self.model(in: folder))
        var warnings: [String] = []
        let result = session.train(TrainingOptions(), warn: { warnings.append($0) }) { _ in }
        #expect(result.end == .completed)
        #expect(warnings.isEmpty && session.checkpointFailure == nil)
        // Epochs 0…6: after every 2nd, counted from 1 (epochs 1, 3 and 5); the newest 2 kept.
        #expect(Self.epochs(in: folder) == ["epoch-000003.safetensors", "epoch-000005.safetensors"])
        #expect(session.newestCheckpoint?.epoch == 5)
    }

    @Test func aResumedSessionEndsWithTheParametersOfAWholeRun() throws {
        let folder = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: folder) }
        let whole: [Float]
        do {
            let session = try TrainingSession(model: try Self.model(in: folder, keep: 10))
            _ = session.train(TrainingOptions(), warn: { _ in }) { _ in }
            whole = Self.parameters(session)
        }
        // Keep only the checkpoint after epoch 3, as if the run had been killed during epoch 4.
        for name in Self.epochs(in: folder) where name != "epoch-000003.safetensors" {
            try FileManager.default.removeItem(at: folder.appendingPathComponent("saved/\(name)"))
        }
        let resumed = try TrainingSession(model: try Self.model(in: folder, keep: 10))
        let start = try resumed.resume()
        guard case .resumed(_, let epoch, let warning) = start else { Issue.record("expected a resumption, got \(start)"); return }
        #expect(epoch == 3 && warning == nil)
        _ = resumed.train(TrainingOptions(), warn: { _ in }) { _ in }
        #expect(Self.parameters(resumed) == whole)
    }

    @Test func aSecondSessionOnTheSameFolderIsRefused() throws {
        let folder = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try TrainingSession(model: try Self.model(in: folder))
        #expect(first.checkpoints != nil)
        let again = try Self.model(in: folder)
        do throws(SessionError) {
            _ = try TrainingSession(model: again)
            Issue.record("a second session on the folder opened")
        } catch {
            #expect(error.description.contains("another dnnc run (pid \(getpid())) is writing checkpoints to"))
        }
    }

    @Test func anotherRunsCheckpointsAreNeitherResumedNorPruned() throws {
        let folder = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            let other = try TrainingSession(model: try Self.model(in: folder, seed: 4, keep: 10))
            _ = other.train(TrainingOptions(), warn: { _ in }) { _ in }
        }
        let theirs = Self.epochs(in: folder)
        #expect(theirs.count == 3)
        let session = try TrainingSession(model: try Self.model(in: folder, keep: 1, epochs: 3))
        #expect(session.notices == ["\(session.checkpoints!.folder) holds 3 checkpoints of another run (another model, schedule, seed or data set); this run replaces those of the epochs it saves, resumes from none and prunes none of them"])
        #expect(throws: SessionError.self) { try session.resume() }
        _ = session.train(TrainingOptions(), warn: { _ in }) { _ in }
        // Its own epoch 1 replaced theirs of that name; theirs of epochs 3 and 5 stay.
        #expect(Self.epochs(in: folder) == ["epoch-000001.safetensors", "epoch-000003.safetensors", "epoch-000005.safetensors"])
        #expect(session.newestCheckpoint?.epoch == 1)
        #expect(session.checkpoints!.list().map(\.epoch) == [1])
    }
}
