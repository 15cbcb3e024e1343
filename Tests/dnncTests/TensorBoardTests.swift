// `dnnc run --tensorboard DIR` and `train.tensorboard`: event files TensorBoard's own reader reads back,
// every scalar equal to the jsonl log's.

import Foundation
import Testing
@testable import DNNExport

struct TensorBoardTests {
    /// A Python with the tensorboard package: DNNC_TORCH_PYTHON (where .ci/run installs it), or python3.
    static let tensorboardPython = InteropTests.python(importing: "tensorboard, numpy",
                                                       among: [ProcessInfo.processInfo.environment["DNNC_TORCH_PYTHON"], "python3"])

    @Test func framingIsTFRecordsWithMaskedCRC32C() {
        // CRC-32C's check value (RFC 3720, B.4), and a record's layout: length, its CRC, data, its CRC.
        #expect(TFRecord.crc32c(Array("123456789".utf8)) == 0xE306_9283)
        let record = TFRecord.frame([1, 2, 3])
        #expect(record.count == 8 + 4 + 3 + 4 && Array(record[0 ..< 8]) == [3, 0, 0, 0, 0, 0, 0, 0] && Array(record[12 ..< 15]) == [1, 2, 3])
        let crc = TFRecord.crc32c([1, 2, 3]), masked = ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
        #expect(Array(record[15...]) == (0 ..< 4).map { UInt8(truncatingIfNeeded: masked >> (8 * $0)) })
    }

    @Test(.enabled(if: tensorboardPython != nil || InteropTests.torchRequired,
                   "the tensorboard package is not installed here: set DNNC_TORCH_PYTHON to a Python with tensorboard and numpy"))
    func everyScalarOfTheLogIsInTheEventFiles() throws {
        let python = try #require(Self.tensorboardPython, "DNNC_REQUIRE_TORCH=1, but no Python here has the tensorboard package (.ci/run installs it)")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Validation, metrics and per-layer health: every kind of scalar a log line holds.
        let spec = folder.appendingPathComponent("t.yaml")
        try """
            dnnc: 1
            data:
              train:
                inputs: [[0, 0], [0, 1], [1, 0], [1, 1], [0.5, 0.2], [0.1, 0.9], [0.8, 0.7], [0.3, 0.4]]
                targets: [[0], [1], [1], [0], [0], [1], [0], [0]]
              validation: {split: 0.25}
            model:
              input: [2]
              layers:
                - dense: {units: 6, activation: tanh}
                - dense: {units: 2}
            train:
              loss: cross_entropy
              optimizer: {adam: {lr: 0.05}}
              epochs: 12
              log_every: 2
              tensorboard: {path: board, histogram_every: 4}
            """.write(to: spec, atomically: true, encoding: .utf8)
        let run = try Binary.run(["run", spec.path, "--log-format", "jsonl", "--no-progress"])
        #expect(run.status == 0, "\(run.stderr)")
        let log = folder.appendingPathComponent("run.jsonl")
        try run.stdout.write(to: log, atomically: true, encoding: .utf8)
        let board = folder.appendingPathComponent("board").path
        let files = try FileManager.default.contentsOfDirectory(atPath: board)
        #expect(files.count == 1 && files[0].hasPrefix("events.out.tfevents."))
        let compared = try Binary.run([python, Binary.root.appendingPathComponent("tools/tensorboard/compare_with_jsonl.py").path, board, log.path],
                                      executable: "/usr/bin/env")
        #expect(compared.status == 0, "\(compared.stdout)\(compared.stderr)")
        // 7 logged epochs (0, 2, …, 10 and the last) × (cost, lr, val_loss, accuracy, 2 layers × 4).
        #expect(compared.stdout.hasPrefix("84 scalars of the log, 84 in the events, 4 histogram tags"), "\(compared.stdout)")
        // --tensorboard puts them elsewhere, relative to the working folder.
        let other = folder.appendingPathComponent("elsewhere").path
        #expect(try Binary.run(["run", spec.path, "--tensorboard", other, "--no-progress"]).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: other).count == 1)
    }
}
