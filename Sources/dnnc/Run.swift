// `dnnc run spec.yaml`: compile, train while watching for dead units and non-finite values, print
// the log and the predictions, optionally save the parameters and plot the cost.

import ArgumentParser
import DNNCore
import Foundation

/// Options `run` and `sweep` share: overrides of the spec's values.
struct SpecOverrides: ParsableArguments {
    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a value of the spec by its path, e.g. train.optimizer.sgd.lr=0.001 (repeatable).",
        valueName: "key=value"))
    var sets: [String] = []

    /// The parsed overrides; a malformed one is a usage error.
    func parsed() throws -> [Override] {
        do {
            return try sets.map { argument throws(OverrideError) in try Override(argument) }
        } catch {
            throw Console.fail(error.description)
        }
    }
}

/// Compiles a spec with overrides; prints diagnostics (warnings too, unless `warnings` is false), and
/// fails with exit 1 on errors and exit 2 on a bad override.
func compileOrExit(_ file: SourceFile, _ overrides: [Override], _ options: CompileOptions, warnings: Bool = true) throws -> (CompileResult, ModelIR) {
    let result: CompileResult
    do {
        result = try Compiler.compile(file, overrides: overrides, options: options)
    } catch {
        throw Console.fail(error.description)
    }
    printDiagnostics(result, warnings: warnings)  // the run goes ahead after warnings, but the user should see them
    guard let model = result.model else { throw ExitCode(1) }
    return (result, model)
}

/// Fails with exit 2 unless the folder of `path` can be written, so it is found out before training.
func checkWritable(_ path: String) throws {
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    guard FileManager.default.isWritableFile(atPath: folder) else {
        throw Console.fail("cannot write \(path): the folder \(folder) does not exist or is not writable")
    }
}

/// Exit code 3: training failed (a non-finite value, or a dead network with --fail-on-dead).
let trainingFailed = ExitCode(3)

