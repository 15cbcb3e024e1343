// A training run as the library holds it: the trainer, where it starts from (initial parameters or the
// newest checkpoint of this run), and train.checkpoint's folder with its lock, its retention and the
// checkpoints written every N epochs. `dnnc run` parses arguments, drives a session and prints what it
// reports; tests drive sessions without the binary.

import Foundation
import DNNSyntax
import DNNModel
import DNNCheckpoint

/// A reason a session cannot start or resume, in words for the user.
public struct SessionError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public final class TrainingSession {
    public let trainer: Trainer
    public let checkpoints: CheckpointFolder?
    /// Warnings from opening the session (another run's checkpoints in the folder), for stderr.
    public private(set) var notices: [String] = []
    /// Why checkpoints stopped being written, once one failed (training goes on without them).
    public private(set) var checkpointFailure: String? = nil

    /// Where a resumed session starts.
    public enum Resumption: Equatable {
        /// From this checkpoint, after its epoch; `warning` when it was written under other kernels.
        case resumed(path: String, epoch: Int, warning: String?)
        /// No checkpoint of this run yet: from the beginning.
        case fromTheStart
    }

    /// A session for `model`; `initial` holds parameters to start from (`--init-from`), and `source`
    /// names them in messages. Opening the checkpoint folder takes its lock and removes a killed
    /// writer's temporary files.
    public init(model: ModelIR, threads: Int = 1, initial: [String: Tensor]? = nil, source: String = "") throws(SessionError) {
        trainer = Trainer(model: model)
        trainer.network.threads = threads
        if let initial {
            do { try trainer.network.load(initial) } catch { throw SessionError("cannot start from \(source): \(error)") }
        }
        checkpoints = model.schedule.checkpoint.map(CheckpointFolder.init)
        if let checkpoints {
            do { try checkpoints.open(identity: trainer.trainingHash) } catch { throw SessionError(error.description) }
            if checkpoints.foreign > 0 {
                notices.append("\(checkpoints.folder) holds \(checkpoints.foreign) checkpoint\(checkpoints.foreign == 1 ? "" : "s") of another run (another model, schedule, seed or data set); this run replaces those of the epochs it saves, resumes from none and prunes none of them")
            }
        }
    }

    /// Goes on from the newest checkpoint of this run (optimizer and random state included).
    public func resume() throws(SessionError) -> Resumption {
        guard let checkpoints else { throw SessionError("--resume needs checkpoints: add `checkpoint: {every: 1}` under `train:`") }
        guard let newest = checkpoints.newest() else {
            if checkpoints.foreign > 0 {
                throw SessionError("cannot resume: the checkpoints in \(checkpoints.folder) were written by a run of another model, schedule, seed or data set (this run's training hash is \(trainer.trainingHash)); run without --resume to start anew beside them")
            }
            return .fromTheStart
        }
        guard let data = FileManager.default.contents(atPath: newest.path) else { throw SessionError("cannot read \(newest.path)") }
        do {
            let warning = try trainer.resume(from: Array(data))
            return .resumed(path: newest.path, epoch: newest.epoch, warning: warning)
        } catch {
            throw SessionError("cannot resume from \(newest.path): \(error)")
        }
    }

    /// Trains to the end of the schedule (or until `options` stop it), writing a checkpoint every
    /// train.checkpoint.every epochs and pruning all but the newest `keep`. A checkpoint that cannot be
    /// written is reported once through `warn`; training goes on and later ones are not attempted.
    public func train(_ options: TrainingOptions, progress: ((_ epoch: Int, _ cost: Double) -> Void)? = nil,
                      warn: (String) -> Void, log: (EpochLog) -> Void) -> TrainingResult {
        var options = options
        options.checkpointEvery = checkpoints?.policy.every
        return withoutActuallyEscaping(warn) { warn in
            trainer.train(options, progress: progress, checkpoint: { [self] epoch in
                guard let checkpoints, checkpointFailure == nil else { return }
                let (tensors, metadata) = trainer.checkpointState()
                do throws(CheckpointError) { try checkpoints.write(SafeTensors.encode(tensors, metadata: metadata), epoch: epoch) } catch {
                    checkpointFailure = error.description
                    warn("checkpoints stop after epoch \(epoch): \(error.description)")
                }
            }, log: log)
        }
    }

    /// The newest checkpoint of this run, if any.
    public var newestCheckpoint: (path: String, epoch: Int)? { checkpoints?.newest() }
}
