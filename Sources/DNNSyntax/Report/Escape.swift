// One escaping function per language dnnc writes code or markup in. Every string from a spec (model,
// layer and class names, paths) that reaches generated text goes through the function of its target,
// so that no name can close a quote, a docstring or a label and write code of its own.

public enum Escape {
    /// The text with each scalar that `replace` maps written as its replacement (nil keeps it).
    static func escaping(_ text: String, _ replace: (Unicode.Scalar) -> String?) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if let replacement = replace(scalar) { out += replacement } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    /// The body of a Python string literal, in ASCII: backslash and both quotes escaped, every other
    /// character outside printable ASCII as \xHH, \uHHHH or \UHHHHHHHH. Inside "…" or """…""" (not raw)
    /// Python reads it back as the original text, and it can never end the literal.
    public static func pythonBody(_ text: String) -> String {
        escaping(text) { scalar in
            switch scalar {
            case "\\": return "\\\\"
            case "\"": return "\\\""
            case "'": return "\\'"
            case "\n": return "\\n"
            case "\t": return "\\t"
            case "\r": return "\\r"
            case " " ... "~": return nil
            default:
                let (prefix, width) = scalar.value < 0x100 ? ("\\x", 2) : scalar.value < 0x10000 ? ("\\u", 4) : ("\\U", 8)
                let hex = String(scalar.value, radix: 16)
                return prefix + String(repeating: "0", count: width - hex.count) + hex
            }
        }
    }

    /// A Python string literal: "…".
    public static func python(_ text: String) -> String { "\"" + pythonBody(text) + "\"" }

    /// The body of a DOT double-quoted string: backslash and quote escaped, line breaks as DOT's `\n`,
    /// other control characters dropped.
    public static func dot(_ text: String) -> String {
        escaping(text) { scalar in
            switch scalar {
            case "\\": "\\\\"
            case "\"": "\\\""
            case "\n": "\\n"
            default: Format.isUnprintable(scalar) ? "" : nil
            }
        }
    }

    /// The body of a Mermaid quoted label: characters that end a label or start markup as Mermaid's
    /// entity codes (#quot; and #35; style), control characters dropped.
    public static func mermaid(_ text: String) -> String {
        escaping(text) { scalar in
            switch scalar {
            case "\"": "#quot;"
            case "#": "#35;"
            case "<": "#lt;"
            case ">": "#gt;"
            case "&": "#amp;"
            case "`": "#96;"
            default: Format.isUnprintable(scalar) ? "" : nil
            }
        }
    }

    /// A CSV cell (RFC 4180): as it is, or in double quotes with its quotes doubled when it holds a
    /// comma, a quote or a line break (or starts or ends with a space, which readers may trim).
    public static func csv(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || text.first == " " || text.last == " " else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// HTML text or an attribute value in double quotes.
    public static func html(_ text: String) -> String {
        escaping(text) { scalar in
            switch scalar {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\"": "&quot;"
            case "'": "&#39;"
            default: nil
            }
        }
    }
}
