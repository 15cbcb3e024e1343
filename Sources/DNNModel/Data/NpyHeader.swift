// The header of a NumPy .npy file, read by a grammar rather than by searching its text: a Python dict
// literal with exactly the keys numpy writes (numpy/lib/format.py, `_read_array_header`):
//
//     header  := '{' pair (',' pair)* [','] '}'
//     pair    := string ':' value
//     value   := string | 'True' | 'False' | tuple
//     tuple   := '(' ')' | '(' int ',' ')' | '(' int (',' int)+ [','] ')'
//     string  := "'" chars "'" | '"' chars '"'
//     int     := digit+                      (no sign, no suffix: a dimension is never negative)
//
// with whitespace allowed between tokens and the keys `descr`, `fortran_order` and `shape`, each once.
// Anything else is refused with what was found and where, never skipped.

import DNNSyntax

public struct NpyHeader: Sendable, Equatable {
    public var descr: String
    public var fortranOrder: Bool
    public var shape: [Int]

    /// The largest dimension accepted: larger than any file dnnc reads (1 GiB) could hold.
    public static let maxDimension = 1 << 40

    enum Value: Equatable { case string(String), bool(Bool), tuple([Int]) }

    /// Parses the header text (the dict literal, padding and newline included).
    public static func parse(_ text: String, file name: String) throws(DataFileError) -> NpyHeader {
        var parser = Parser(scalars: Array(text.unicodeScalars), name: name)
        let pairs = try parser.header()
        var seen: [String: Value] = [:]
        for (key, value) in pairs {
            guard ["descr", "fortran_order", "shape"].contains(key) else {
                throw parser.failure("has the key `\(key)`; a .npy header holds only descr, fortran_order and shape")
            }
            guard seen.updateValue(value, forKey: key) == nil else { throw parser.failure("names `\(key)` twice") }
        }
        guard case .string(let descr)? = seen["descr"] else { throw parser.failure("has no string `descr` (the dtype)") }
        guard case .bool(let fortran)? = seen["fortran_order"] else { throw parser.failure("has no `fortran_order` of True or False") }
        guard case .tuple(let shape)? = seen["shape"] else { throw parser.failure("has no `shape` tuple") }
        return NpyHeader(descr: descr, fortranOrder: fortran, shape: shape)
    }

    struct Parser {
        let scalars: [Unicode.Scalar]
        let name: String
        var at = 0

        func failure(_ what: String) -> DataFileError {
            DataFileError(message: "\(name)'s .npy header \(what)", help: "write the file with numpy.save")
        }

        func unexpected(_ wanted: String) -> DataFileError {
            let found = at < scalars.count ? "`\(String(String.UnicodeScalarView(scalars[at ..< min(at + 12, scalars.count)])).debugDescription.dropFirst().dropLast())`" : "the end"
            return failure("cannot be read: expected \(wanted) at character \(at + 1), found \(found)")
        }

        mutating func skipSpace() {
            while at < scalars.count, scalars[at] == " " || scalars[at] == "\t" || scalars[at] == "\n" || scalars[at] == "\r" { at += 1 }
        }

        mutating func eat(_ c: Unicode.Scalar) -> Bool {
            skipSpace()
            guard at < scalars.count, scalars[at] == c else { return false }
            at += 1
            return true
        }

        mutating func expect(_ c: Unicode.Scalar) throws(DataFileError) {
            guard eat(c) else { throw unexpected("`\(c)`") }
        }

        /// header := '{' pair (',' pair)* [','] '}', then only whitespace.
        mutating func header() throws(DataFileError) -> [(String, Value)] {
            try expect("{")
            var pairs: [(String, Value)] = []
            while !eat("}") {
                let key = try string()
                try expect(":")
                pairs.append((key, try value()))
                if eat("}") { break }
                try expect(",")
            }
            skipSpace()
            guard at == scalars.count else { throw unexpected("the end of the header") }
            return pairs
        }

        mutating func string() throws(DataFileError) -> String {
            skipSpace()
            guard at < scalars.count, scalars[at] == "'" || scalars[at] == "\"" else { throw unexpected("a quoted string") }
            let quote = scalars[at]
            at += 1
            var text = String.UnicodeScalarView()
            while at < scalars.count, scalars[at] != quote {
                guard scalars[at] != "\\", scalars[at] != "\n" else { throw unexpected("a plain string") }
                text.append(scalars[at])
                at += 1
            }
            guard at < scalars.count else { throw unexpected("the closing quote") }
            at += 1
            return String(text)
        }

        mutating func value() throws(DataFileError) -> Value {
            skipSpace()
            guard at < scalars.count else { throw unexpected("a value") }
            switch scalars[at] {
            case "'", "\"": return .string(try string())
            case "(": return .tuple(try tuple())
            default:
                for (word, value) in [("True", true), ("False", false)] where word.unicodeScalars.elementsEqual(scalars[at ..< min(at + word.unicodeScalars.count, scalars.count)]) {
                    at += word.unicodeScalars.count
                    return .bool(value)
                }
                throw unexpected("a string, True, False or a tuple")
            }
        }

        /// A tuple of non-negative integers; a one-element tuple needs its trailing comma, as in Python.
        mutating func tuple() throws(DataFileError) -> [Int] {
            try expect("(")
            var items: [Int] = []
            var trailingComma = false
            while !eat(")") {
                items.append(try dimension(items.count))
                trailingComma = false
                if eat(")") { break }
                try expect(",")
                trailingComma = true
            }
            if items.count == 1, !trailingComma {
                throw failure("has `(\(items[0]))` as its shape, a number rather than a tuple; a one-dimensional shape is written `(\(items[0]),)`")
            }
            return items
        }

        mutating func dimension(_ index: Int) throws(DataFileError) -> Int {
            skipSpace()
            if at < scalars.count, scalars[at] == "-" {
                throw failure("declares a negative dimension (dimension \(index) of its shape); a dimension is a count, 0 or more")
            }
            var value = 0, digits = 0
            while at < scalars.count, let d = scalars[at].properties.numericType == .decimal ? Int(String(scalars[at])) : nil, scalars[at].isASCII {
                guard value <= (NpyHeader.maxDimension - d) / 10 else {
                    throw failure("declares dimension \(index) of its shape larger than \(NpyHeader.maxDimension)")
                }
                value = value * 10 + d
                digits += 1
                at += 1
            }
            guard digits > 0 else { throw unexpected("a dimension (a whole number)") }
            skipSpace()
            if at < scalars.count, scalars[at] != ",", scalars[at] != ")" { throw unexpected("`,` or `)` after dimension \(index)") }
            return value
        }
    }
}
