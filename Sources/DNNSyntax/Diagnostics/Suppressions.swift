// Inline suppression of warnings by comments, as linters do:
//   `# dnnc: disable=W0354`       on a line silences W0354 there; on a line of its own, on the next line
//   `# dnnc: disable-file=W0350`  silences W0350 in the whole file
// Several codes may be listed, separated by commas; text after the list is a free remark. Errors cannot be silenced: a spec with an error
// cannot run. A suppression that silences nothing is itself a warning (W0150), so stale ones go away.

public struct Suppression: Sendable {
    public enum Scope: Sendable, Equatable {
        /// Lines the comment covers: its own, and the next when the comment stands on a line of its own.
        case lines(ClosedRange<Int>)
        case file
    }

    public var code: DiagnosticCode
    public var scope: Scope
    /// Where the code is written in the comment.
    public var range: SourceRange
    public var directive: String

    func covers(_ diagnostic: Diagnostic) -> Bool {
        guard diagnostic.code == code else { return false }
        switch scope {
        case .file: return true
        case .lines(let lines): return lines.contains(diagnostic.anchor.start.line)
        }
    }
}

public enum Suppressions {
    static let directives = ["disable", "disable-file"]

    /// Finds the `# dnnc:` comments of a file. `quoted` holds the ranges of quoted and block scalars,
    /// where a `#` is text, not a comment. Malformed comments are reported as W0151.
    public static func parse(_ file: SourceFile, quoted: [SourceRange], diagnostics bag: inout DiagnosticBag) -> [Suppression] {
        var found: [Suppression] = []
        for (index, line) in file.lines.enumerated() {
            let number = index + 1
            let scalars = Array(line.unicodeScalars)
            guard let hash = commentStart(scalars, line: number, quoted: quoted) else { continue }
            var column = hash + 1  // 0-based index just after `#`
            func skipSpaces() { while column < scalars.count, scalars[column] == " " || scalars[column] == "\t" { column += 1 } }
            func word(until stop: (Unicode.Scalar) -> Bool) -> (text: String, start: Int) {
                let start = column
                while column < scalars.count, !stop(scalars[column]) { column += 1 }
                return (String(String.UnicodeScalarView(scalars[start..<column])), start)
            }
            skipSpaces()
            guard word(until: { $0 == ":" || $0 == " " }).text == "dnnc", column < scalars.count, scalars[column] == ":" else { continue }
            column += 1
            skipSpaces()
            let directive = word(until: { $0 == "=" || $0 == " " || $0 == "\t" })
            let standsAlone = scalars[..<hash].allSatisfy { $0 == " " || $0 == "\t" }
            let directiveRange = range(number, directive.start, column)
            guard directives.contains(directive.text) else {
                // `# dnnc: some remark` is an ordinary comment; `# dnnc: word=...` was meant as a directive.
                skipSpaces()
                guard column < scalars.count, scalars[column] == "=" else { continue }
                bag.report(.invalidSuppression, "unknown directive `\(directive.text)` in a `# dnnc:` comment", at: directiveRange,
                           help: Suggestions.didYouMean(directive.text, among: directives) ?? "write `# dnnc: disable=W0350` or `# dnnc: disable-file=W0350`")
                continue
            }
            skipSpaces()
            guard column < scalars.count, scalars[column] == "=" else {
                bag.report(.invalidSuppression, "`\(directive.text)` needs the codes to silence", at: directiveRange,
                           help: "write `# dnnc: \(directive.text)=W0350`")
                continue
            }
            column += 1
            var listed = false
            while column < scalars.count {
                skipSpaces()
                let item = word(until: { $0 == "," || $0 == " " || $0 == "\t" })
                let itemRange = range(number, item.start, column)
                skipSpaces()
                // The list ends at text that does not follow a comma: `disable=W0354 intended` is fine.
                let more = column < scalars.count && scalars[column] == ","
                if more { column += 1 }
                defer { if !more { column = scalars.count } }
                if item.text.isEmpty { continue }
                listed = true
                guard let code = DiagnosticCode(rawValue: item.text.uppercased()) else {
                    bag.report(.invalidSuppression, "`\(item.text)` is not a dnnc diagnostic code", at: itemRange,
                               help: Suggestions.didYouMean(item.text.uppercased(), among: DiagnosticCode.allCases.map(\.rawValue))
                                   ?? "`dnnc explain --list` lists the codes")
                    continue
                }
                guard code.severity == .warning else {
                    bag.report(.invalidSuppression, "\(code.rawValue) is an error and cannot be silenced", at: itemRange,
                               help: "fix the spec; only warnings (W codes) can be silenced")
                    continue
                }
                let scope: Suppression.Scope = directive.text == "disable-file" ? .file
                    : .lines(number...(standsAlone ? number + 1 : number))
                found.append(Suppression(code: code, scope: scope, range: itemRange, directive: directive.text))
            }
            if !listed {
                bag.report(.invalidSuppression, "`\(directive.text)=` lists no codes", at: directiveRange,
                           help: "write `# dnnc: \(directive.text)=W0350`")
            }
        }
        return found
    }

    /// Removes the warnings a suppression covers; then, when `reportUnused`, warns of each suppression
    /// that silenced nothing (only meaningful when every rule ran, that is when the file has no errors).
    /// Returns the silenced warnings.
    @discardableResult
    public static func apply(_ suppressions: [Suppression], to bag: inout DiagnosticBag, reportUnused: Bool) -> [Diagnostic] {
        var used = [Bool](repeating: false, count: suppressions.count)
        var silenced: [Diagnostic] = []
        bag.filter { diagnostic in
            guard diagnostic.severity == .warning else { return true }
            guard let index = suppressions.indices.first(where: { suppressions[$0].covers(diagnostic) }) else { return true }
            used[index] = true
            silenced.append(diagnostic)
            return false
        }
        guard reportUnused else { return silenced }
        for (suppression, isUsed) in zip(suppressions, used) where !isUsed {
            let place = suppression.scope == .file ? "in this file" : "on this line or the next"
            bag.report(.unusedSuppression, "`\(suppression.code.rawValue)` is silenced here, but no \(suppression.code.rawValue) is reported \(place)",
                       at: suppression.range, help: "remove it from the comment")
        }
        return silenced
    }

    /// The 0-based index of a line's comment `#`: one at the line's start or after a blank, outside quoted text.
    static func commentStart(_ scalars: [Unicode.Scalar], line: Int, quoted: [SourceRange]) -> Int? {
        for (i, c) in scalars.enumerated() where c == "#" && (i == 0 || scalars[i - 1] == " " || scalars[i - 1] == "\t") {
            let here = SourceLocation(line: line, column: i + 1)
            if quoted.contains(where: { $0.start <= here && here < $0.end }) { continue }
            return i
        }
        return nil
    }

    private static func range(_ line: Int, _ start: Int, _ end: Int) -> SourceRange {
        SourceRange(start: SourceLocation(line: line, column: start + 1), end: SourceLocation(line: line, column: end + 1))
    }
}
