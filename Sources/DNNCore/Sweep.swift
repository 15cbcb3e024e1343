// `dnnc sweep`: one spec trained once per seed, and per combination of varied values, in parallel over
// the cores; each run is deterministic, so the table is the same whatever the number of workers.
// Answers the study's question: how often does a start die, and does another activation avoid it?

import Dispatch
import Foundation
import DNNSyntax
import DNNModel
import DNNCheckpoint

/// How a run ended, in one word.
public enum Outcome: String, Sendable, CaseIterable {
    /// The cost fell to at most `Sweep.convergedFraction` of its first epoch's.
    case converged
    /// Not converged, and still falling: the last tenth of the epochs lowered the best cost by more
    /// than `Sweep.plateauImprovement`. More epochs would help.
    case improving
    /// Not converged, and no longer falling.
    case plateaued
    /// The output layer is dead at the end: no gradient can reach anything.
    case dead
    /// A value became non-finite, or the cost ended above `Sweep.divergedFactor` times its start.
    case diverged
}

/// One combination of varied values: its label and the overrides that make it.
public struct SweepVariant: Sendable {
    public var label: String
    public var overrides: [Override]
}

public struct SweepRun: Sendable, Equatable {
    public var variant: Int
    public var seed: UInt64
    public var finalCost: Double
    public var bestEpoch: Int
    public var epochsRun: Int
    /// Per layer with dead units at the end: name, dead and all units.
    public var dead: [LayerHealth]
    public var outcome: Outcome
    /// The last logged epoch's validation loss and metrics (on the validation set when there is one).
    public var validationLoss: Double? = nil
    public var metrics: [Metric] = []

    /// The value a sweep ranks by: `cost` (the final cost), `val_loss`, or a metric's name.
    public func value(of name: String) -> Double? {
        switch name {
        case "cost": finalCost
        case "val_loss": validationLoss
        default: metrics.first { $0.name == name }?.value
        }
    }
}

/// A variant's place in a sweep's ranking: the ranked value's mean, standard deviation (population)
/// and best over its seeds.
public struct SweepRank: Sendable, Equatable {
    public var variant: Int
    public var mean: Double
    public var spread: Double
    public var best: Double
    public var runs: Int
}

public enum Sweep {
    public static let convergedFraction = 1e-3
    public static let divergedFactor = 10.0
    public static let plateauImprovement = 0.01

    /// `0..99` (inclusive), `3`, or `1,5,9`.
    public static func seeds(_ text: String) -> [UInt64]? {
        if let dots = text.range(of: "..") {
            guard let low = UInt64(text[..<dots.lowerBound]), let high = UInt64(text[dots.upperBound...]), low <= high,
                  high - low < 1_000_000 else { return nil }
            return Array(low...high)
        }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { UInt64($0) }
        guard !parts.isEmpty, !parts.contains(nil) else { return nil }
        return parts.map { $0! }
    }

    /// Splits `KEY=V1,V2,...` at the commas outside brackets, braces and quotes.
    public static func vary(_ argument: String) throws(OverrideError) -> [Override] {
        guard let equals = argument.firstIndex(of: "=") else {
            throw OverrideError("--vary", argument, "expected KEY=V1,V2,...", help: "e.g. --vary model.layers.fc3.dense.activation=relu,prelu")
        }
        let key = argument[..<equals]
        var values: [String] = [], current = "", depth = 0, quote: Character? = nil
        for c in argument[argument.index(after: equals)...] {
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if "[{".contains(c) {
                depth += 1
            } else if "]}".contains(c) {
                depth -= 1
            } else if c == ",", depth == 0 {
                values.append(current)
                current = ""
                continue
            }
            current.append(c)
        }
        values.append(current)
        let trimmed = values.map { $0.trimmingCharacters(in: .whitespaces) }
        guard !trimmed.contains("") else {
            throw OverrideError("--vary", argument, "an empty value in the list", help: "separate the values by single commas")
        }
        return try trimmed.map { value throws(OverrideError) in try Override("\(key)=\(value)", option: "--vary") }
    }

    /// The most variants (combinations of --vary values) a sweep compiles, and the most runs
    /// (variants × seeds) it trains: each variant is a compiled model held in memory.
    public static let maxVariants = 1_000, maxRuns = 1_000_000

    /// The number of variants and runs, refused before any is built when over the limits.
    public static func checkSize(_ varied: [[Override]], seeds: Int) throws(OverrideError) {
        var count = 1
        for values in varied {
            let (product, overflow) = count.multipliedReportingOverflow(by: values.count)
            guard !overflow, product <= maxVariants else {
                throw OverrideError("--vary", varied.map { "\($0.count) values" }.joined(separator: " × "),
                                    "the combinations exceed \(maxVariants) variants", help: "vary fewer keys or values per sweep")
            }
            count = product
        }
        guard count * seeds <= maxRuns else {
            throw OverrideError("--seeds", "\(seeds) seeds", "\(count) variant\(count == 1 ? "" : "s") × \(seeds) seeds exceed \(maxRuns) runs",
                                help: "use fewer seeds or variants")
        }
    }