/// SIGINT and SIGTERM during training: remembered, so the trainer stops after the step under way.
final class SignalWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var signal: Int32?
    private var sources: [DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.record(number) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
        // After the training loop, a signal ends the process at once, as it would without dnnc's watch.
        for number in [SIGINT, SIGTERM] { Foundation.signal(number, SIG_DFL) }
    }

    /// The first signal asks the training loop to stop at the next step and save; a second one, or the
    /// loop not stopping within `grace` seconds (stuck in a library call), ends the process at once
    /// with the signal's exit code, so SIGTERM and SIGINT always end dnnc.
    private func record(_ number: Int32) {
        lock.lock(); defer { lock.unlock() }
        guard signal == nil else { Self.exitNow(number) }
        signal = number
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.grace) { Self.exitNow(number) }
    }

    static let grace = 10.0

    private static func exitNow(_ number: Int32) -> Never {
        let text = "dnnc: stopped by \(number == SIGTERM ? "SIGTERM" : "SIGINT") without saving\n"
        _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
        _exit(128 + number)
    }

    var received: Int32? {
        lock.lock(); defer { lock.unlock() }
        return signal
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the model a spec describes and print its log and predictions.",
        discussion: """
            The run stops early when nothing can change any more (a dead network), with a diagnosis on \
            stderr (exit 0; 3 with --fail-on-dead), and at the first non-finite value (exit 3).
            """)

    @Argument(help: "The spec file (YAML), or - for standard input.")
    var spec: String

    @OptionGroup var overrides: SpecOverrides
    @OptionGroup var input: InputOptions

    @Option(name: .long, help: "text, or jsonl: one JSON object per logged epoch on stdout, the summary on stderr.")
    var logFormat: LogFormat = .text

    @Option(name: .long, help: "Override the spec's seed.")
    var seed: UInt64?

    @Option(name: .long, help: "Override the spec's number of epochs.")
    var epochs: Int?

    @Option(name: .long, help: "Write the trained parameters to this .safetensors file.")
    var save: String?

    @Option(name: .long, help: "Also write the parameters of the epoch with the lowest validation loss to this .safetensors file.")
    var saveBest: String?

    @Option(name: .long, help: "Start from the parameters in this .safetensors file instead of the initializers.")
    var initFrom: String?

    @Flag(help: "With --init-from: use a checkpoint written for another spec when its tensors have this model's names and shapes.")
    var force = false

    @Flag(help: "Go on from the newest checkpoint in train.checkpoint's folder (optimizer and random state included); without one, start afresh.")
    var resume = false

    @Option(name: .long, help: "Draw the cost of every epoch into this SVG file.")
    var plot: String?

    @Flag(help: "Train on when the network is dead instead of stopping with a diagnosis.")
    var keepGoing = false

    @Option(help: "The most memory, in bytes, a run may plan to use (default: half the machine's).")
    var maxMemory: Int = MemoryEstimate.defaultLimit

    @Flag(help: "Exit with code 3 when the output layer is dead (for CI).")
    var failOnDead = false

    @Flag(help: "Print plain log lines instead of a progress bar on a terminal.")
    var noProgress = false

    @Option(help: "Threads for the large matrix multiplies (default: the machine's cores). Small ones stay on one; the results are the same for any count.")
    var threads: Int = Gemm.availableThreads

    func validate() throws {
        try requireCount(epochs, "--epochs", 1 ... Bounds.maxCount)
        try requireCount(threads, "--threads", 1 ... 1024)
        try requireCount(maxMemory, "--max-memory", 1 ... Int.max)
        if resume && initFrom != nil { throw ValidationError("--resume and --init-from exclude each other: a resumed run starts from its checkpoint") }
    }

    func run() throws {
        guard let file = readSpec(spec, limit: input.maxSpecSize) else { throw ExitCode(2) }
        var (_, model) = try compileOrExit(file, try overrides.parsed(), input.compileOptions)
        if let seed { model.seed = seed }
        if let epochs { model.schedule.epochs = epochs }
        let estimate = MemoryEstimate(model)
        if estimate.bytes > maxMemory {
            Console.error("\(file.path):1:1: error[E0306]: the model needs \(estimate.description), more than --max-memory (\(Format.bytes(maxMemory)))")
            Console.error("  help: use fewer units or a smaller batch_size, or raise --max-memory")
            throw ExitCode(1)
        }

        let initial = try initFrom.map { try readCheckpoint($0, for: model, force: force, verb: "start from").tensors }
        if saveBest != nil && model.validation == nil {
            throw Console.fail("--save-best needs validation data: add `validation: {split: 0.2}` under `data:`")
        }
        for output in [save, saveBest, plot].compactMap({ $0 }) { try checkWritable(output) }
        try checkOutputsAreNotInputs(inputs: [file.path == "<stdin>" ? nil : file.path, initFrom].compactMap { $0 } + model.dataFiles)

        let trainer = Trainer(model: model)
        trainer.network.threads = threads
        if let initial {
            do { try trainer.network.load(initial) } catch {
                throw Console.fail("cannot start from \(initFrom!): \(error)")
            }
        }
        let checkpoints = model.schedule.checkpoint.map { CheckpointFolder(policy: $0, specPath: file.path) }
        if resume {
            guard let checkpoints else {
                throw Console.fail("--resume needs checkpoints: add `checkpoint: {every: 1}` under `train:`")
            }
            if let newest = checkpoints.newest() {
                guard let data = FileManager.default.contents(atPath: newest.path) else {
                    throw Console.fail("cannot read \(newest.path)")
                }
                do { try trainer.resume(from: Array(data)) } catch {
                    throw Console.fail("cannot resume from \(newest.path): \(error)")
                }
                Console.error("dnnc: resuming from \(newest.path), after epoch \(newest.epoch)")
            } else {
                Console.error("dnnc: no checkpoint in \(checkpoints.folder) yet; starting from the beginning")
            }
        }
        if let checkpoints {
            do { try FileManager.default.createDirectory(atPath: checkpoints.folder, withIntermediateDirectories: true) } catch {
                throw Console.fail("cannot create the checkpoint folder \(checkpoints.folder): \(error.localizedDescription)")
            }
        }
        var checkpointFailure: String? = nil
        let summary = RunReport.summary(model)
        if logFormat == .jsonl { Console.error(summary) } else { Console.out(summary) }

        let rows = model.train.inputs.rows, batch = min(model.schedule.batchSize, rows)
        let bar = logFormat == .text && !noProgress && isatty(STDOUT_FILENO) == 1
            ? ProgressBar(epochs: model.schedule.epochs, stepsPerEpoch: (rows + batch - 1) / batch) : nil
        var warned: Set<String> = []
        let signals = SignalWatch()
        // DNNC_TIMING=1 reports the training loop's wall time on stderr (bench/run.py reads it); off by
        // default, so that a run's output stays the same bytes every time.
        let timing = ProcessInfo.processInfo.environment["DNNC_TIMING"] == "1"
        let started = DispatchTime.now().uptimeNanoseconds
        let options = TrainingOptions(stopWhenDead: !keepGoing, watchHealth: true, stopRequested: { signals.received != nil },
                                      checkpointEvery: checkpoints?.policy.every)
        let result = trainer.train(options, progress: bar.map { bar in { bar.update(epoch: $0, cost: $1) } },
                                   checkpoint: { epoch in
                                       guard let checkpoints, checkpointFailure == nil else { return }
                                       let (tensors, metadata) = trainer.checkpointState()
                                       do throws(CheckpointError) { try checkpoints.write(SafeTensors.encode(tensors, metadata: metadata), epoch: epoch) } catch {
                                           // Training goes on; later checkpoints are not attempted.
                                           checkpointFailure = error.description
                                           Console.error("dnnc: warning: checkpoints stop after epoch \(epoch): \(error.description)")
                                       }
                                   }) { log in
            let line = RunReport.logLine(log, format: logFormat, epochs: model.schedule.epochs)
            if let bar { bar.print(line) } else { Console.out(line) }
            for warning in RunReport.healthWarnings(log) where warned.insert(warning.layer).inserted {
                Console.error(warning.text)
            }
        }
        bar?.finish()
        if timing {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            Console.error("dnnc-timing: training \(Format.c("%.6f", seconds)) s, \(trainer.steps) steps, evaluation passes \(Format.c("%.6f", trainer.evaluationSeconds)) s")
        }

        if let plot {
            try write(Array(Plot.costCurve(result.costs, validation: result.validationLosses, title: "\(model.name): cost per epoch").utf8), to: plot)
        }
        if case .interrupted(let epoch, let step) = result.end {
            let signal = signals.received ?? SIGINT
            Console.error("dnnc: stopped by \(signal == SIGTERM ? "SIGTERM" : "SIGINT") during epoch \(epoch), after step \(step)")
            if let checkpoints, let newest = checkpoints.newest() {
                Console.error("  note: go on exactly from \(newest.path) (after epoch \(newest.epoch)) with `dnnc run \(spec) --resume`")
            }
            if let save {
                try writeCheckpoint(trainer, to: save)
                Console.error("  note: \(save) holds the parameters after step \(step); go on from them with `dnnc run \(spec) --init-from \(save) --epochs \(max(1, model.schedule.epochs - epoch))` (the optimizer's state starts fresh)")
            } else {
                Console.error("  note: nothing was saved; give --save to keep the parameters of an interrupted run")
            }
            throw ExitCode(128 + signal)
        }
        if case .nonFinite(let fault) = result.end {
            Console.error("dnnc: error: training diverged: \(fault.description)")
            Console.error("  help: lower the learning rate, or normalize the inputs and targets")
            if let save {
                trainer.restore(parameters: result.lastFiniteParameters)
                try writeCheckpoint(trainer, to: save)
                let when = result.lastFiniteEpoch < 0 ? "the initial parameters" : "the parameters after epoch \(result.lastFiniteEpoch)"
                Console.error("  note: \(save) holds the last finite parameters: \(when)")
            }
            throw trainingFailed
        }

        let inputs = model.train.inputs
        Console.out(RunReport.predictions(inputs: inputs, predictions: trainer.predict(inputs),
                                          targets: model.train.targets, format: logFormat, classes: model.classes,
                                          outputActivation: model.layers.last!.activation))
        if model.loss.isClassification, logFormat == .text {
            Console.out(Metrics.classificationReport(model, trainer: trainer))
        }
        if let save {
            try writeCheckpoint(trainer, to: save)
        }
        if let saveBest, let best = result.best {
            let final = (trainer.parameters(), trainer.statistics())
            trainer.restore(parameters: best.parameters)
            trainer.restore(statistics: best.statistics)
            try writeCheckpoint(trainer, to: saveBest)
            trainer.restore(parameters: final.0)
            trainer.restore(statistics: final.1)
            Console.error("dnnc: \(saveBest) holds the parameters of epoch \(best.epoch), whose validation loss \(Format.c("%.6g", result.validationLosses.first { $0.epoch == best.epoch }!.loss)) is the lowest")
        }
        switch result.end {
        case .dead(let diagnosis):
            Console.error("dnnc: " + diagnosis.explanation)
        case .exact(let epoch):
            Console.error("dnnc: training stopped after epoch \(epoch): the cost is exactly 0, nothing is left to learn")
        case .earlyStopped(let best):
            let rule = model.schedule.earlyStopping!
            Console.error("dnnc: early stopping after epoch \(result.costs.count - 1): \(rule.monitor) has not improved for \(rule.patience) evaluation\(rule.patience == 1 ? "" : "s"); the best was epoch \(best)"
                + (rule.restoreBest ? ", whose parameters are kept" : ""))
        case .completed where result.outputDead:
            let output = result.deadAtEnd.last!
            Console.error("dnnc: note: the output layer `\(output.name)` ends dead: all \(output.units) of its units pass no gradient for any sample")
        default:
            break
        }
        if failOnDead, result.outputDead { throw trainingFailed }
    }

    /// Refuses an output path that names an input (the spec, a data file, --init-from), before training.
    private func checkOutputsAreNotInputs(inputs: [String]) throws {
        let canonicalInputs = Set(inputs.compactMap(FilePolicy.canonical))
        for (option, output) in [("--save", save), ("--save-best", saveBest), ("--plot", plot)] {
            guard let output else { continue }
            let url = URL(fileURLWithPath: output)
            let folder = FilePolicy.canonical(url.deletingLastPathComponent().path) ?? url.deletingLastPathComponent().path
            let target = FilePolicy.canonical(output) ?? (folder as NSString).appendingPathComponent(url.lastPathComponent)
            if canonicalInputs.contains(target) {
                throw Console.fail("\(option) \(output) would overwrite an input of this run; choose another path")
            }
        }
        let outputs = [save, saveBest, plot].compactMap { $0 }.map { FilePolicy.canonical($0) ?? $0 }
        if Set(outputs).count != outputs.count {
            throw Console.fail("two outputs of this run name the same file; choose different paths")
        }
    }

    /// Writes the network's parameters as a checkpoint with the metadata prediction needs (the
    /// normalization, the classes, the model's hash), refusing non-finite values.
    private func writeCheckpoint(_ trainer: Trainer, to path: String) throws {
        let tensors = trainer.network.checkpointTensors()
        if let bad = tensors.first(where: { !$0.tensor.values.allSatisfy(\.isFinite) }) {
            throw Console.fail("not writing \(path): tensor `\(bad.name)` holds non-finite values")
        }
        try write(SafeTensors.encode(tensors, metadata: CheckpointMetadata(trainer).strings), to: path)
    }

    /// Writes a file whole or not at all.
    private func write(_ bytes: [UInt8], to path: String) throws {
        do { try SafeTensors.writeAtomically(bytes, to: path) } catch { throw Console.fail(error.description) }
    }
}

