// Fits a table's TabularEncoder on the training rows (Data/TabularEncoder.swift) and encodes every set
// with it, reporting what does not fit at the spec's keys and the file's cells. A table whose cells are
// all numbers, with no `data.types` or `data.missing` written, is read as before, without an encoder.

import DNNSyntax

extension Builder {
    /// Whether a set's input table goes through an encoder: the spec types columns or fills empty
    /// cells, or the training inputs (with a header) hold text or empty cells.
    func needsEncoder(_ table: DataTable) -> Bool {
        // A headerless file's text cell is a bad number, reported as such.
        !spec.data.types.isEmpty || spec.data.missing.isWritten || (table.firstText != nil && table.header != nil)
    }

    /// The training inputs' encoder, fitted on `rows` (the rows left after a validation split, or all).
    mutating func fitEncoder(_ table: DataTable, at source: DataSource, rows: [Int]) -> TabularEncoder? {
        let name = source.fileName?.value ?? "the inputs"
        guard let header = table.header else {
            let at = spec.data.types.first?.kind.range ?? spec.data.missing.strategy.writtenRange ?? source.range
            bag.error(.dataFile, "\(name) has no header row, and column types and empty cells are told apart by the columns' header names",
                      at: at, notes: [DiagnosticNote("the inputs are here", at: source.range)],
                      help: table.firstText != nil ? "give the file a header row naming its columns" : "give the file a header row, or leave data.types and data.missing out")
            return nil
        }
        // Columns are told apart by their names: predict and the exports read them so.
        if let twice = header.enumerated().first(where: { header[..<$0.offset].contains($0.element) })?.element {
            bag.error(.dataFile, "\(name)'s header names `\(twice)` twice, and the inputs' columns are read by their names", at: source.range,
                      help: "give the columns distinct names")
            return nil
        }
        // Every typed or filled column must be an input column.
        var valid = true
        let named = spec.data.types.map { ($0.column, $0.kind.range, "data.types") }
            + spec.data.missing.columns.map { ($0.column, $0.strategy.range, "data.missing.columns") }
        for (column, range, key) in named where !header.contains(column) {
            let guess = Suggestions.guess(column, among: header, at: range)
            bag.error(.dataFile, "\(key) names `\(column)`, which is not an input column of \(name)", at: range,
                      help: guess.help ?? "the input columns are " + header.map { "`\($0)`" }.joined(separator: ", "))
            valid = false
        }
        guard valid else { return nil }

        var columns: [TabularEncoder.Column] = []
        for (c, column) in header.enumerated() {
            let typed = spec.data.types.first { $0.column == column }, declared = typed?.kind
            var numbers: [Double] = [], texts: [String] = [], missingRows = 0
            var firstText: (row: Int, text: String)? = nil
            for r in rows {
                switch table.cell(r * table.columns + c) {
                case .number(let x): numbers.append(x)
                case .text(let s):
                    texts.append(s)
                    if firstText == nil { firstText = (r, s) }
                case .missing: missingRows += 1
                }
            }
            // The kind: declared, else numbers → numeric, two yes/no-like words → binary, other text → categorical.
            let kind: ColumnKind
            if let declared {
                kind = declared.value
                if kind == .numeric, let (r, text) = firstText {
                    bag.error(.dataFile, "\(table.place(r, c, name)): `\(Format.printable(text))` is not a number, and data.types makes `\(column)` numeric",
                              at: declared.range, notes: [DiagnosticNote("the inputs are here", at: source.range)],
                              help: "fix the cell, or make `\(column)` categorical")
                    valid = false
                    continue
                }
            } else if texts.isEmpty {
                kind = .numeric
            } else if !numbers.isEmpty, let (r, text) = firstText {
                bag.error(.dataFile, "\(table.place(r, c, name)): \(DataFiles.notANumber(Format.printable(text)))",
                          at: source.fileName?.range ?? source.range,
                          help: "\(numbers.count) of `\(column)`'s cells are numbers: fix the cell, or declare `types: {\(column): categorical}` under data: if the column holds categories")
                valid = false
                continue
            } else {
                kind = Self.binaryOrder(Set(texts)) != nil ? .binary : .categorical
            }
            let values = texts + numbers.map { Format.number($0) }
            var encoded = TabularEncoder.Column(name: column, kind: kind, embedding: typed?.embedding)
            switch kind {
            case .numeric: break
            case .binary:
                let distinct = Set(values)
                guard distinct.count == 2 else {
                    let listed = distinct.sorted().prefix(5).map { "`\(Format.printable($0))`" }.joined(separator: ", ")
                    bag.error(.dataFile, "`\(column)` is binary, but its training cells hold \(distinct.count) distinct value\(distinct.count == 1 ? "" : "s")" + (listed.isEmpty ? "" : ": \(listed)"),
                              at: declared?.range ?? source.range, help: "make it categorical")
                    valid = false
                    continue
                }
                encoded.categories = Self.binaryOrder(distinct) ?? distinct.sorted()
            case .categorical:
                encoded.categories = Set(values).sorted()
            }
            guard !values.isEmpty else {
                bag.error(.dataFile, "`\(column)` is empty in every training row", at: source.range,
                          help: "leave the column out of the inputs' `columns`")
                valid = false
                continue
            }
            // Empty cells.
            let strategy = spec.data.missing.strategy(for: column)
            guard let fill = fillValue(strategy, kind: kind, numbers: kind == .binary ? values.map { Double(encoded.categories.firstIndex(of: $0)!) } : numbers,
                                       values: values, binary: encoded.categories, column: column,
                                       explicit: spec.data.missing.columns.contains { $0.column == column })
            else { valid = false; continue }
            switch fill {
            case .none: break
            case .number(let x): encoded.fill = x
            case .category(let text):
                // The fill is a category of its own when the training rows have empty cells.
                if missingRows > 0, !encoded.categories.contains(text) { encoded.categories = (encoded.categories + [text]).sorted() }
                encoded.fill = Double(TabularEncoder.slot(of: text, in: encoded.categories))
            }
            encoded.indicator = spec.data.missing.indicator && missingRows > 0
            columns.append(encoded)
        }
        return valid ? TabularEncoder(columns: columns) : nil
    }