    /// Every combination of the varied values, the first key varying slowest.
    public static func variants(_ varied: [[Override]]) -> [SweepVariant] {
        var combos: [[Override]] = [[]]
        for values in varied {
            combos = combos.flatMap { combo in values.map { combo + [$0] } }
        }
        return combos.map { combo in
            SweepVariant(label: combo.isEmpty ? "spec" : combo.map { "\(shortKey($0.path))=\($0.value)" }.joined(separator: " "),
                         overrides: combo)
        }
    }

    /// A key without its section: `model.layers.fc3.dense.activation` → `fc3.dense.activation`,
    /// `train.optimizer.sgd.lr` → `optimizer.sgd.lr`; a short key stays whole.
    static func shortKey(_ path: [String]) -> String {
        if path.starts(with: ["model", "layers"]), path.count > 2 { return path.dropFirst(2).joined(separator: ".") }
        return (path.count > 2 ? path.dropFirst() : path[...]).joined(separator: ".")
    }

    /// Trains every (variant, seed) pair on `jobs` threads; the runs come back ordered by variant, then seed.
    /// `observe` gives, per run, what to call with each logged epoch (a TensorBoard writer's log).
    public static func run(_ models: [ModelIR], seeds: [UInt64], jobs: Int, stopWhenDead: Bool,
                           observe: @Sendable (Int, UInt64) -> ((EpochLog) -> Void)? = { _, _ in nil }) -> [SweepRun] {
        let tasks = models.indices.flatMap { v in seeds.map { (v, $0) } }
        let results = ResultSlots(count: tasks.count)
        let workers = max(1, min(jobs, tasks.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = results.claim() {
                let (v, seed) = tasks[index]
                var model = models[v]
                model.seed = seed
                let trainer = Trainer(model: model)
                let observer = observe(v, seed)
                var last: EpochLog? = nil
                let result = trainer.train(TrainingOptions(stopWhenDead: stopWhenDead)) { log in
                    observer?(log)
                    last = log
                }
                results.store(index, SweepRun(
                    variant: v, seed: seed, finalCost: result.costs.last ?? .nan, bestEpoch: result.bestEpoch,
                    epochsRun: result.costs.count, dead: result.deadAtEnd.filter { $0.dead > 0 },
                    outcome: classify(result), validationLoss: last?.validationLoss, metrics: last?.metrics ?? []))
            }
        }
        return results.all()
    }

    public static func classify(_ result: TrainingResult) -> Outcome {
        if case .nonFinite = result.end { return .diverged }
        if case .dead = result.end { return .dead }
        if result.outputDead { return .dead }
        guard let first = result.costs.first, let last = result.costs.last else { return .plateaued }
        if !last.isFinite || last > divergedFactor * first { return .diverged }
        if last <= convergedFraction * first { return .converged }
        // The best cost of the last tenth of the epochs against the best before it.
        let window = max(1, result.costs.count / 10)
        let before = result.costs.dropLast(window).min() ?? first
        let recent = result.costs.suffix(window).min() ?? last
        return recent < (1 - plateauImprovement) * before ? .improving : .plateaued
    }

    /// Per variant: the count of each outcome and the final costs' minimum, median and maximum.
    public static func summary(_ runs: [SweepRun], _ variants: [SweepVariant]) -> String {
        variants.enumerated().map { v, variant in
            let mine = runs.filter { $0.variant == v }
            let counts = Outcome.allCases.map { outcome in "\(outcome.rawValue): \(mine.filter { $0.outcome == outcome }.count)/\(mine.count)" }
            let costs = mine.map(\.finalCost)
            let spread = costs.isEmpty ? "" : "; final cost min \(g(costs.min()!)), median \(g(costs.median!)), max \(g(costs.max()!))"
            return "\(variant.label): " + counts.joined(separator: ", ") + spread + "\n"
        }.joined()
    }

    /// What a sweep can rank by: the final cost, and with validation data its loss and metrics, as the
    /// runs logged them.
    public static func rankable(_ runs: [SweepRun]) -> [String] {
        ["cost"] + (runs.first?.validationLoss != nil ? ["val_loss"] : []) + (runs.first?.metrics.map(\.name) ?? [])
    }

    /// The quantity ranked by default: the validation loss when there is one, else the final cost.
    public static func defaultMetric(_ runs: [SweepRun]) -> String { runs.first?.validationLoss != nil ? "val_loss" : "cost" }

    /// The variants ordered by the mean of `metric` over their seeds, best first (Metric.higherIsBetter
    /// says which way); a run without a finite value is left out of its variant's figures.
    public static func ranking(_ runs: [SweepRun], _ variants: [SweepVariant], metric: String) -> [SweepRank] {
        let higher = Metric.higherIsBetter(metric)
        let ranks = variants.indices.compactMap { v -> SweepRank? in
            let values = runs.filter { $0.variant == v }.compactMap { $0.value(of: metric) }.filter(\.isFinite)
            guard !values.isEmpty else { return nil }
            let mean = values.reduce(0, +) / Double(values.count)
            let spread = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
            return SweepRank(variant: v, mean: mean, spread: spread, best: higher ? values.max()! : values.min()!, runs: values.count)
        }
        return ranks.sorted { a, b in a.mean != b.mean ? (higher ? a.mean > b.mean : a.mean < b.mean) : a.variant < b.variant }
    }

    /// The ranking as lines: `1. label  val_loss 0.123 ± 0.004 over 10 seeds, best 0.118`.
    static func rankingText(_ ranks: [SweepRank], _ variants: [SweepVariant], metric: String) -> String {
        var out = "ranked by \(metric), the mean over seeds (\(Metric.higherIsBetter(metric) ? "higher" : "lower") is better):\n"
        let width = variants.map(\.label.count).max() ?? 0
        for (k, rank) in ranks.enumerated() {
            let label = variants[rank.variant].label
            out += "  \(k + 1). \(label)\(String(repeating: " ", count: width - label.count))  \(g(rank.mean)) ± \(g(rank.spread)) over \(rank.runs) seed\(rank.runs == 1 ? "" : "s"), best \(g(rank.best))\n"
        }
        return out
    }

    public static func table(_ runs: [SweepRun], _ variants: [SweepVariant], format: SweepFormat, metric: String? = nil) -> String {
        let metric = metric ?? defaultMetric(runs)
        // With validation data, its loss and metrics beside the final cost (a table without stays as it was).
        let extra = runs.first?.validationLoss != nil ? rankable(runs).dropFirst() : []
        func extras(_ run: SweepRun) -> [String] { extra.map { name in run.value(of: name).map(g) ?? "-" } }
        let ranks = ranking(runs, variants, metric: metric)
        switch format {
        case .text:
            var rows: [[String]] = [["variant", "seed", "final cost"] + extra + ["best epoch", "epochs", "dead units", "outcome"]]
            for run in runs {
                rows.append([variants[run.variant].label, String(run.seed), g(run.finalCost)] + extras(run)
                             + [String(run.bestEpoch), String(run.epochsRun), deadText(run.dead), run.outcome.rawValue])
            }
            return RunReport.table(rows, rightAligned: Set(1 ... 4 + extra.count)) + "\n" + summary(runs, variants) + "\n"
                + rankingText(ranks, variants, metric: metric)
        case .csv:
            var out = (["variant", "seed", "final_cost"] + extra + ["best_epoch", "epochs", "dead_units", "outcome"]).joined(separator: ",") + "\n"
            for run in runs {
                out += ([csv(variants[run.variant].label), String(run.seed), g(run.finalCost)] + extras(run)
                        + [String(run.bestEpoch), String(run.epochsRun), csv(deadText(run.dead)), run.outcome.rawValue]).joined(separator: ",") + "\n"
            }
            return out
        case .json:
            let items = runs.map { run -> JSONValue in
                .object([("variant", .string(variants[run.variant].label)), ("seed", .int(Int(run.seed))),
                         ("final_cost", .number(run.finalCost))]
                        + extra.map { name in (name, run.value(of: name).map(JSONValue.number) ?? .null) }
                        + [("best_epoch", .int(run.bestEpoch)), ("epochs", .int(run.epochsRun)),
                           ("dead_units", .object(run.dead.map { ($0.name, .int($0.dead)) })),
                           ("outcome", .string(run.outcome.rawValue))])
            }
            let summaries = variants.enumerated().map { v, variant -> JSONValue in
                let mine = runs.filter { $0.variant == v }
                return .object([("variant", .string(variant.label))]
                               + Outcome.allCases.map { o in (o.rawValue, .int(mine.filter { $0.outcome == o }.count)) }
                               + [("runs", .int(mine.count))])
            }
            let ranking = JSONValue.object([("metric", .string(metric)), ("higher_is_better", .bool(Metric.higherIsBetter(metric))),
                                            ("variants", .array(ranks.map { r in
                                                .object([("variant", .string(variants[r.variant].label)), ("mean", .number(r.mean)),
                                                         ("spread", .number(r.spread)), ("best", .number(r.best)), ("runs", .int(r.runs))])
                                            }))])
            return JSONValue.object([("runs", .array(items)), ("summary", .array(summaries)), ("ranking", ranking)]).pretty + "\n"
        }
    }

    static func deadText(_ dead: [LayerHealth]) -> String {
        dead.isEmpty ? "-" : dead.map { "\($0.name) \($0.dead)/\($0.units)" }.joined(separator: " ")
    }

    static func g(_ x: Double) -> String { Format.c("%.6g", x) }

    static func csv(_ s: String) -> String {
        s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

public enum SweepFormat: String, Sendable, CaseIterable {
    case text, csv, json
}

/// The sweep's shared work list: a next-task counter and the result slots, behind one lock.
final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    private var slots: [SweepRun?]

    init(count: Int) { slots = [SweepRun?](repeating: nil, count: count) }

    func claim() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < slots.count else { return nil }
        next += 1
        return next - 1
    }

    func store(_ index: Int, _ run: SweepRun) {
        lock.lock(); defer { lock.unlock() }
        slots[index] = run
    }

    func all() -> [SweepRun] {
        lock.lock(); defer { lock.unlock() }
        return slots.map { $0! }
    }
}
