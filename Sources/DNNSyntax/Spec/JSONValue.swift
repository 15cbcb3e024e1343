// A small JSON value with ordered keys and a deterministic printer, for the schema and machine output.

public indirect enum JSONValue: Sendable, Equatable {
    case object([(String, JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(Double)
    /// A Float32 quantity, printed as the shortest text that reads back as the same Float.
    case float(Float)
    case int(Int)
    case bool(Bool)
    case null

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.compact == b.compact }

    /// On one line, without spaces: `{"a":1}`.
    public var compact: String { render(indent: nil, level: 0) }

    /// Two-space indented, one key per line.
    public var pretty: String { render(indent: "  ", level: 0) }

    private func render(indent: String?, level: Int) -> String {
        let newline = indent == nil ? "" : "\n"
        let pad = indent.map { String(repeating: $0, count: level + 1) } ?? ""
        let closePad = indent.map { String(repeating: $0, count: level) } ?? ""
        let colon = indent == nil ? ":" : ": "
        switch self {
        case .object(let pairs):
            if pairs.isEmpty { return "{}" }
            let items = pairs.map { pad + JSONValue.quote($0.0) + colon + $0.1.render(indent: indent, level: level + 1) }
            return "{" + newline + items.joined(separator: "," + newline) + newline + closePad + "}"
        case .array(let values):
            if values.isEmpty { return "[]" }
            if values.allSatisfy({ $0.isScalar }) {
                return "[" + values.map { $0.render(indent: nil, level: 0) }.joined(separator: indent == nil ? "," : ", ") + "]"
            }
            let items = values.map { pad + $0.render(indent: indent, level: level + 1) }
            return "[" + newline + items.joined(separator: "," + newline) + newline + closePad + "]"
        case .string(let s): return JSONValue.quote(s)
        case .number(let x): return x.isFinite ? Format.number(x) : "null"  // JSON has no NaN or infinity
        case .float(let f):
            if !f.isFinite { return "null" }
            return f == f.rounded() && abs(f) < 1e7 ? String(Int(f)) : "\(f)"
        case .int(let i): return String(i)
        case .bool(let b): return String(b)
        case .null: return "null"
        }
    }

    private var isScalar: Bool {
        switch self {
        case .object, .array: false
        default: true
        }
    }

    public static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
