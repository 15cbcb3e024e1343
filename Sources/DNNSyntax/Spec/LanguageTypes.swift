// The vocabulary the spec language is written in: value types, bounds, defaults, fields, records,
// choice kinds and catalogs. The tables themselves (Language) are built from the ops.

/// Bounds on a number; nil means unbounded on that side.
public struct Bounds: Sendable {
    public var min: Double?
    public var minExclusive = false
    public var max: Double?
    public var maxExclusive = false

    package init(min: Double? = nil, minExclusive: Bool = false, max: Double? = nil, maxExclusive: Bool = false) {
        self.min = min
        self.minExclusive = minExclusive
        self.max = max
        self.maxExclusive = maxExclusive
    }

    public static let any = Bounds()
    public static let positive = Bounds(min: 0, minExclusive: true)
    public static let nonNegative = Bounds(min: 0)
    public static let atLeastOne = Bounds(min: 1)
    /// A size: a count of units, channels or positions, at most 2^24, so that products of a few stay
    /// far from overflowing 64 bits.
    public static let size = Bounds(min: 1, max: 16_777_216)
    /// A padding: 0 to 2^24.
    public static let padding = Bounds(min: 0, max: 16_777_216)
    /// A count of epochs, batches, samples or checkpoints: 1 to 2^31 − 1. Every count a spec, `--set` or
    /// a command-line option gives is bounded, so that products such as steps × epochs stay far from
    /// overflowing 64 bits.
    public static let count = Bounds(min: 1, max: Double(maxCount))
    /// A count that may be 0 (a patience, a warmup, a column index).
    public static let countOrZero = Bounds(min: 0, max: Double(maxCount))
    public static let maxCount = Int(Int32.max)
    /// A seed: any non-negative 64-bit integer.
    public static let seed = Bounds(min: 0)
    /// An axis of a sample's shape, from the front (0, 1, …) or the back (−1, −2, …).
    public static let axis = Bounds(min: -64, max: 63)
    /// [0, 1), as PyTorch requires of Adam's betas.
    public static let unitOpen = Bounds(min: 0, max: 1, maxExclusive: true)

    package func contains(_ x: Double) -> Bool {
        if let min, minExclusive ? !(x > min) : !(x >= min) { return false }
        if let max, maxExclusive ? !(x < max) : !(x <= max) { return false }
        return true
    }

    /// "at least 1", "greater than 0", "from 0 up to (not including) 1".
    package var phrase: String {
        switch (min, max) {
        case let (lo?, hi?):
            return "from \(Format.number(lo))\(minExclusive ? " (exclusive)" : "") up to \(Format.number(hi))\(maxExclusive ? " (exclusive)" : "")"
        case let (lo?, nil): return minExclusive ? "greater than \(Format.number(lo))" : "at least \(Format.number(lo))"
        case let (nil, hi?): return maxExclusive ? "less than \(Format.number(hi))" : "at most \(Format.number(hi))"
        case (nil, nil): return "any finite number"
        }
    }
}

public indirect enum ValueType: Sendable {
    case integer(Bounds)
    case number(Bounds)
    case boolean
    case string
    /// One of a few fixed words.
    case word([String])
    case record(Record)
    /// A bare name or a one-key mapping `{name: {params}}` from a catalog.
    case choice(Catalog)
    case list(ValueType, minCount: Int)
    /// A list of rows, each a list of numbers of the same length.
    case matrix
    /// A tensor shape: a non-empty list of positive integers.
    case shape
    /// A size per spatial dimension: one integer for all, or a list of one per dimension.
    case dims(Bounds)
    /// The first of several types that fits (`padding: same` or `padding: 1`).
    case oneOf([ValueType])
    /// A block instance's `with:`: parameter names to values, each checked where the block uses it.
    case bindings
    /// A mapping of a table's column names (header names) to values of one type (`types: {city: categorical}`).
    case columns(ValueType)

    /// How the reference names the type.
    package var description: String {
        switch self {
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean"
        case .string: "string"
        case .word(let words): words.joined(separator: " \\| ")
        case .record: "mapping"
        case .choice(let catalog): catalog.name
        case .list(let item, _): "list of \(item.description)"
        case .matrix: "list of rows of numbers"
        case .shape: "list of positive integers"
        case .dims: "integer or list of integers"
        case .oneOf(let types): types.map(\.description).joined(separator: " or ")
        case .bindings: "mapping of parameter names to values"
        case .columns(let value): "mapping of column names to \(value.description)"
        }
    }
}

public enum DefaultValue: Sendable {
    case int(Int)
    case number(Double)
    case bool(Bool)
    case word(String)
    case choice(String)
    /// A default that depends on the context, described in words ("the file's stem").
    case contextual(String)
    /// Omitted means the feature is off ("no clipping"); `dnnc resolve` leaves it out.
    case off(String)

    package var description: String {
        switch self {
        case .int(let i): String(i)
        case .number(let x): Format.number(x)
        case .bool(let b): String(b)
        case .word(let w), .choice(let w): w
        case .contextual(let text), .off(let text): text
        }
    }
}

public struct Field: Sendable {
    public var name: String
    public var type: ValueType
    /// nil: the key is required.
    public var defaultValue: DefaultValue?
    public var doc: String

    public var isRequired: Bool { defaultValue == nil }

    public static func required(_ name: String, _ type: ValueType, _ doc: String) -> Field {
        Field(name: name, type: type, defaultValue: nil, doc: doc)
    }

    public static func optional(_ name: String, _ type: ValueType, default value: DefaultValue, _ doc: String) -> Field {
        Field(name: name, type: type, defaultValue: value, doc: doc)
    }
}

public struct Record: Sendable {
    public var name: String
    public var fields: [Field]


    package init(name: String, fields: [Field]) {
        self.name = name
        self.fields = fields
    }

    public func field(_ name: String) -> Field? { fields.first { $0.name == name } }
}

public struct ChoiceKind: Sendable {
    public var name: String
    public var aliases: [String] = []
    public var params: [Field] = []
    public var doc: String
    /// The parameter a value that is not a mapping stands for: `{rotate: 15}` is `{rotate: {degrees: 15}}`.
    public var shorthand: String? = nil

    package init(name: String, aliases: [String] = [], params: [Field] = [], shorthand: String? = nil, doc: String) {
        self.name = name
        self.aliases = aliases
        self.params = params
        self.shorthand = shorthand
        self.doc = doc
    }

    /// Whether the kind may be written bare, which needs every parameter to have a default.
    public var canBeBare: Bool { params.allSatisfy { !$0.isRequired } }
}

public struct Catalog: Sendable {
    /// The concept, singular: "activation".
    public var name: String
    public var kinds: [ChoiceKind]


    package init(name: String, kinds: [ChoiceKind]) {
        self.name = name
        self.kinds = kinds
    }

    public func kind(named name: String) -> ChoiceKind? {
        kinds.first { $0.name == name || $0.aliases.contains(name) }
    }

    public var allNames: [String] { kinds.flatMap { [$0.name] + $0.aliases } }
}