extension LogFormat: ExpressibleByArgument {}

/// train.checkpoint's folder: `epoch-NNNNNN.safetensors` files, the newest `keep` of them kept.
struct CheckpointFolder {
    let policy: CheckpointPolicy
    /// The folder, resolved against the spec's folder (the working directory for a spec on stdin).
    let folder: String

    init(policy: CheckpointPolicy, specPath: String) {
        self.policy = policy
        let base = specPath == "<stdin>" ? FileManager.default.currentDirectoryPath : URL(fileURLWithPath: specPath).deletingLastPathComponent().path
        folder = policy.folder.hasPrefix("/") ? policy.folder : (base as NSString).appendingPathComponent(policy.folder)
    }

    /// The checkpoints in the folder, oldest first.
    func list() -> [(path: String, epoch: Int)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.compactMap { name -> (String, Int)? in
            guard name.hasPrefix("epoch-"), name.hasSuffix(".safetensors"),
                  let number = Int(name.dropFirst(6).dropLast(12)) else { return nil }
            return ((folder as NSString).appendingPathComponent(name), number)
        }.sorted { $0.1 < $1.1 }
    }

    func newest() -> (path: String, epoch: Int)? { list().last }

    /// Writes the checkpoint of `epoch` (counted from 0) atomically, then deletes all but the newest `keep`.
    func write(_ bytes: [UInt8], epoch: Int) throws(CheckpointError) {
        let name = "epoch-" + String(format: "%06d", epoch) + ".safetensors"
        try SafeTensors.writeAtomically(bytes, to: (folder as NSString).appendingPathComponent(name))
        for old in list().dropLast(policy.keep) { unlink(old.path) }
    }
}
