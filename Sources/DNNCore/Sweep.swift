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
    public static func run(_ models: [ModelIR], seeds: [UInt64], jobs: Int, stopWhenDead: Bool) -> [SweepRun] {
        let tasks = models.indices.flatMap { v in seeds.map { (v, $0) } }
        let results = ResultSlots(count: tasks.count)
        let workers = max(1, min(jobs, tasks.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let index = results.claim() {
                let (v, seed) = tasks[index]
                var model = models[v]
                model.seed = seed
                let trainer = Trainer(model: model)
                let result = trainer.train(TrainingOptions(stopWhenDead: stopWhenDead)) { _ in }
                results.store(index, SweepRun(
                    variant: v, seed: seed, finalCost: result.costs.last ?? .nan, bestEpoch: result.bestEpoch,
                    epochsRun: result.costs.count, dead: result.deadAtEnd.filter { $0.dead > 0 },
                    outcome: classify(result)))
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
            let spread = costs.isEmpty ? "" : "; final cost min \(g(costs.min()!)), median \(g(Plot.median(costs)!)), max \(g(costs.max()!))"
            return "\(variant.label): " + counts.joined(separator: ", ") + spread + "\n"
        }.joined()
    }

    public static func table(_ runs: [SweepRun], _ variants: [SweepVariant], format: SweepFormat) -> String {
        switch format {
        case .text:
            var rows: [[String]] = [["variant", "seed", "final cost", "best epoch", "epochs", "dead units", "outcome"]]
            for run in runs {
                rows.append([variants[run.variant].label, String(run.seed), g(run.finalCost), String(run.bestEpoch),
                             String(run.epochsRun), deadText(run.dead), run.outcome.rawValue])
            }
            return RunReport.table(rows, rightAligned: [1, 2, 3, 4]) + "\n" + summary(runs, variants)
        case .csv:
            var out = "variant,seed,final_cost,best_epoch,epochs,dead_units,outcome\n"
            for run in runs {
                out += [csv(variants[run.variant].label), String(run.seed), g(run.finalCost), String(run.bestEpoch),
                        String(run.epochsRun), csv(deadText(run.dead)), run.outcome.rawValue].joined(separator: ",") + "\n"
            }
            return out
        case .json:
            let items = runs.map { run -> JSONValue in
                .object([("variant", .string(variants[run.variant].label)), ("seed", .int(Int(run.seed))),
                         ("final_cost", .number(run.finalCost)), ("best_epoch", .int(run.bestEpoch)),
                         ("epochs", .int(run.epochsRun)),
                         ("dead_units", .object(run.dead.map { ($0.name, .int($0.dead)) })),
                         ("outcome", .string(run.outcome.rawValue))])
            }
            let summaries = variants.enumerated().map { v, variant -> JSONValue in
                let mine = runs.filter { $0.variant == v }
                return .object([("variant", .string(variant.label))]
                               + Outcome.allCases.map { o in (o.rawValue, .int(mine.filter { $0.outcome == o }.count)) }
                               + [("runs", .int(mine.count))])
            }
            return JSONValue.object([("runs", .array(items)), ("summary", .array(summaries))]).pretty + "\n"
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
