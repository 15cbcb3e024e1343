// train.checkpoint's folder on disk: where a run writes its epoch checkpoints, which it keeps, which
// it resumes from, and the lock that keeps two runs apart. Used by TrainingSession.

import Foundation
import DNNSyntax
import DNNModel

extension CheckpointPolicy {
    /// Whether `path` (resolved) is a file the runs of this policy's folder write and prune: asked of a
    /// run's other inputs and outputs before the folder is opened.
    public func manages(_ path: String) -> Bool {
        let url = URL(fileURLWithPath: path)
        return FilePolicy.target(of: url.deletingLastPathComponent().path) == FilePolicy.target(of: folder)
            && CheckpointFolder.epoch(ofName: url.lastPathComponent) != nil
    }
}

/// train.checkpoint's folder: `epoch-NNNNNN.safetensors` files, the newest `keep` of this run's kept.
/// A run holds the folder's lock file while it writes there, so two runs never share it unnoticed;
/// it reads, resumes from and prunes only checkpoints of its own identity (the training hash), so an
/// older run's files are never deleted; and it removes the temporary files a killed writer left.
public final class CheckpointFolder {
    public let policy: CheckpointPolicy
    /// The folder, resolved and confined when the spec was compiled.
    public var folder: String { policy.folder }
    private var identity = ""
    private var lock: Int32 = -1
    /// Checkpoint files of other runs found when the folder was opened.
    public private(set) var foreign = 0

    public init(policy: CheckpointPolicy) { self.policy = policy }

    /// The lock file goes with the run: removed while still held, then released.
    deinit {
        guard lock >= 0 else { return }
        unlink((folder as NSString).appendingPathComponent(Self.lockName))
        close(lock)
    }

    static let lockName = ".dnnc-lock"

    static func epoch(ofName name: String) -> Int? {
        guard name.hasPrefix("epoch-"), name.hasSuffix(".safetensors") else { return nil }
        let digits = name.dropFirst(6).dropLast(12)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int(digits)
    }

    /// Creates the folder, takes its lock (refusing while another live run holds it), removes stale
    /// temporary files, and counts other runs' checkpoints.
    public func open(identity: String) throws(CheckpointError) {
        self.identity = identity
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw CheckpointError("cannot create the checkpoint folder \(folder): \(error.localizedDescription)")
        }
        let lockPath = (folder as NSString).appendingPathComponent(Self.lockName)
        lock = Foundation.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw CheckpointError("cannot create \(lockPath): \(String(cString: strerror(errno)))") }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: lockPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            throw CheckpointError("another dnnc run (pid \(holder)) is writing checkpoints to \(folder); wait for it, or give this run another train.checkpoint.path")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(lock, 0)
        _ = pid.withUnsafeBytes { pwrite(lock, $0.baseAddress, pid.count, 0) }
        // With the lock held no other dnnc writes here: a temporary checkpoint is a killed writer's.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            where name.hasPrefix(".epoch-") && name.hasSuffix(".tmp") {
            unlink((folder as NSString).appendingPathComponent(name))
        }
        foreign = all().count - list().count
    }

    /// Every epoch file in the folder, oldest first.
    private func all() -> [(path: String, epoch: Int)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.compactMap { name -> (String, Int)? in
            guard let number = Self.epoch(ofName: name) else { return nil }
            return ((folder as NSString).appendingPathComponent(name), number)
        }.sorted { $0.1 < $1.1 }
    }

    /// This run's checkpoints (its identity's), oldest first.
    public func list() -> [(path: String, epoch: Int)] {
        all().filter { SafeTensors.trainingHash(atPath: $0.path) == identity }
    }

    public func newest() -> (path: String, epoch: Int)? { list().last }

    /// Writes the checkpoint of `epoch` (counted from 0) atomically, replacing a file of that name (the
    /// warning at the start named other runs' files), then deletes all but the newest `keep` of this run's.
    public func write(_ bytes: [UInt8], epoch: Int) throws(CheckpointError) {
        let name = "epoch-" + String(format: "%06d", epoch) + ".safetensors"
        let path = (folder as NSString).appendingPathComponent(name)
        try SafeTensors.writeAtomically(bytes, to: path)
        for old in list().dropLast(policy.keep) { unlink(old.path) }
    }
}
