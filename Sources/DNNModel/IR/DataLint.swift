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
        // The target's keys, for the columns' leakage rule only: a streamed set or an image folder has no
        // column to judge, and a key per row with a Set of them raised `check`'s peak RSS at 1.4 million
        // rows from 61 MB to 94 MB.
        let targetKeys: [CellKey]? = columns > 0 && train.targets.columns == 1 ? (0 ..< n).map { CellKey(train.targets.cell($0)) } : nil
        let targetsVary = targetKeys.map { keys in keys.contains { $0 != keys[0] } } ?? false
        let regression = !loss.isClassification && !loss.isBinary
        for c in 0 ..< columns {
            let label = table.header.map { "`\($0[c])`" } ?? "column \(c + 1)"
            let cells = (0 ..< n).map { table.cell($0 * table.columns + c) }
            let numbers = cells.compactMap { if case .number(let x) = $0 { return x } else { return nil } }
            let allText = numbers.isEmpty, allNumbers = numbers.count == n
            // The cells' keys, and how many differ: a column of numbers (every column of a .npy) without
            // a key per cell; a Set of them took most of `check`'s time on W2's data.
            let keys = allNumbers ? [] : cells.compactMap(CellKey.init(present:))
            let missing = allNumbers ? 0 : n - keys.count
            if 2 * missing > n {
                dataWarning(.mostlyMissing, "\(label) is empty in \(missing) of the \(n) training rows", train.inputs, column: c, source: train.inputsSource,
                            help: "leave it out of the inputs, or fill it with `data.missing` and add `indicator: true` so the model sees where it was empty")
                continue
            }
            let distinct: Int, someValue: String?
            if allNumbers {
                distinct = Self.distinctCount(numbers)
                someValue = Format.number(numbers[0])
            } else {
                let set = Set(keys)
                (distinct, someValue) = (set.count, set.first?.text)
            }
            if distinct <= 1 {
                dataWarning(.constantColumn, "\(label) holds one value" + (someValue.map { " (`\(Format.printable($0))`)" } ?? "") + " in every training row, which tells the model nothing",
                            table, column: c, source: train.inputsSource, help: "leave it out of the inputs")
                continue
            }
            if distinct == n, allText || (allNumbers && numbers.allSatisfy { $0 == $0.rounded() } && numbers.max()! - numbers.min()! == Double(n - 1)) {
                dataWarning(.idLikeColumn, "\(label) has a different value in each of the \(n) training rows, like a row ID: the model can memorize rows by it and learns nothing that carries over",
                            table, column: c, source: train.inputsSource, help: "leave it out of the inputs (`columns: {exclude: [...]}`)")
                continue
            }
            guard let targetKeys else { continue }
            // Leakage: the target itself, a column each of whose values comes with one target value, or
            // (a regression) a linear function of the target.
            var leak: String? = nil
            if missing == 0, zip(cells, targetKeys).allSatisfy({ CellKey($0) == $1 }) {
                leak = "equals the target"
            } else if 2 * distinct <= n, targetsVary {
                var seen: [CellKey: CellKey] = [:]
                if zip(cells, targetKeys).allSatisfy({ cell, target in
                    guard let k = CellKey(present: cell) else { return true }
                    if let before = seen[k] { return before == target }
                    seen[k] = target
                    return true
                }) {
                    leak = "determines the target: each of its \(distinct) values comes with one target value in every training row"
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
        let trainData = train.data.inputs
        guard !trainData.isStreamed else { return }
        // The rows a split holds out (drawn once, by splitOrder): the first `held` of its order.
        var heldOut = Set<Int>()
        if case .split(let fraction)? = spec.data.validation,
           let (order, held) = splitOrder(rows: trainData.rows, fraction: fraction.value, at: fraction.range, inTimeOrder: spec.data.train.isSeries) {
            heldOut = Set(order[..<held])
        }
        let seen = RowIndex(trainData, rows: (0 ..< trainData.rows).filter { !heldOut.contains($0) })
        var sets: [(String, ReadSet, [Int])] = []
        if !heldOut.isEmpty { sets.append(("validation split", train, heldOut.sorted())) }
        for (role, name) in [(SetRole.validation, "validation"), (.test, "test")] {
            if let set = read[role] { sets.append((name, set, Array(0 ..< set.data.inputs.rows))) }
        }
        for (name, set, rows) in sets {
            let repeated = rows.compactMap { r in seen.first(equalTo: set.data.inputs.row(r)).map { (r, $0) } }
            guard let (first, twin) = repeated.first else { continue }
            // Images are named by their paths: the first held-out one and the training image it repeats.
            if case .images(let source, _) = set.inputsSource.origin, let shown = imageSets[source.images.value]?.shown,
               case .images(let trainSource, _) = train.inputsSource.origin, let trainShown = imageSets[trainSource.images.value]?.shown {
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

    /// How many of the numbers differ (0 and -0 alike, every NaN alike), counted in an open-addressed
    /// table under a multiplicative hash: Swift's Set hashes each key with SipHash, which took most
    /// of `check`'s time on the 6.4 million cells of W2's data.
    static func distinctCount(_ numbers: [Double]) -> Int {
        let shift = max(4, (2 * numbers.count).bitWidth - (2 * numbers.count).leadingZeroBitCount), size = 1 << shift
        var slots = [UInt64](repeating: 0, count: size), used = [Bool](repeating: false, count: size), count = 0
        for x in numbers {
            let key = CellKey.bits(x)
            var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - shift))
            while used[i], slots[i] != key { i = (i + 1) & (size - 1) }
            if !used[i] { (used[i], slots[i], count) = (true, key, count + 1) }
        }
        return count
    }

    /// Rows of a matrix found by their values (Float's ==, so 0 equals -0 and a row with a NaN equals
    /// none), under a hash of their bits: a Set of [Float] hashed each value through SipHash.
    struct RowIndex {
        private let matrix: DataMatrix
        private var buckets: [UInt64: [Int]] = [:]

        init(_ matrix: DataMatrix, rows: [Int]) {
            self.matrix = matrix
            for r in rows { buckets[Self.hash(matrix.row(r)), default: []].append(r) }
        }

        /// The first indexed row equal to `row`, nil if none is.
        func first(equalTo row: ArraySlice<Float>) -> Int? {
            buckets[Self.hash(row)]?.first { matrix.row($0).elementsEqual(row) }
        }

        private static func hash(_ row: ArraySlice<Float>) -> UInt64 {
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            for x in row { h = (h ^ UInt64(x == 0 ? 0 : x.bitPattern)) &* 0x0000_0100_0000_01B3; h ^= h >> 29 }
            return h
        }
    }

    /// A cell as the rules compare cells: equal exactly when TabularEncoder's texts of the cells are
    /// equal (a number's text is its shortest round-trip form: equal numbers, 0 and -0, and every NaN
    /// have one; a quoted "1" is text that reads as the number 1), without making that text for every
    /// number: the columns of an 8192 × 784 .npy took `check` 2 s as text.
    struct CellKey: Hashable {
        private enum Value: Hashable { case number(UInt64), text(String), missing }
        private let value: Value

        /// A number's key: one for 0 and -0, one for every NaN.
        static func bits(_ x: Double) -> UInt64 { x.isNaN ? Double.nan.bitPattern : x == 0 ? 0 : x.bitPattern }

        init(_ cell: TableCell) {
            switch cell {
            case .number(let x): value = .number(Self.bits(x))
            case .text(let s):
                let x = DataFiles.number(s) ?? ["nan": .nan, "inf": .infinity, "-inf": -.infinity][s]
                value = x.map { Format.number($0) == s ? .number(Self.bits($0)) : .text(s) } ?? .text(s)
            case .missing: value = .missing
            }
        }

        /// The key of a cell that is not empty, nil for an empty one.
        init?(present cell: TableCell) {
            if case .missing = cell { return nil }
            self.init(cell)
        }

        /// The cell's text, for a message.
        var text: String {
            switch value {
            case .number(let bits): Format.number(Double(bitPattern: bits))
            case .text(let s): s
            case .missing: ""
            }
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
