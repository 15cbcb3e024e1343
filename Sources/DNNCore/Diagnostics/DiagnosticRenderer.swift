// Renders diagnostics as text in the style of rustc: a located header line, the source line with a
// caret span under the offending node, then notes and help.

public enum DiagnosticRenderer {
    /// `path:line:col: error[E0205]: message`, the snippet, the notes and the help.
    public static func text(_ diagnostic: Diagnostic, in file: SourceFile) -> String {
        let range = diagnostic.range
        var out = "\(file.path):\(position(range)): \(diagnostic.severity.rawValue)[\(diagnostic.code.rawValue)]: \(diagnostic.message)\n"
        out += snippet(range, in: file)
        for note in diagnostic.notes {
            if let noteRange = note.range, !noteRange.isNone {
                out += "  note: \(file.path):\(position(noteRange)): \(note.message)\n"
                out += snippet(noteRange, in: file)
            } else {
                out += "  note: \(note.message)\n"
            }
        }
        if let help = diagnostic.help {
            out += "  help: \(help)\n"
        }
        return out
    }

    static func position(_ range: SourceRange) -> String {
        range.isNone ? "1:1" : "\(range.start.line):\(range.start.column)"
    }

    /// The source line of the range's start with `^` under the span (to the line's end when it spans lines).
    static func snippet(_ range: SourceRange, in file: SourceFile) -> String {
        guard !range.isNone, let line = file.line(range.start.line) else { return "" }
        let number = String(range.start.line)
        let gutter = String(repeating: " ", count: number.count)
        let text = line.unicodeScalars
        let startColumn = max(1, range.start.column)
        let endColumn = range.end.line == range.start.line
            ? max(range.end.column, startColumn + 1)
            : max(text.count + 1, startColumn + 1)
        let lead = String(repeating: " ", count: startColumn - 1)
        let carets = String(repeating: "^", count: endColumn - startColumn)
        return " \(number) | \(line)\n \(gutter) | \(lead)\(carets)\n"
    }
}
