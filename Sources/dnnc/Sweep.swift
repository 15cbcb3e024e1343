// `dnnc sweep spec.yaml --seeds 0..99 [--vary KEY=V1,V2]`: the spec trained once per seed and
// combination, in parallel; a table per run and a summary of outcomes per combination.

import ArgumentParser
import DNNCore
import DNNExport
import Foundation

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Train a spec once per seed (and per combination of --vary values) and count the outcomes.",
        discussion: """
            Each run is classified: converged (the cost fell to 1/1000 of its first epoch's), improving \
            (not converged, but the last tenth of the epochs lowered the best cost by over 1%), plateaued \
            (neither), dead (the output layer passes no gradient), diverged (non-finite, or 10 times its \
            start). Dead runs stop early unless --keep-going.
            """)

    @Argument(help: "The spec file (YAML).")
    var spec: String

    @Option(help: "Seeds: A..B (inclusive), N, or a comma list.")
    var seeds: String = "0..9"

    @OptionGroup var overrides: SpecOverrides
    @OptionGroup var input: InputOptions

    @Option(help: ArgumentHelp("Sweep a value too (repeatable; one row per combination).", valueName: "key=v1,v2,..."))
    var vary: [String] = []

    @Option(help: "text, csv or json.")
    var format: SweepFormat = .text

    @Option(help: "Parallel runs (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Draw each combination's final costs into this SVG file.")
    var plot: String?

    @Flag(help: "Train dead runs to the end instead of stopping them.")
    var keepGoing = false

    @Option(help: "Rank the variants by this: cost (the final cost), val_loss, or a logged metric (val_accuracy, val_r2, ...). Default: val_loss with validation data, else cost.")
    var metric: String?

    @Option(help: "Write TensorBoard event files into this folder, one subfolder per variant and seed (<variant>/seed-<n>).")
    var tensorboard: String?

    func validate() throws {
        if Sweep.seeds(seeds) == nil { throw ValidationError("--seeds takes A..B, N or a comma list of seeds, got \(seeds)") }
        try requireCount(jobs, "--jobs", 1 ... 1024)
    }

    func run() throws {
        guard let file = readSpec(spec, limit: input.maxSpecSize) else { throw ExitCode(2) }
        let base = try overrides.parsed()
        let varied: [[Override]]
        do {
            varied = try vary.map { argument throws(OverrideError) in try Sweep.vary(argument) }
            try Sweep.checkSize(varied, seeds: Sweep.seeds(seeds)!.count)
        } catch {
            throw Console.fail(error.description)
        }
        let variants = Sweep.variants(varied)
        var models: [ModelIR] = []
        for (index, variant) in variants.enumerated() {
            // Warnings are the same for every variant but for the varied values: print the first's.
            let result: CompileResult
            do { result = try Compiler.compile(file, overrides: base + variant.overrides, options: input.compileOptions) } catch {
                throw Console.fail(error.description)
            }
            if index == 0 || result.model == nil { printDiagnostics(result) }
            guard let model = result.model else { throw ExitCode(1) }
            // Runs side by side would each hold their streams' batches and read the files at once.
            if model.stream != nil { throw Console.fail("dnnc sweep trains images held in memory: leave out the training set's `stream: true`") }
            models.append(model)
        }
        try checkOutputs([("--plot", plot)], inputs: [spec] + models.flatMap(\.dataFiles))
        // One TensorBoard run per variant and seed, named so that TensorBoard lists them side by side.
        var made: [String: TensorBoardWriter] = [:]
        if let folder = tensorboard {
            for (v, variant) in variants.enumerated() {
                for seed in Sweep.seeds(seeds)! {
                    let name = String(variant.label.map { $0.isLetter || $0.isNumber || "=.-_".contains($0) ? $0 : "_" })
                    do { made["\(v)/\(seed)"] = try TensorBoardWriter(folder: folder + "/" + name + "/seed-\(seed)") } catch {
                        throw Console.fail(error.description)
                    }
                }
            }
        }
        let writers = SendableWriters(made)
        let runs: [SweepRun] = Sweep.run(models, seeds: Sweep.seeds(seeds)!, jobs: jobs, stopWhenDead: !keepGoing) { v, seed in
            guard let writer = writers.all["\(v)/\(seed)"] else { return nil }
            return { writer.log($0) }
        }
        if let metric, !Sweep.rankable(runs).contains(metric) {
            throw Console.fail("--metric \(metric): the runs logged " + Sweep.rankable(runs).map { "`\($0)`" }.joined(separator: ", ")
                               + (Suggestions.didYouMean(metric, among: Sweep.rankable(runs)).map { "; " + $0 } ?? ""))
        }
        Console.out(Sweep.table(runs, variants, format: format, metric: metric))
        if let plot {
            let columns = variants.enumerated().map { v, variant in
                (label: variant.label, costs: runs.filter { $0.variant == v }.map(\.finalCost))
            }
            do {
                try SafeTensors.writeAtomically(Array(Plot.sweep(columns, title: "\(models[0].name): final cost per run").utf8), to: plot)
            } catch {
                throw Console.fail(error.description)
            }
        }
    }
}

extension SweepFormat: ExpressibleByArgument {}

/// The sweep's writers, each written by the one worker that trains its run.
struct SendableWriters: @unchecked Sendable {
    let all: [String: TensorBoardWriter]
    init(_ all: [String: TensorBoardWriter]) { self.all = all }
}
