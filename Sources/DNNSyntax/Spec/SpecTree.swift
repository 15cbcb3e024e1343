// The spec's syntax tree: YAML checked against the language table, every value typed and located.

public struct SpecValue: Sendable {
    public enum Content: Sendable {
        case int(Int)
        case number(Double)
        case bool(Bool)
        case string(String)
        case list([SpecValue])
        case record(SpecRecord)
        case choice(SpecChoice)
        case matrix(SpecMatrix)
        /// `${name}` in a block's layers: a block parameter, which each instance's `with:` gives.
        case placeholder(String)
        /// A block parameter's value in an instance's `with:`, as written (its key's range beside it): it
        /// is checked where the block uses it, against that key's type.
        case binding(key: SourceRange, value: YAMLNode)
    }

    public var content: Content
    public var range: SourceRange
    /// True where the value was not written but filled in from the table's default.
    public var isDefault = false

    package init(content: Content, range: SourceRange, isDefault: Bool = false) {
        self.content = content
        self.range = range
        self.isDefault = isDefault
    }

    public var int: Int? { if case .int(let i) = content { return i }; return nil }
    public var double: Double? {
        switch content {
        case .number(let x): x
        case .int(let i): Double(i)
        default: nil
        }
    }
    public var bool: Bool? { if case .bool(let b) = content { return b }; return nil }
    public var string: String? { if case .string(let s) = content { return s }; return nil }
    public var list: [SpecValue]? { if case .list(let l) = content { return l }; return nil }
    public var record: SpecRecord? { if case .record(let r) = content { return r }; return nil }
    public var choice: SpecChoice? { if case .choice(let c) = content { return c }; return nil }
    public var matrix: SpecMatrix? { if case .matrix(let m) = content { return m }; return nil }
    public var placeholder: String? { if case .placeholder(let name) = content { return name }; return nil }

    /// The parameter a scalar `${name}` stands for (a plain or quoted scalar that is exactly that).
    package static func placeholderName(_ node: YAMLNode) -> String? {
        guard case .scalar(let s) = node.content else { return nil }
        let text = s.text
        guard text.hasPrefix("${"), text.hasSuffix("}"), text.count > 3 else { return nil }
        let name = text.dropFirst(2).dropLast()
        guard let first = name.first, first.isLetter || first == "_",
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else { return nil }
        return String(name)
    }
}

public struct SpecRecord: Sendable {
    public var fields: [String: SpecValue]
    /// The keys in the order they were written, then defaults in the table's order.
    public var order: [String]
    public var range: SourceRange
    /// For defaults that depend on context, where the value came from ("model.init.weights").
    public var notes: [String: String] = [:]
    /// Whether an invalid value was reported and a default stands in for it: the record is whole, for
    /// the later stages to check the rest of the spec, but a layer of it is not lowered.
    public var isRepaired = false

    package init(fields: [String: SpecValue], order: [String], range: SourceRange, notes: [String: String] = [:], isRepaired: Bool = false) {
        self.fields = fields
        self.order = order
        self.range = range
        self.notes = notes
        self.isRepaired = isRepaired
    }

    public subscript(_ key: String) -> SpecValue? { fields[key] }
}

public struct SpecChoice: Sendable {
    /// The canonical kind name (an alias is resolved to it).
    public var kind: String
    /// Where the kind's name is written.
    public var nameRange: SourceRange
    public var params: SpecRecord
    /// A layer in a list whose errors were reported: it stands in its place, so that the layers and the
    /// data around it are still checked, but it is not lowered. Its params hold what was valid.
    public var isBroken = false

    package init(kind: String, nameRange: SourceRange, params: SpecRecord, isBroken: Bool = false) {
        self.kind = kind
        self.nameRange = nameRange
        self.params = params
        self.isBroken = isBroken
    }

    public subscript(_ key: String) -> SpecValue? { params[key] }
}

/// A numeric matrix written inline: rows of equal length, with each row's and each value's location.
public struct SpecMatrix: Sendable {
    public var rows: [[Double]]
    public var rowRanges: [SourceRange]

    package init(rows: [[Double]], rowRanges: [SourceRange]) {
        self.rows = rows
        self.rowRanges = rowRanges
    }
    public var columns: Int { rows.first?.count ?? 0 }
}
