// `dnnc save-loop FILE`: a test hook, hidden from help. It writes two different checkpoints to FILE
// in turn, as fast as it can, through the same atomic writer as `run --save`, so that a test can
// kill it at random moments and check that FILE always holds one of them, whole.

import ArgumentParser
import DNNCore

struct SaveLoop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "save-loop", shouldDisplay: false)

    @Argument var path: String

    @Option(help: "Writes before stopping (0: until killed).")
    var count = 0

    /// Checkpoint k of the two: distinct sizes and values, so a mix of them cannot pass for either.
    static func checkpoint(_ k: Int) -> [UInt8] {
        let size = k == 0 ? 40_000 : 90_000
        let values = (0..<size).map { Float(k * 1_000_000 + $0) }
        return SafeTensors.encode([(k == 0 ? "a.weight" : "b.weight", Tensor(shape: [size], values: values))])
    }

    func run() throws {
        let files = [Self.checkpoint(0), Self.checkpoint(1)]
        var written = 0
        while count == 0 || written < count {
            do { try SafeTensors.writeAtomically(files[written % 2], to: path) } catch { throw Console.fail(error.description) }
            written += 1
        }
    }
}
