// YAML nodes with their source ranges: the only form in which the later stages see a spec's YAML.

/// What a plain scalar means under the YAML 1.2 core schema (quoted scalars are always strings).
public enum ScalarValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// Written as an integer but too large for 64 bits.
    case intOverflow
}

public struct YAMLScalar: Sendable, Equatable {
    public var text: String
    /// True for a plain (unquoted, non-block) scalar, the only kind the core schema resolves.
    public var isPlain: Bool
    public var value: ScalarValue


    package init(text: String, isPlain: Bool, value: ScalarValue) {
        self.text = text
        self.isPlain = isPlain
        self.value = value
    }
}

public struct YAMLNode: Sendable {
    public enum Content: Sendable {
        case scalar(YAMLScalar)
        case sequence([YAMLNode])
        case mapping([Pair])
    }

    public struct Pair: Sendable {
        public var key: YAMLNode
        public var value: YAMLNode


        package init(key: YAMLNode, value: YAMLNode) {
            self.key = key
            self.value = value
        }
    }

    public var content: Content
    public var range: SourceRange


    package init(content: Content, range: SourceRange) {
        self.content = content
        self.range = range
    }

    /// The text of a scalar node, nil for collections.
    public var scalarText: String? {
        if case .scalar(let s) = content { return s.text }
        return nil
    }

    /// A word for the node's kind, as error messages name it ("a mapping", "the number 3").
    public var kindDescription: String {
        switch content {
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        case .scalar(let s):
            switch s.value {
            case .null: return "an empty value"
            case .bool(let b): return "the boolean \(b)"
            case .int, .float, .intOverflow: return "the number \(s.text)"
            case .string(let t): return "the string \"\(t)\""
            }
        }
    }
}

/// Resolution of plain scalars by the YAML 1.2 core schema (yaml.org/spec/1.2.2, 10.3.2).
package enum CoreSchema {
    package static func resolve(plain text: String) -> ScalarValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        default: break
        }
        let scalars = Array(text.utf8)
        if let value = integer(scalars) { return value }
        if isFloat(scalars), let value = Double(text) { return .float(value) }
        return .string(text)
    }

    /// `[-+]?[0-9]+`, `0o[0-7]+` or `0x[0-9a-fA-F]+`.
    private static func integer(_ s: [UInt8]) -> ScalarValue? {
        func digits(_ body: ArraySlice<UInt8>, radix: Int, negative: Bool) -> ScalarValue? {
            guard !body.isEmpty else { return nil }
            var value = 0
            for c in body {
                guard let d = digitValue(c), d < radix else { return nil }
                let (m, o1) = value.multipliedReportingOverflow(by: radix)
                let (a, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
                if o1 || o2 { return .intOverflow }
                value = a
            }
            return .int(value)
        }
        if s.count > 2, s[0] == UInt8(ascii: "0"), s[1] == UInt8(ascii: "o") {
            return digits(s[2...], radix: 8, negative: false)
        }
        if s.count > 2, s[0] == UInt8(ascii: "0"), s[1] == UInt8(ascii: "x") {
            return digits(s[2...], radix: 16, negative: false)
        }
        var body = s[...]
        var negative = false
        if let first = body.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            body = body.dropFirst()
        }
        guard body.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return digits(body, radix: 10, negative: negative)
    }

    private static func digitValue(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(c - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(c - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    private static func isFloat(_ s: [UInt8]) -> Bool {
        var i = 0
        func isDigit(_ k: Int) -> Bool { k < s.count && s[k] >= UInt8(ascii: "0") && s[k] <= UInt8(ascii: "9") }
        if i < s.count, s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") { i += 1 }
        var mantissaDigits = 0
        while isDigit(i) { i += 1; mantissaDigits += 1 }
        if i < s.count, s[i] == UInt8(ascii: ".") {
            i += 1
            while isDigit(i) { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return false }
        if i < s.count, s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E") {
            i += 1
            if i < s.count, s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") { i += 1 }
            guard isDigit(i) else { return false }
            while isDigit(i) { i += 1 }
        }
        return i == s.count
    }
}
