// `dnnc compare runs/A runs/B`: what differs between two run folders written by `dnnc run --out`: the
// resolved specs' values by key path, the final (and test) numbers of summary.json side by side, and
// the time.

import ArgumentParser
import DNNCore
import Foundation

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what differs between two runs written by `dnnc run --out`.",
        discussion: """
            Reads each folder's spec.yaml (the resolved spec) and summary.json: the spec values that \
            differ, by key path, then every final and test number side by side with B − A, then the time.
            """)

    @Argument(help: "The first run's folder.")
    var a: String

    @Argument(help: "The second run's folder.")
    var b: String

    func run() throws {
        let (specA, numbersA) = try read(a), (specB, numbersB) = try read(b)
        var out = "spec (\(a) → \(b)):\n"
        let keys = Array(Set(specA.keys).union(specB.keys)).sorted { order($0, specA, specB) < order($1, specA, specB) }
        var differing = 0
        for key in keys where specA[key]?.value != specB[key]?.value {
            out += "  \(key): \(specA[key]?.value ?? "(absent)") → \(specB[key]?.value ?? "(absent)")\n"
            differing += 1
        }
        if differing == 0 { out += "  the same\n" }
        out += "results:\n"
        var rows: [[String]] = [["", "A", "B", "B − A"]]
        let names = numbersA.map(\.0) + numbersB.map(\.0).filter { name in !numbersA.contains { $0.0 == name } }
        for name in names where name != "seconds" {
            let x = numbersA.first { $0.0 == name }?.1, y = numbersB.first { $0.0 == name }?.1
            rows.append([name, x.map(g) ?? "-", y.map(g) ?? "-", x.flatMap { x in y.map { g($0 - x) } } ?? "-"])
        }
        if let x = numbersA.first(where: { $0.0 == "seconds" })?.1, let y = numbersB.first(where: { $0.0 == "seconds" })?.1 {
            rows.append(["time (s)", Format.c("%.2f", x), Format.c("%.2f", y), Format.c("%+.2f", y - x)])
        }
        out += RunReport.table(rows, rightAligned: [1, 2, 3])
        Console.out(out)
    }

    func g(_ x: Double) -> String { Format.c("%.6g", x) }

    /// Where a key path first appears in the specs, so that the listing follows the spec's order.
    func order(_ key: String, _ a: [String: (line: Int, value: String)], _ b: [String: (line: Int, value: String)]) -> Int {
        a[key]?.line ?? b[key]?.line ?? Int.max
    }

    /// A run folder's resolved spec flattened to key paths (`train.optimizer.adam.lr`, `model.layers[0].dense.units`)
    /// and its summary's numbers, in their order.
    func read(_ folder: String) throws -> ([String: (line: Int, value: String)], [(String, Double)]) {
        let specPath = folder + "/spec.yaml", summaryPath = folder + "/summary.json"
        guard let specData = FileManager.default.contents(atPath: specPath), let summaryData = FileManager.default.contents(atPath: summaryPath) else {
            throw Console.fail("\(folder) is not a run folder: it needs spec.yaml and summary.json, which `dnnc run --out \(folder)` writes")
        }
        var bag = DiagnosticBag()
        guard let root = YAMLParser.parse(SourceFile(path: specPath, bytes: Array(specData)), diagnostics: &bag) else {
            throw Console.fail("\(specPath) is not a YAML spec")
        }
        var flat: [String: (line: Int, value: String)] = [:]
        func walk(_ node: YAMLNode, _ path: String) {
            switch node.content {
            case .scalar:
                flat[path] = (node.range.start.line, node.scalarText ?? "")
            case .sequence(let items):
                if items.isEmpty { flat[path] = (node.range.start.line, "[]") }
                for (i, item) in items.enumerated() { walk(item, "\(path)[\(i)]") }
            case .mapping(let pairs):
                for pair in pairs { walk(pair.value, path.isEmpty ? (pair.key.scalarText ?? "?") : path + "." + (pair.key.scalarText ?? "?")) }
            }
        }
        walk(root, "")
        guard let object = (try? JSONSerialization.jsonObject(with: summaryData)) as? [String: Any] else {
            throw Console.fail("\(summaryPath) is not a JSON object")
        }
        // JSONSerialization forgets the order: the summary's keys in the order its text has them.
        let text = String(decoding: summaryData, as: UTF8.self)
        let numbers = object.compactMap { key, value -> (String, Double)? in
            guard let n = value as? NSNumber else { return nil }  // summary.json holds numbers and two strings
            return (key, n.doubleValue)
        }.sorted { (text.range(of: "\"\($0.0)\"")?.lowerBound ?? text.endIndex) < (text.range(of: "\"\($1.0)\"")?.lowerBound ?? text.endIndex) }
        return (flat, numbers)
    }
}
