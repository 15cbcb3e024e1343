// A table's input columns as the network reads them: numbers as they are, two-valued columns as 0 or 1,
// categories one-hot (one slot per category the training rows hold, sorted, and one for a category they
// never held), empty cells filled as `data.missing` says, with an optional 0/1 indicator per column that
// had empty cells in training. Everything is fitted on the training rows only (IR/TabularFitting.swift),
// stored in the checkpoint, and applied unchanged to validation, test, predict and evaluate rows; the
// ONNX graph and the PyTorch program apply the same tables.
//
// Encoded width: numeric 1, binary 1, categorical K + 1 (embedded: 1, its slot); + 1 for an indicator.

import Foundation
import DNNSyntax

/// What a column holds, as `data.types` names it.
public enum ColumnKind: String, Sendable, Equatable, CaseIterable {
    case numeric, categorical, binary
}

/// A constant a spec writes for `missing: {constant: V}`.
public enum FillConstant: Sendable, Equatable {
    case number(Double)
    case text(String)

    /// The category it stands for: a number in Format.number's form.
    public var categoryText: String {
        switch self {
        case .number(let x): Format.number(x)
        case .text(let s): s
        }
    }
}

/// `data.missing`'s strategies.
public enum FillStrategy: Sendable, Equatable {
    case error, mean, median, mostFrequent
    case constant(FillConstant)

    public var name: String {
        switch self {
        case .error: "error"
        case .mean: "mean"
        case .median: "median"
        case .mostFrequent: "most_frequent"
        case .constant: "constant"
        }
    }
}

/// One cell as read: a number, text, or empty (missing).
public enum TableCell: Sendable, Equatable {
    case number(Double)
    case text(String)
    case missing
}

public struct TabularEncoder: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        /// The header name.
        public var name: String
        public var kind: ColumnKind
        /// categorical: the training rows' categories, sorted (slot K is the unknown one); binary: the
        /// values read as 0 and as 1.
        public var categories: [String]
        /// What an empty cell becomes: a number (numeric, binary) or a slot (categorical); nil when an
        /// empty cell is an error.
        public var fill: Double?
        /// A 0/1 input after the column's own: 1 where the cell was empty.
        public var indicator: Bool
        /// A categorical column's embedding size: it is then one value, its slot, which the model's
        /// column_embedding op looks up (Ops/ColumnEmbedding.swift); nil: one-hot.
        public var embedding: Int?

        public init(name: String, kind: ColumnKind, categories: [String] = [], fill: Double? = nil, indicator: Bool = false, embedding: Int? = nil) {
            self.name = name
            self.kind = kind
            self.categories = categories
            self.fill = fill
            self.indicator = indicator
            self.embedding = embedding
        }

        /// Whether it is one-hot: a slot per category and the unknown one.
        var isOneHot: Bool { kind == .categorical && embedding == nil }

        /// The values it becomes in the data.
        public var width: Int { (isOneHot ? categories.count + 1 : 1) + (indicator ? 1 : 0) }
    }

    public var columns: [Column]

    public init(columns: [Column]) { self.columns = columns }

    public var width: Int { columns.reduce(0) { $0 + $1.width } }

    /// The values the model's layers read: an embedded column's vector in place of its slot.
    public var modelWidth: Int { columns.reduce(0) { $0 + $1.width - ($1.embedding == nil ? 0 : 1) + ($1.embedding ?? 0) } }

    /// The model's first op when a column is embedded: the encoded row with each slot looked up.
    public var columnEmbedding: ColumnEmbedding? {
        guard columns.contains(where: { $0.embedding != nil }) else { return nil }
        var segments: [ColumnEmbedding.Segment] = []
        func pass(_ n: Int) {
            if case .pass(let m)? = segments.last { segments[segments.count - 1] = .pass(m + n) } else { segments.append(.pass(n)) }
        }
        for c in columns {
            if let dim = c.embedding { segments.append(.embed(vocab: c.categories.count + 1, dim: dim)) } else { pass(c.width - (c.indicator ? 1 : 0)) }
            if c.indicator { pass(1) }
        }
        return ColumnEmbedding(segments: segments)
    }

    /// The encoded values in words, for messages: `city: 4 (3 categories and unknown), area, area_missing`.
    public var summary: String {
        let parts = columns.map { c in
            (c.embedding.map { "\(c.name): \($0) (an embedding)" }
                ?? (c.kind == .categorical ? "\(c.name): \(c.categories.count + 1) (\(c.categories.count) categor\(c.categories.count == 1 ? "y" : "ies") and unknown)" : c.name))
                + (c.indicator ? ", \(c.name)_missing" : "")
        }
        return parts.prefix(8).joined(separator: ", ") + (parts.count > 8 ? ", …" : "")
    }

    /// Per encoded value, whether `normalize.inputs` applies to it: a numeric column's own value only
    /// (one-hot slots, 0/1 values and indicators stay 0 or 1, as scikit-learn's ColumnTransformer leaves them).
    public var scaled: [Bool] {
        columns.flatMap { c in [c.kind == .numeric] + [Bool](repeating: false, count: c.width - 1) }
    }

    /// A cell's text as a category; a number in Format.number's form (`3`, not `3.0`; else the shortest
    /// round-trip form), so `3` and `3.0` in a file are the same category.
    static func text(of cell: TableCell) -> String? {
        switch cell {
        case .number(let x): Format.number(x)
        case .text(let s): s
        case .missing: nil
        }
    }

    /// What went wrong with a cell: the message names the column; the caller adds the place.
    public struct CellError: Error, Sendable {
        public var column: Int
        public var message: String
        public var help: String?
    }

    /// Encodes one row (`cell(c)` for column c of `columns`) into `out`, appending `width` values;
    /// `unseen[c]` counts categories the training rows never held.
    public func encode(_ cell: (Int) -> TableCell, into out: inout [Float], unseen: inout [Int]) throws(CellError) {
        for (c, column) in columns.enumerated() {
            let value = cell(c)
            if case .missing = value {
                guard let fill = column.fill else {
                    throw CellError(column: c, message: "the `\(column.name)` cell is empty",
                                    help: "fill it, or give `data.missing` a strategy for it (mean, median, most_frequent or {constant: V})")
                }
                if column.isOneHot {
                    for k in 0 ... column.categories.count { out.append(k == Int(fill) ? 1 : 0) }
                } else {
                    out.append(Float(fill))  // a number, or an embedded column's slot
                }
                if column.indicator { out.append(1) }
                continue
            }
            switch column.kind {
            case .numeric:
                guard case .number(let x) = value else {
                    throw CellError(column: c, message: "`\(Format.printable(Self.text(of: value) ?? ""))` in `\(column.name)` is not a number",
                                    help: "`\(column.name)` is numeric in the training rows; declare `types: {\(column.name): categorical}` if it holds categories")
                }
                out.append(Float(x))
            case .binary:
                let text = Self.text(of: value)!
                guard let k = column.categories.firstIndex(of: text) else {
                    throw CellError(column: c, message: "`\(Format.printable(text))` in `\(column.name)` is neither `\(column.categories[0])` nor `\(column.categories[1])`",
                                    help: "give one of the two values the training rows hold")
                }
                out.append(Float(k))
            case .categorical:
                let text = Self.text(of: value)!
                let slot = Self.slot(of: text, in: column.categories)
                if slot == column.categories.count { unseen[c] += 1 }
                if column.embedding != nil {
                    out.append(Float(slot))
                } else {
                    for k in 0 ... column.categories.count { out.append(k == slot ? 1 : 0) }
                }
            }
            if column.indicator { out.append(0) }
        }
    }

    /// A category's slot: its index in the sorted categories, or their count (the unknown slot).
    static func slot(of text: String, in categories: [String]) -> Int {
        var lo = 0, hi = categories.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if categories[mid] < text { lo = mid + 1 } else { hi = mid }
        }
        return lo < categories.count && categories[lo] == text ? lo : categories.count
    }

    /// A line on stderr for predict and evaluate: the categories the training rows never held, per column.
    public func unseenNote(_ unseen: [Int]) -> String? {
        let parts = zip(columns, unseen).filter { $0.1 > 0 }.map { "\($0.1) in `\($0.0.name)`" }
        guard !parts.isEmpty else { return nil }
        return "note: categories the training rows never held went to the unknown slot: " + parts.joined(separator: ", ")
    }
}

