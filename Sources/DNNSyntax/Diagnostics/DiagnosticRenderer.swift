// Renders diagnostics for people, in the style of rustc: a located header line, the source line with a
// caret span under the offending node, then notes and help; optionally in ANSI colour.

public enum DiagnosticRenderer {
    /// `path:line:col: error[E0205]: message`, the snippet, the notes and the help.
    public static func text(_ diagnostic: Diagnostic, in file: SourceFile, color: Bool = false) -> String {
        let paint = Paint(enabled: color)
        let range = diagnostic.range
        let severityColor = diagnostic.severity == .error ? Paint.red : Paint.yellow
        var out = paint("\(Format.printable(diagnostic.otherFile?.path ?? file.path)):\(position(range)):", Paint.bold) + " "
            + paint("\(diagnostic.severity.rawValue)[\(diagnostic.code.rawValue)]:", severityColor)
            + " " + paint(Format.printable(diagnostic.message), Paint.bold) + "\n"
        // One gutter width for the whole diagnostic, so the `|` columns line up as in rustc.
        let lines = [range] + diagnostic.notes.compactMap(\.range)
        let gutter = lines.map { String($0.start.line).count }.max() ?? 1
        out += snippet(range, line: diagnostic.otherFile.map { Substring($0.lineText) } ?? file.line(range.start.line), gutter: gutter,
                       paint: paint, caretColor: severityColor)
        for note in diagnostic.notes {
            if let noteRange = note.range, !noteRange.isNone {
                out += "  " + paint("note:", Paint.bold) + " \(file.path):\(position(noteRange)): \(Format.printable(note.message))\n"
                out += snippet(noteRange, line: file.line(noteRange.start.line), gutter: gutter, paint: paint, caretColor: Paint.blue)
            } else {
                out += "  " + paint("note:", Paint.bold) + " \(Format.printable(note.message))\n"
            }
        }
        if let help = diagnostic.help {
            out += "  " + paint("help:", Paint.cyan) + " \(Format.printable(help))\n"
        }
        return out
    }

    /// The most characters of a source line a snippet shows.
    static let maxSnippetWidth = 120

    static func position(_ range: SourceRange) -> String {
        let (line, column, _, _) = span(range)
        return "\(line):\(column)"
    }

    /// Start line, start column, end line, end column (exclusive), all 1-based; a range without a
    /// position (none) is reported at the file's start.
    public static func span(_ range: SourceRange) -> (Int, Int, Int, Int) {
        range.isNone ? (1, 1, 1, 1) : (range.start.line, range.start.column, range.end.line, range.end.column)
    }

    /// The source line of the range's start with `^` under the span (to the line's end when it spans lines).
    static func snippet(_ range: SourceRange, line fullLine: Substring?, gutter width: Int, paint: Paint,
                        caretColor: String) -> String {
        guard !range.isNone, let fullLine else { return "" }
        let digits = String(range.start.line)
        let number = String(repeating: " ", count: max(0, width - digits.count)) + digits
        let gutter = String(repeating: " ", count: number.count)
        // A long line shows a window of it around the start, so that a hostile one-line file cannot
        // flood the output.
        let scalars = Array(fullLine.unicodeScalars)
        var first = 0, line = String(fullLine)
        if scalars.count > maxSnippetWidth {
            first = max(0, min(range.start.column - 1 - maxSnippetWidth / 4, scalars.count - maxSnippetWidth))
            let last = min(scalars.count, first + maxSnippetWidth)
            line = (first > 0 ? "…" : "") + String(String.UnicodeScalarView(scalars[first..<last])) + (last < scalars.count ? "…" : "")
            first -= first > 0 ? 1 : 0  // the ellipsis takes one column
        }
        let text = line.unicodeScalars
        let startColumn = max(1, range.start.column - first)
        let endColumn = range.end.line == range.start.line
            ? min(max(range.end.column - first, startColumn + 1), text.count + 1)
            : max(text.count + 1, startColumn + 1)
        let lead = String(repeating: " ", count: startColumn - 1)
        let carets = String(repeating: "^", count: endColumn - startColumn)
        return paint(" \(number) |", Paint.blue) + " \(line)\n" + paint(" \(gutter) |", Paint.blue)
            + " \(lead)" + paint(carets, caretColor) + "\n"
    }
}

/// ANSI colours, applied only when enabled.
struct Paint {
    static let bold = "1", red = "1;31", yellow = "1;33", blue = "1;34", cyan = "1;36"
    var enabled: Bool

    func callAsFunction(_ text: String, _ style: String) -> String {
        enabled ? "\u{1B}[\(style)m\(text)\u{1B}[0m" : text
    }
}
