// One escaping function per language dnnc writes code or markup in. Every string from a spec (model,
// layer and class names, paths) that reaches generated text goes through the function of its target,
// so that no name can close a quote, a docstring or a label and write code of its own.

public enum Escape {
    /// The body of a Python string literal, in ASCII: backslash and both quotes escaped, every other
    /// character outside printable ASCII as \xHH, \uHHHH or \UHHHHHHHH. Inside "…" or """…""" (not raw)
    /// Python reads it back as the original text, and it can never end the literal.
    public static func pythonBody(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "'": out += "\\'"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case " " ... "~": out.unicodeScalars.append(scalar)
            default:
                let hex = String(scalar.value, radix: 16)
                if scalar.value < 0x100 { out += "\\x" + String(repeating: "0", count: 2 - hex.count) + hex }
                else if scalar.value < 0x10000 { out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex }
                else { out += "\\U" + String(repeating: "0", count: 8 - hex.count) + hex }
            }
        }
        return out
    }

    /// A Python string literal: "…".
    public static func python(_ text: String) -> String { "\"" + pythonBody(text) + "\"" }

    /// The body of a DOT double-quoted string: backslash and quote escaped, line breaks as DOT's `\n`,
    /// other control characters dropped.
    public static func dot(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: if !Format.isUnprintable(scalar) { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// The body of a Mermaid quoted label: characters that end a label or start markup as Mermaid's
    /// entity codes (#quot; and #35; style), control characters dropped.
    public static func mermaid(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "#quot;"
            case "#": out += "#35;"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            case "&": out += "#amp;"
            case "`": out += "#96;"
            default: if !Format.isUnprintable(scalar) { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// HTML text or an attribute value in double quotes.
    public static func html(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }
}