// MARK: - stored form

extension TabularEncoder {
    /// JSON for the checkpoint's metadata and the exports: `[{"name":…,"kind":…,"categories":[…],
    /// "fill":x|null,"indicator":b}, …]`, numbers in Swift's shortest round-trip form.
    public var json: JSONValue {
        .array(columns.map { c in
            .object([("name", .string(c.name)), ("kind", .string(c.kind.rawValue)),
                     ("categories", .array(c.categories.map { .string($0) })),
                     ("fill", c.fill.map { .number($0) } ?? .null), ("indicator", .bool(c.indicator)),
                     ("embedding", c.embedding.map { .int($0) } ?? .null)])
        })
    }

    /// Reads `json`'s form back; nil when it is malformed or inconsistent (a binary column without two
    /// values, a categorical fill beyond its slots, categories unsorted or repeated).
    public init?(json text: String) {
        guard let list = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [[String: Any]] else { return nil }
        var columns: [Column] = []
        for item in list {
            guard let name = item["name"] as? String, let kind = (item["kind"] as? String).flatMap(ColumnKind.init(rawValue:)),
                  let categories = item["categories"] as? [String], let indicator = item["indicator"] as? Bool else { return nil }
            var fill: Double? = nil
            if let number = item["fill"] as? NSNumber {
                fill = number.doubleValue
                guard fill!.isFinite else { return nil }
            } else if !(item["fill"] is NSNull) {
                return nil
            }
            var embedding: Int? = nil
            if let size = item["embedding"] as? Int {
                guard kind == .categorical, size >= 1, size <= 1 << 20 else { return nil }
                embedding = size
            }
            switch kind {
            case .numeric: guard categories.isEmpty else { return nil }
            case .binary: guard categories.count == 2, categories[0] != categories[1] else { return nil }
            case .categorical:
                guard zip(categories, categories.dropFirst()).allSatisfy({ $0 < $1 }) else { return nil }
                if let fill { guard fill == fill.rounded(), fill >= 0, fill <= Double(categories.count) else { return nil } }
            }
            columns.append(Column(name: name, kind: kind, categories: categories, fill: fill, indicator: indicator, embedding: embedding))
        }
        self.init(columns: columns)
    }
}
