// What a run will allocate, computed from the IR before anything is: the execution plan's workspace for
// one batch (ExecutionPlan.Workspace, the account Network.init allocates from: the parameters with their
// gradients and the optimizer's three state buffers, the running statistics, every layer's buffers),
// and the data (as read and as normalized; a streamed set's batches read ahead). A run over the limit is refused with the
// figures, instead of failing or swapping after minutes.

import Foundation
import DNNSyntax
import DNNModel
import DNNCheckpoint

public struct MemoryEstimate: Sendable, Equatable {
    public var parameters: Int
    public var bytes: Int
    /// Of `bytes`, a streamed set's batches read ahead and the one being loaded (0 for a set in memory).
    public var readAheadBytes = 0

    public init(_ model: ModelIR) {
        // The network's workspace for one batch, as Network.init allocates it, and the data: as read and
        // as normalized.
        let workspace = model.plan.workspace(capacity: min(model.schedule.batchSize, model.train.inputs.rows))
        var floats = workspace.values
        for set in [model.train] + (model.validation.map { [$0] } ?? []) {
            floats += 2 * (set.inputs.values.count + set.targets.values.count)
        }
        // A streamed set: the batches decoded ahead and the one being loaded (BatchLoader).
        var readAhead = 0
        if let stream = model.stream {
            readAhead = (stream.prefetch + 1) * min(model.schedule.batchSize, model.train.inputs.rows) * stream.sampleSize
        }
        parameters = workspace.learnable + workspace.statistics
        bytes = (floats + readAhead) * MemoryLayout<Float>.size
        readAheadBytes = readAhead * MemoryLayout<Float>.size
    }

    /// The default `--max-memory`: half of the machine's physical memory, or what the address-space
    /// limit (`ulimit -v`, RLIMIT_AS) leaves beside what the process has mapped already, if less.
    /// `room` is `SystemMemory.addressSpaceRoom`, read once by the caller (nil: no limit).
    public static func defaultLimit(room: Int?) -> Int {
        let half = Int(ProcessInfo.processInfo.physicalMemory / 2)
        guard let room else { return half }
        return max(min(half, room), 1)
    }

    /// "3.0e10 parameters, 120 GB"
    public var description: String {
        "\(Format.c("%.1e", Double(parameters))) parameters, \(Format.bytes(bytes))"
    }
}
