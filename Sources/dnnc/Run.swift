// `dnnc run spec.yaml`: compile, train, print the log and the predictions, optionally save.

import ArgumentParser
import DNNCore
import Foundation

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the model a spec describes and print its log and predictions.")

    @Argument(help: "The spec file (YAML), or - for standard input.")
    var spec: String

    @Option(name: .long, help: "text, or jsonl: one JSON object per logged epoch on stdout, the summary on stderr.")
    var logFormat: LogFormat = .text

    @Option(name: .long, help: "Override the spec's seed.")
    var seed: UInt64?

    @Option(name: .long, help: "Override the spec's number of epochs.")
    var epochs: Int?

    @Option(name: .long, help: "Write the trained parameters to this .safetensors file.")
    var save: String?

    @Option(name: .long, help: "Start from the parameters in this .safetensors file instead of the initializers.")
    var initFrom: String?

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
    }

    func run() throws {
        guard let file = readSpec(spec) else { throw ExitCode(2) }
        let result = Compiler.compile(file)
        printDiagnostics(result)  // warnings too: the run goes ahead, but the user should see them
        guard var model = result.model else { throw ExitCode(1) }
        if let seed { model.seed = seed }
        if let epochs { model.schedule.epochs = epochs }

        var initial: [String: Tensor]? = nil
        if let initFrom {
            guard let data = FileManager.default.contents(atPath: initFrom) else {
                throw Console.fail("cannot read \(initFrom): no such file or not readable")
            }
            do { initial = try SafeTensors.decode(Array(data)) } catch {
                throw Console.fail("\(initFrom) is not a usable checkpoint: \(error)")
            }
        }
        if let save {
            // Found out before training, not after it.
            let folder = URL(fileURLWithPath: save).deletingLastPathComponent().path
            guard FileManager.default.isWritableFile(atPath: folder) else {
                throw Console.fail("cannot write \(save): the folder \(folder) does not exist or is not writable")
            }
        }

        let trainer = Trainer(model: model)
        if let initial {
            do { try trainer.network.load(initial) } catch {
                throw Console.fail("cannot start from \(initFrom!): \(error)")
            }
        }
        let summary = RunReport.summary(model)
        if logFormat == .jsonl { Console.error(summary) } else { Console.out(summary) }
        trainer.train { log in
            Console.out(RunReport.logLine(log, format: logFormat, epochs: model.schedule.epochs))
        }
        let inputs = model.train.inputs
        Console.out(RunReport.predictions(inputs: inputs, predictions: trainer.predict(inputs),
                                          targets: model.train.targets, format: logFormat))
        if let save {
            do {
                try SafeTensors.writeAtomically(SafeTensors.encode(trainer.network.checkpointTensors()), to: save)
            } catch {
                throw Console.fail(error.description)
            }
        }
    }
}

extension LogFormat: ExpressibleByArgument {}