    /// The order of a yes/no-like pair (no, false, 0, n, f first; any case), or nil for other values.
    static func binaryOrder(_ values: Set<String>) -> [String]? {
        guard values.count == 2 else { return nil }
        let pairs: [(String, String)] = [("no", "yes"), ("false", "true"), ("0", "1"), ("n", "y"), ("f", "t")]
        let sorted = values.sorted()
        for (no, yes) in pairs {
            if sorted[0].lowercased() == no, sorted[1].lowercased() == yes { return sorted }
            if sorted[1].lowercased() == no, sorted[0].lowercased() == yes { return [sorted[1], sorted[0]] }
        }
        return nil
    }

    enum Fill { case none, number(Double), category(String) }

    /// What an empty cell of a column becomes under a strategy. `numbers` are its training values as
    /// numbers (a binary column's as 0 and 1), `values` as categories (never empty), `binary` a binary
    /// column's two values in their order. A numeric strategy written for all columns (`missing: mean`)
    /// fills a categorical one with its most frequent category; written for that column, it is an error.
    mutating func fillValue(_ strategy: Located<FillStrategy>, kind: ColumnKind, numbers: [Double], values: [String],
                            binary: [String], column: String, explicit: Bool) -> Fill? {
        /// The most frequent value, the smallest among ties.
        func mostFrequent<T: Hashable & Comparable>(_ items: [T]) -> T {
            var counts: [T: Int] = [:]
            for item in items { counts[item, default: 0] += 1 }
            return counts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }!.key
        }
        switch (strategy.value, kind) {
        case (.error, _):
            return Fill.none
        case (.mean, .categorical), (.median, .categorical):
            if explicit {
                bag.error(.dataFile, "`\(column)` is categorical, which has no \(strategy.value.name)", at: strategy.range,
                          help: "use most_frequent or {constant: V} for it")
                return nil
            }
            return .category(mostFrequent(values))
        case (.mean, _):
            return .number(numbers.reduce(0, +) / Double(numbers.count))
        case (.median, _):
            return .number(numbers.median!)
        case (.mostFrequent, .categorical):
            return .category(mostFrequent(values))
        case (.mostFrequent, _):
            return .number(mostFrequent(numbers))
        case (.constant(let constant), .categorical):
            return .category(constant.categoryText)
        case (.constant(.number(let x)), _):
            return .number(x)
        case (.constant(.text(let text)), .numeric):
            bag.error(.dataFile, "`\(column)` is numeric, so its empty cells take a number, not `\(text)`", at: strategy.range,
                      help: "give a number, or a strategy for `\(column)` under data.missing.columns")
            return nil
        case (.constant(.text(let text)), .binary):
            guard let k = binary.firstIndex(of: text) else {
                bag.error(.dataFile, "`\(text)` is neither of `\(column)`'s values, `\(binary[0])` and `\(binary[1])`", at: strategy.range,
                          help: "give one of them, or 0 or 1")
                return nil
            }
            return .number(Double(k))
        }
    }

    /// A set's input table through the training encoder: one row of `encoder.width` values per row.
    mutating func encode(_ table: DataTable, with encoder: TabularEncoder, at source: DataSource) -> DataMatrix? {
        let name = source.fileName?.value ?? "the inputs"
        guard let header = table.header else {
            bag.error(.dataFile, "\(name) has no header row, but the training inputs are read by their columns' names", at: source.range,
                      help: "give the file the training file's header row")
            return nil
        }
        // The training columns by name, in the training order (another set may order them otherwise).
        var positions: [Int] = []
        for column in encoder.columns {
            guard let k = header.firstIndex(of: column.name) else {
                bag.error(.dataFile, "\(name) has no column `\(column.name)`, which the training inputs have", at: source.range,
                          help: "its columns are " + header.map { "`\($0)`" }.joined(separator: ", "))
                return nil
            }
            positions.append(k)
        }
        var values: [Float] = []
        values.reserveCapacity(table.rows * encoder.width)
        var unseen = [Int](repeating: 0, count: encoder.columns.count)
        for r in 0 ..< table.rows {
            do {
                try encoder.encode({ table.cell(r * table.columns + positions[$0]) }, into: &values, unseen: &unseen)
            } catch {
                bag.error(.dataFile, "\(table.place(r, positions[error.column], name)): \(error.message)",
                          at: source.fileName?.range ?? source.range, help: error.help)
                return nil
            }
        }
        return DataMatrix(rows: table.rows, columns: encoder.width, values: values)
    }

    /// The rows a validation split holds out, first in the returned order: the last `held` rows of a
    /// series (in time order), else a shuffle drawn from the seed. nil with an error when either side
    /// would be empty.
    /// Drawn once: the encoding's fitting, the split itself and the data lint all ask for it.
    mutating func splitOrder(rows n: Int, fraction: Double, at range: SourceRange, inTimeOrder: Bool) -> (order: [Int], held: Int)? {
        if let drawn = drawnSplit, drawn.order.count == n { return (drawn.order, drawn.held) }
        let held = Int((Double(n) * fraction).rounded())
        guard held >= 1, held < n else {
            bag.error(.splitSize, "a split of \(Format.number(fraction)) of \(n) rows holds out \(held); it must leave at least one row on each side",
                      at: range)
            return nil
        }
        var order = Array(0..<n)
        if inTimeOrder {
            order = Array(n - held ..< n) + Array(0 ..< n - held)
        } else {
            var rng = RandomStream(seed: UInt64(spec.seed.value), stream: RandomStream.validationSplit)
            for i in stride(from: n - 1, to: 0, by: -1) { order.swapAt(i, rng.index(below: i + 1)) }
        }
        drawnSplit = (order, held)
        return (order, held)
    }
}
