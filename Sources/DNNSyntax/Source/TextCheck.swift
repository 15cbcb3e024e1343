// The text a spec may hold, checked before libyaml sees it: UTF-8 only (a byte-order mark allowed), no
// NUL, no control characters but tab, line feed and carriage return. libyaml would read UTF-16 and
// report a bad byte at 1:1; here the position is computed from the byte offset, so the error points
// at the right line and column.

public enum TextCheck {
    /// The first problem with a file's text, or nil when it is clean UTF-8.
    public static func firstProblem(_ file: SourceFile) -> Diagnostic? {
        let bytes = file.bytes
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            return diagnostic("the file is UTF-16 text; dnnc reads UTF-8", at: SourceLocation(line: 1, column: 1),
                              help: "save the file as UTF-8")
        }
        var i = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1, column = 1
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                if b == 0x0A {
                    line += 1
                    column = 1
                } else if b == 0x0D {
                    // CR LF is one line break; a lone CR is one too, as the source lines count them.
                    if i + 1 < bytes.count && bytes[i + 1] == 0x0A { i += 1 }
                    line += 1
                    column = 1
                } else if b == 0x09 {
                    column += 1
                } else if b < 0x20 || b == 0x7F {
                    let name = b == 0 ? "a NUL byte" : "the control character U+\(hex(UInt32(b)))"
                    return diagnostic("the file holds \(name)", at: SourceLocation(line: line, column: column),
                                      help: "specs are plain text; remove it")
                } else {
                    column += 1
                }
                i += 1
                continue
            }
            // A multi-byte sequence: its length from the lead byte, then continuation bytes 10xxxxxx.
            let length = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 && b <= 0xDF ? 2 : 0
            var scalar: UInt32 = length == 4 ? UInt32(b & 0x07) : length == 3 ? UInt32(b & 0x0F) : UInt32(b & 0x1F)
            var valid = length > 0 && i + length <= bytes.count
            if valid {
                for k in 1..<length {
                    let c = bytes[i + k]
                    if c & 0xC0 != 0x80 { valid = false; break }
                    scalar = scalar << 6 | UInt32(c & 0x3F)
                }
            }
            // Overlong forms, surrogates and values beyond U+10FFFF are not UTF-8.
            if valid && ((length == 3 && (scalar < 0x800 || (0xD800...0xDFFF).contains(scalar))) ||
                         (length == 4 && (scalar < 0x10000 || scalar > 0x10FFFF))) {
                valid = false
            }
            guard valid else {
                return diagnostic("byte \(i) (0x\(String(b, radix: 16, uppercase: true))) is not valid UTF-8", at: SourceLocation(line: line, column: column),
                                  help: "save the file as UTF-8")
            }
            // libyaml (YAML 1.1) takes these for line breaks and YAML 1.2 readers do not, so every line
            // number after one would differ between dnnc, editors and other tools.
            if scalar == 0x2028 || scalar == 0x2029 {
                return diagnostic("the file holds the Unicode \(scalar == 0x2028 ? "line" : "paragraph") separator U+\(hex(scalar)), which YAML readers disagree on as a line break",
                                  at: SourceLocation(line: line, column: column), help: "use an ordinary line break, or remove it")
            }
            if (0x80...0x9F).contains(scalar) {
                return diagnostic("the file holds the control character U+\(hex(scalar))", at: SourceLocation(line: line, column: column),
                                  help: "specs are plain text; remove it")
            }
            column += 1
            i += length
        }
        return nil
    }

    static func diagnostic(_ message: String, at start: SourceLocation, help: String) -> Diagnostic {
        Diagnostic(.encoding, message, at: SourceRange(start: start, end: SourceLocation(line: start.line, column: start.column + 1)),
                   help: help)
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
