// `dnnc run spec.yaml`: compile, train while watching for dead units and non-finite values, print
// the log and the predictions, optionally save the parameters and plot the cost.

import ArgumentParser
import DNNCore
import DNNExport
import Foundation
import Synchronization

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

/// The one check of every file a command will write, before any work (FilePolicy.checkOutputs):
/// options without a value are skipped; inputs are the spec (unless on stdin), its data and the
/// files the command reads. A refusal is a usage error (exit 2).
func checkOutputs(_ outputs: [(option: String, path: String?)], inputs: [String?]) throws {
    let named = outputs.compactMap { output in output.path.map { (option: output.option, path: $0) } }
    do { try FilePolicy.checkOutputs(named, inputs: inputs.compactMap { $0 }.filter { $0 != "<stdin>" && $0 != "-" }) } catch {
        throw Console.fail(error.description)
    }
}

/// Exit code 3: training failed (a non-finite value, or a dead network with --fail-on-dead).
let trainingFailed = ExitCode(3)

/// SIGINT and SIGTERM during training: remembered, so the trainer stops after the step under way.
/// Plain signal handlers that set an atomic, with no thread or dispatch queue behind them: where no
/// thread can be started (a process limit reached on a loaded machine), a dispatch signal source
/// waited for one for ever, and dnnc hung before its first epoch.
final class SignalWatch: Sendable {
    init() {
        // The handler reads these globals: they are initialized here, never first inside it.
        SignalWatch.received.store(0, ordering: .relaxed)
        _ = SignalWatch.grace
        var signals = sigset_t()
        sigemptyset(&signals)
        for number in [SIGINT, SIGTERM, SIGALRM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { number in SignalWatch.handle(number) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
            sigaddset(&signals, number)
        }
        // A parent that started dnnc from a thread blocking signals (Foundation's Process does, from a
        // dispatch thread) leaves them blocked here: unblocked, they reach this thread's handler.
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }

    deinit {
        // After the training loop, a signal ends the process at once, as it would without dnnc's watch.
        alarm(0)
        for number in [SIGINT, SIGTERM, SIGALRM] { Foundation.signal(number, SIG_DFL) }
    }

    /// The signal received, 0 for none.
    private static let received = Atomic<Int32>(0)

    /// The first signal asks the training loop to stop at the next step and save; a second one, or the
    /// loop not stopping within `grace` seconds (stuck in a library call: SIGALRM), ends the process at
    /// once with the signal's exit code, so SIGTERM and SIGINT always end dnnc. Only async-signal-safe
    /// calls here: an atomic, alarm, write and _exit.
    private static func handle(_ number: Int32) {
        if number == SIGALRM { exitNow(received.load(ordering: .relaxed)) }
        if received.compareExchange(expected: 0, desired: number, ordering: .relaxed).exchanged {
            alarm(grace)
        } else {
            exitNow(number)
        }
    }

    static let grace: UInt32 = 10

    private static func exitNow(_ number: Int32) -> Never {
        let text: StaticString = number == SIGTERM ? "dnnc: stopped by SIGTERM without saving\n" : "dnnc: stopped by SIGINT without saving\n"
        _ = write(STDERR_FILENO, text.utf8Start, text.utf8CodeUnitCount)
        _exit(128 + (number == SIGTERM ? SIGTERM : SIGINT))
    }

    var received: Int32? {
        let number = Self.received.load(ordering: .relaxed)
        return number == 0 ? nil : number
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

    @Option(name: .long, help: "Keep the run together in this new folder: the resolved spec, the jsonl log, the final (and best) weights, TensorBoard events, the cost plot, summary.json and report.html.")
    var out: String?

    @Option(name: .long, help: "Write TensorBoard event files into this folder (over the spec's train.tensorboard.path): each logged epoch's scalars, weight histograms, the resolved spec.")
    var tensorboard: String?

    @Flag(help: "Train on when the network is dead instead of stopping with a diagnosis.")
    var keepGoing = false

    @Option(help: "The most memory, in bytes, a run may plan to use (default: half the machine's, or what ulimit -v leaves if less).")
    var maxMemory: Int?

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
        var (compiled, model) = try compileOrExit(file, try overrides.parsed(), input.compileOptions)
        if let seed { model.seed = seed }
        if let epochs { model.schedule.epochs = epochs }
        let estimate = MemoryEstimate(model)
        // The default is computed once: what ulimit -v leaves shrinks as dnnc maps more.
        let room = maxMemory == nil ? SystemMemory.addressSpaceRoom : nil
        let limit = maxMemory ?? MemoryEstimate.defaultLimit(room: room)
        if estimate.bytes > limit {
            Console.error("\(file.path):1:1: error[E0306]: the model needs \(estimate.description), more than --max-memory (\(Format.bytes(limit)))")
            // A streamed set's batches read ahead count too: `prefetch` is one more thing to lower.
            let smaller = model.stream == nil ? "a smaller batch_size" : "a smaller batch_size or prefetch"
            if let stream = model.stream {
                Console.error("  note: \(Format.bytes(estimate.readAheadBytes)) of it are the streamed batches: `prefetch: \(stream.prefetch)` "
                              + "read ahead, and the one being loaded")
            }
            if let room, room < Int(ProcessInfo.processInfo.physicalMemory / 2) {
                Console.error("  note: the address-space limit (ulimit -v, \(Format.bytes(SystemMemory.addressSpaceLimit!))) leaves \(Format.bytes(max(room, 0))) beside what dnnc has mapped")
                Console.error("  help: use fewer units or \(smaller), or raise the limit")
            } else {
                Console.error("  help: use fewer units or \(smaller), or raise --max-memory")
            }
            throw ExitCode(1)
        }

        // --out: the run's folder, new or empty; what it holds stands in for the options not given.
        if let out {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: out, isDirectory: &isFolder) {
                guard isFolder.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: out))?.isEmpty == true else {
                    throw Console.fail("--out \(out) already exists and is not an empty folder; give a new name for the run")
                }
            }
            do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
                throw Console.fail("cannot create --out \(out): \(error.localizedDescription)")
            }
        }
        let save = self.save ?? out.map { $0 + "/model.safetensors" }
        let saveBest = self.saveBest ?? (model.validation == nil ? nil : out.map { $0 + "/best.safetensors" })
        let plot = self.plot ?? out.map { $0 + "/cost.svg" }
        let initial = try initFrom.map { try readCheckpoint($0, for: model, force: force, verb: "start from").tensors }
        if saveBest != nil && model.validation == nil {
            throw Console.fail("--save-best needs validation data: add `validation: {split: 0.2}` under `data:`")
        }
        try checkOutputs([("--save", save), ("--save-best", saveBest), ("--plot", plot)], inputs: [file.path, initFrom] + model.dataFiles)
        if let checkpoints = model.schedule.checkpoint {
            // The folder's epoch files are written and pruned by this run: no input or output of it may be one.
            for (option, path) in [("--init-from", initFrom), ("--save", save), ("--save-best", saveBest), ("--plot", plot)] {
                guard let path, checkpoints.manages(FilePolicy.target(of: path)) else { continue }
                throw Console.fail("\(option) \(path) is one of the checkpoints this run writes and prunes in \(checkpoints.folder); copy it elsewhere, or choose another path")
            }
        }

        let session: TrainingSession
        do { session = try TrainingSession(model: model, threads: threads, initial: initial, source: initFrom ?? "") } catch {
            throw Console.fail(error.description)
        }
        let trainer = session.trainer
        for notice in session.notices { Console.error("dnnc: warning: " + notice) }
        if resume {
            do {
                switch try session.resume() {
                case .resumed(let path, let epoch, let warning):
                    Console.error("dnnc: resuming from \(path), after epoch \(epoch)")
                    if let warning { Console.error("dnnc: warning: " + warning) }
                case .fromTheStart:
                    Console.error("dnnc: no checkpoint of this run in \(session.checkpoints!.folder) yet; starting from the beginning")
                }
            } catch {
                throw Console.fail(error.description)
            }
        }
        let summary = RunReport.summary(model)
        if logFormat == .jsonl { Console.error(summary) } else { Console.out(summary) }

        let rows = model.train.inputs.rows, batch = min(model.schedule.batchSize, rows)
        let bar = logFormat == .text && !noProgress && isatty(STDOUT_FILENO) == 1
            ? ProgressBar(epochs: model.schedule.epochs, stepsPerEpoch: (rows + batch - 1) / batch) : nil
        var watched = TrainingDiagnostics(model: model)
        let signals = SignalWatch()
        // DNNC_TIMING=1 reports the training loop's wall time on stderr (bench/run.py reads it); off by
        // default, so that a run's output stays the same bytes every time.
        let timing = ProcessInfo.processInfo.environment["DNNC_TIMING"] == "1"
        let started = DispatchTime.now().uptimeNanoseconds
        let options = TrainingOptions(stopWhenDead: !keepGoing, watchHealth: true, stopRequested: { signals.received != nil })
        // TensorBoard: the resolved spec once, each logged epoch's scalars, the weights every N epochs and after the last.
        let board = try tensorboardWriter(model, compiled)
        let histogramEvery = model.schedule.tensorboard?.histogramEvery ?? 10
        var lastHistogram = -1
        // --out's jsonl log, written as the run goes; the logs, for its report.
        let logFile = try out.map { folder -> FileHandle in
            let path = folder + "/log.jsonl"
            guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
                throw Console.fail("cannot write \(path)")
            }
            return handle
        }
        var logs: [EpochLog] = []
        func histograms(_ epoch: Int) {
            guard let board, epoch != lastHistogram else { return }
            board.histograms(step: epoch, trainer.network.checkpointTensors().map { ($0.name, $0.tensor.values) })
            lastHistogram = epoch
        }
        let result = session.train(options, progress: bar.map { bar in { bar.update(epoch: $0, cost: $1) } },
                                   warn: { Console.error("dnnc: warning: " + $0) }) { log in
            board?.log(log)
            logFile?.write(Data(RunReport.logLine(log, format: .jsonl, epochs: model.schedule.epochs).utf8))
            if out != nil { logs.append(log) }
            if log.epoch % histogramEvery == 0 { histograms(log.epoch) }
            let line = RunReport.logLine(log, format: logFormat, epochs: model.schedule.epochs)
            if let bar { bar.print(line) } else { Console.out(line) }
            for warning in watched.after(log, firstCost: trainer.firstCost ?? log.cost) {
                Console.error(RunReport.line(warning))
                if logFormat == .jsonl { Console.out(JSONValue.object([("diagnostic", DiagnosticFormats.object(warning, path: spec))]).compact + "\n") }
            }
        }
        bar?.finish()
        if trainer.epochsRun > 0 { histograms(trainer.epochsRun - 1) }
        if timing {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let forward = trainer.timeForwardPass().map { ", a forward pass \(Format.c("%.6f", $0)) s" } ?? ""
            let waited = trainer.loaderWaitSeconds.map { ", waiting for the loader \(Format.c("%.6f", $0)) s" } ?? ""
            Console.error("dnnc-timing: training \(Format.c("%.6f", seconds)) s, \(trainer.steps) steps, evaluation passes \(Format.c("%.6f", trainer.evaluationSeconds)) s\(forward)\(waited)")
        }

        if let plot {
            try write(Array(Plot.costCurve(result.costs, validation: result.validationLosses, title: "\(model.name): cost per epoch").utf8), to: plot)
        }
        if case .unreadableData(let message) = result.end {
            throw Console.fail("\(message); training stopped during epoch \(trainer.epochsRun - 1)")
        }
        if let error = trainer.dataError { throw Console.fail(error.message) }
        if case .interrupted(let epoch, let step) = result.end {
            let signal = signals.received ?? SIGINT
            Console.error("dnnc: stopped by \(signal == SIGTERM ? "SIGTERM" : "SIGINT") during epoch \(epoch), after step \(step)")
            if let newest = session.newestCheckpoint {
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
        if let diverged = watched.end(result) {
            Console.error("dnnc: \(diverged.severity.rawValue): \(diverged.message)")
            if let help = diverged.help { Console.error("  help: \(help)") }
            if logFormat == .jsonl { Console.out(JSONValue.object([("diagnostic", DiagnosticFormats.object(diverged, path: spec))]).compact + "\n") }
            if let save {
                trainer.restore(parameters: result.lastFiniteParameters)
                try writeCheckpoint(trainer, to: save)
                let when = result.lastFiniteEpoch < 0 ? "the initial parameters" : "the parameters after epoch \(result.lastFiniteEpoch)"
                Console.error("  note: \(save) holds the last finite parameters: \(when)")
            }
            throw trainingFailed
        }

        // The parameters are saved before anything is reported, so a report that fails cannot lose them.
        if let save {
            try writeCheckpoint(trainer, to: save)
        }
        RunReport.predictions(inputs: model.train.inputs, predictions: trainer.trainingPredictions, targets: model.train.targets, format: logFormat,
                              classes: model.classes, outputActivation: model.layers.last!.activation, positions: model.positions,
                              binary: ProbabilityOfOne(model.loss), names: model.sampleNames, write: Console.out)
        // A streamed set is read again for its predictions: a file that fails there is not reported as zeros.
        if let error = trainer.dataError { throw Console.fail("\(error.message); the predictions above are not the model's") }
        if model.loss.isClassification, logFormat == .text {
            Console.out(Metrics.classificationReport(model, trainer: trainer))
        }
        // The test set, once, with the final parameters: reported apart, never used to choose anything.
        var tested: (loss: Double, metrics: [Metric], line: String)? = nil
        if let test = model.test {
            let metrics = Metrics.measure(model, predictions: trainer.predict(test.inputs), targets: test.targets)
            let loss = trainer.evaluate(test)
            tested = (loss, metrics, RunReport.testLine(rows: test.inputs.rows, loss: loss, metrics: metrics, format: .text))
            Console.out(RunReport.testLine(rows: test.inputs.rows, loss: loss, metrics: metrics, format: logFormat))
        }
        if let out {
            try? logFile?.close()
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let classes = model.loss.isClassification ? Metrics.classificationReport(model, trainer: trainer) : nil
            let files: [(String, String)] = [
                ("spec.yaml", Resolver.resolve(compiled) ?? String(decoding: file.bytes, as: UTF8.self)),
                ("summary.json", RunFolder.summaryJSON(model: model, last: logs.last, test: tested?.metrics, testLoss: tested?.loss, seconds: seconds)),
                ("report.html", RunFolder.report(model: model, summary: summary, logs: logs, costs: result.costs, validation: result.validationLosses,
                                                 classes: classes, test: tested?.line, seconds: seconds)),
            ]
            for (name, text) in files { try write(Array(text.utf8), to: out + "/" + name) }
            Console.error("dnnc: the run is in \(out)/ (report.html, log.jsonl, model.safetensors, events/)")
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

    /// The TensorBoard writer for --tensorboard (relative to the working folder) or train.tensorboard, with
    /// the resolved spec written as its text; nil when neither asks for one.
    private func tensorboardWriter(_ model: ModelIR, _ compiled: CompileResult) throws -> TensorBoardWriter? {
        guard let folder = tensorboard ?? out.map({ $0 + "/events" }) ?? model.schedule.tensorboard?.folder else { return nil }
        do {
            let writer = try TensorBoardWriter(folder: folder)
            if let text = Resolver.resolve(compiled) { writer.text("spec", "```yaml\n" + text + "```\n") }
            return writer
        } catch {
            throw Console.fail(error.description)
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
