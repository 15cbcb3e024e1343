// Warnings about the data itself, found where the sets are read and located at the CSV file's header
// cell of the column (or row) concerned; inline data is located at its rows in the spec. Each rule needs
// at least `minimumRows` training rows, so that a tiny example set is not judged:
//   W0361 a column unique per row, like an ID        W0364 one class far rarer than another
//   W0362 a column with one value                    W0365 validation or test rows that are training rows
//   W0363 a column that equals or determines the target   W0366 a column mostly empty

import Foundation
import DNNSyntax

/// Which set a table was read for.
enum SetRole: Hashable {
    case train, validation, test
}

/// A set as read: its tables (for the data lint) and what they became.
struct ReadSet {
    var inputs: DataTable
    var inputsSource: DataSource
    var targets: DataTable
    var targetsSource: DataSource
    var data: Dataset
}

extension Builder {
    /// Training rows a data rule needs before it judges a set.
    static let minimumRows = 10
    /// The rarest class's share of the commonest's below which W0364 warns (1 : 10).
    static let imbalanceRatio = 0.1

    mutating func lintData(loss: Loss, classes: [String]?) {
        guard let train = read[.train] else { return }
        // Columns are judged in tables; images only by their classes and their duplicates; windows of a
        // text or a series not at all.
        let columns: Int
        switch train.inputsSource.origin {
        case .file, .inline: columns = train.inputs.streamed ? 0 : train.inputs.columns  // a streamed file's cells are on disk
        case .images: columns = 0
        default: return
        }
        let table = train.inputs, n = table.rows
        guard n >= Self.minimumRows else { return }
        let targetKeys: [String]? = train.targets.columns == 1 ? (0 ..< n).map { TabularEncoder.text(of: train.targets.cell($0)) ?? "" } : nil
        let regression = !loss.isClassification && !loss.isBinary
        for c in 0 ..< columns {
            let cells = (0 ..< n).map { table.cell($0 * table.columns + c) }
            let label = table.header.map { "`\($0[c])`" } ?? "column \(c + 1)"
            let keys = cells.compactMap(TabularEncoder.text(of:))
            let missing = n - keys.count
            if 2 * missing > n {
                dataWarning(.mostlyMissing, "\(label) is empty in \(missing) of the \(n) training rows", train.inputs, column: c, source: train.inputsSource,
                            help: "leave it out of the inputs, or fill it with `data.missing` and add `indicator: true` so the model sees where it was empty")
                continue
            }
            let distinct = Set(keys)
            if distinct.count <= 1 {
                dataWarning(.constantColumn, "\(label) holds one value" + (distinct.first.map { " (`\(Format.printable($0))`)" } ?? "") + " in every training row, which tells the model nothing",
                            table, column: c, source: train.inputsSource, help: "leave it out of the inputs")
                continue
            }
            let numbers = cells.compactMap { if case .number(let x) = $0 { return x } else { return nil } }
            let allText = numbers.isEmpty, allNumbers = numbers.count == n
            if distinct.count == n, allText || (allNumbers && numbers.allSatisfy { $0 == $0.rounded() } && numbers.max()! - numbers.min()! == Double(n - 1)) {
                dataWarning(.idLikeColumn, "\(label) has a different value in each of the \(n) training rows, like a row ID: the model can memorize rows by it and learns nothing that carries over",
                            table, column: c, source: train.inputsSource, help: "leave it out of the inputs (`columns: {exclude: [...]}`)")
                continue
            }
            guard let targetKeys else { continue }
            // Leakage: the target itself, a column each of whose values comes with one target value, or
            // (a regression) a linear function of the target.
            var leak: String? = nil
            if missing == 0, zip(keys, targetKeys).allSatisfy({ $0 == $1 }) {
                leak = "equals the target"
            } else if 2 * distinct.count <= n, Set(targetKeys).count >= 2 {
                var seen: [String: String] = [:]
                if zip(cells, targetKeys).allSatisfy({ cell, target in
                    guard let k = TabularEncoder.text(of: cell) else { return true }
                    if let before = seen[k] { return before == target }
                    seen[k] = target
                    return true
                }) {
                    leak = "determines the target: each of its \(distinct.count) values comes with one target value in every training row"
                }
            } else if regression, allNumbers, let r = Self.correlation(numbers, train.data.targets.values.map(Double.init)), abs(r) >= 0.99999 {
                leak = "is a linear function of the target (correlation \(Format.c("%.5f", r)))"
            }
            if let leak {
                dataWarning(.leakingColumn, "\(label) \(leak): a model trained on it learns nothing it could use where the target is unknown",
                            table, column: c, source: train.inputsSource,
                            help: "leave it out of the inputs unless it is known before the target is")
            }
        }
        // Imbalance among the classes of a one-column classification target.
        if loss.isClassification || loss.isBinary, train.data.targets.columns == 1 {
            var counts: [Float: Int] = [:]
            for y in train.data.targets.values where loss.ignoreIndex.map({ Float($0) != y }) ?? true { counts[y, default: 0] += 1 }
            if counts.count >= 2, let rare = counts.min(by: { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }),
               let common = counts.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }),
               Double(rare.value) < Self.imbalanceRatio * Double(common.value) {
                func name(_ k: Float) -> String { classes.flatMap { Int(k) < $0.count ? "`\($0[Int(k)])`" : nil } ?? "class \(Format.number(Double(k)))" }
                dataWarning(.classImbalance,
                            "the classes are imbalanced: \(name(rare.key)) has \(rare.value) training row\(rare.value == 1 ? "" : "s"), \(name(common.key)) \(common.value) (1 : \(common.value / max(rare.value, 1)))",
                            train.targets, column: 0, source: train.targetsSource,
                            help: "judge the model by the rare class's recall, precision and PR-AUC (`dnnc evaluate`), not by accuracy; collect more rows of it if you can")
            }
        }
        // Held-out rows that are training rows, as the model reads them (not for a streamed set, whose
        // images are not decoded before training).
        var seen = Set<[Float]>()
        let trainData = train.data.inputs
        guard !trainData.isStreamed else { return }
        // The rows a split holds out (drawn once, by splitOrder): the first `held` of its order.
        var heldOut = Set<Int>()
        if case .split(let fraction)? = spec.data.validation,
           let (order, held) = splitOrder(rows: trainData.rows, fraction: fraction.value, at: fraction.range, inTimeOrder: spec.data.train.isSeries) {
            heldOut = Set(order[..<held])
        }
        for r in 0 ..< trainData.rows where !heldOut.contains(r) { seen.insert(Array(trainData.row(r))) }
        var sets: [(String, ReadSet, [Int])] = []
        if !heldOut.isEmpty { sets.append(("validation split", train, heldOut.sorted())) }
        for (role, name) in [(SetRole.validation, "validation"), (.test, "test")] {
            if let set = read[role] { sets.append((name, set, Array(0 ..< set.data.inputs.rows))) }
        }
        for (name, set, rows) in sets {
            let repeated = rows.filter { seen.contains(Array(set.data.inputs.row($0))) }
            guard let first = repeated.first else { continue }
            // Images are named by their paths: the first held-out one and the training image it repeats.
            if case .images(let source, _) = set.inputsSource.origin, let shown = imageSets[source.images.value]?.shown,
               case .images(let trainSource, _) = train.inputsSource.origin, let trainShown = imageSets[trainSource.images.value]?.shown,
               let twin = (0 ..< trainData.rows).first(where: { !heldOut.contains($0) && trainData.row($0).elementsEqual(set.data.inputs.row(first)) }) {
                dataWarning(.duplicatedAcrossSets,
                            "\(repeated.count) of the \(rows.count) \(name) images \(repeated.count == 1 ? "is" : "are") identical to training images (\(shown[first]) is \(trainShown[twin])), so their loss measures memory, not generalization",
                            set.inputs, source: set.inputsSource, help: "remove the duplicates from one side before splitting")
                continue
            }
            dataWarning(.duplicatedAcrossSets,
                        "\(repeated.count) of the \(rows.count) \(name) rows \(repeated.count == 1 ? "is a training row" : "are training rows") too, so their loss measures memory, not generalization",
                        set.inputs, row: first, source: set.inputsSource,
                        help: "remove the duplicates from one side before splitting")
        }
    }

    /// Pearson's correlation of two equally long series; nil when either is constant.
    static func correlation(_ a: [Double], _ b: [Double]) -> Double? {
        guard a.count == b.count, a.count > 1 else { return nil }
        let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        guard saa > 0, sbb > 0 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }

    /// Reports a data warning at a column's header cell or a row's line in the CSV file, else at the
    /// data in the spec (the column or row named in the message).
    mutating func dataWarning(_ code: DiagnosticCode, _ message: String, _ table: DataTable, column: Int? = nil, row: Int? = nil,
                              source: DataSource, help: String) {
        var diagnostic = Diagnostic(code, message, at: source.range, help: help)
        if let name = source.fileName, !table.rowLines.isEmpty {
            let shown = name.value.hasPrefix("/") ? name.value : (file.path as NSString).deletingLastPathComponent.isEmpty
                ? name.value : (file.path as NSString).deletingLastPathComponent + "/" + name.value
            if let column, let header = table.headerLine {
                let spans = Self.fieldSpans(header.text), field = table.columnFields[column] - 1
                if field < spans.count {
                    diagnostic.range = SourceRange(start: SourceLocation(line: header.number, column: spans[field].lowerBound),
                                                   end: SourceLocation(line: header.number, column: spans[field].upperBound))
                    diagnostic.otherFile = OtherFile(path: shown, lineText: header.text)
                }
            } else if let row, let path = try? FilePolicy.resolve(name.value, specPath: file.path, allowOutsideRoot: options.allowOutsideRoot),
                      let bytes = FileManager.default.contents(atPath: path) {
                let line = table.rowLines[row], text = DataFiles.sourceLine([UInt8](bytes), line)
                diagnostic.range = SourceRange(start: SourceLocation(line: line, column: 1), end: SourceLocation(line: line, column: text.unicodeScalars.count + 1))
                diagnostic.otherFile = OtherFile(path: shown, lineText: text)
            }
            if diagnostic.otherFile != nil { diagnostic.notes = [DiagnosticNote("the data is read here", at: name.range)] }
        } else if let row {
            diagnostic.range = source.rowRange(row)
        }
        bag.report(diagnostic)
    }

    /// The character columns (from 1, end exclusive) of each field of a CSV line; a quoted field's
    /// commas are its own.
    static func fieldSpans(_ line: String) -> [Range<Int>] {
        var spans: [Range<Int>] = [], start = 1, column = 1, quoted = false
        for c in line.unicodeScalars {
            if c == "\"" { quoted.toggle() } else if c == ",", !quoted { spans.append(start ..< column); start = column + 1 }
            column += 1
        }
        spans.append(start ..< column)
        return spans
    }
}
