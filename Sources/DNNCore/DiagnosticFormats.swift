// Renders diagnostics for machines: a JSON array, SARIF 2.1.0 for code-scanning uploads, and GitHub
// Actions workflow commands that annotate a pull request's lines. Lines and columns are 1-based;
// end columns are exclusive (one past the node), as in SARIF.

public enum DiagnosticFormats {
    /// One array of {file, line, column, end_line, end_column, severity, code, message, notes, help,
    /// fixes}; a fix is {line, column, end_line, end_column, replacement}: the span to replace.
    public static func json(_ results: [CompileResult]) -> String {
        let items = results.flatMap { result in result.diagnostics.sorted.map { object($0, path: result.file.path) } }
        return JSONValue.array(items).pretty + "\n"
    }

    /// One diagnostic as the JSON array holds it; `dnnc run --log-format jsonl` writes the diagnostics of
    /// training so, one per line under `diagnostic`.
    public static func object(_ d: Diagnostic, path: String) -> JSONValue {
        let notes = d.notes.map { note -> JSONValue in
            var fields: [(String, JSONValue)] = [("message", .string(note.message))]
            if let range = note.range, !range.isNone { fields += location(path, range) }
            return .object(fields)
        }
        return .object(location(d.otherFile?.path ?? path, d.range) + [
            ("severity", .string(d.severity.rawValue)),
            ("code", .string(d.code.rawValue)),
            ("message", .string(d.message)),
            ("notes", .array(notes)),
            ("help", d.help.map(JSONValue.string) ?? .null),
            ("fixes", .array(d.fixes.map { fix in
                .object(span(fix.range) + [("replacement", .string(fix.replacement))])
            })),
        ])
    }

    private static func location(_ path: String, _ range: SourceRange) -> [(String, JSONValue)] {
        [("file", .string(path))] + span(range)
    }

    /// line, column, end_line, end_column of a range.
    private static func span(_ range: SourceRange) -> [(String, JSONValue)] {
        let (line, column, endLine, endColumn) = DiagnosticRenderer.span(range)
        return [("line", .int(line)), ("column", .int(column)), ("end_line", .int(endLine)), ("end_column", .int(endColumn))]
    }

    /// A SARIF 2.1.0 log with one run: every code as a rule, every diagnostic as a result.
    public static func sarif(_ results: [CompileResult]) -> String {
        let codes = DiagnosticCode.allCases
        let rules = codes.map { code -> JSONValue in
            let explanation = code.explanation
            return .object([
                ("id", .string(code.rawValue)),
                ("name", .string(code.ruleName)),
                ("shortDescription", .object([("text", .string(code.summary))])),
                ("fullDescription", .object([("text", .string(explanation.description))])),
                ("help", .object([("text", .string("\(explanation.description)\n\nRun `dnnc explain \(code.rawValue)` for examples."))])),
                ("defaultConfiguration", .object([("level", .string(level(code.severity)))])),
            ])
        }
        var sarifResults: [JSONValue] = []
        for result in results {
            for d in result.diagnostics.sorted {
                var message = d.message
                for note in d.notes where note.range == nil || note.range!.isNone { message += "\nnote: \(note.message)" }
                if let help = d.help { message += "\nhelp: \(help)" }
                var fields: [(String, JSONValue)] = [
                    ("ruleId", .string(d.code.rawValue)),
                    ("ruleIndex", .int(codes.firstIndex(of: d.code)!)),
                    ("level", .string(level(d.severity))),
                    ("message", .object([("text", .string(message))])),
                    ("locations", .array([sarifLocation(d.otherFile?.path ?? result.file.path, d.range, message: nil)])),
                ]
                let related = d.notes.compactMap { note -> JSONValue? in
                    guard let range = note.range, !range.isNone else { return nil }
                    return sarifLocation(result.file.path, range, message: note.message)
                }
                if !related.isEmpty { fields.append(("relatedLocations", .array(related))) }
                // SARIF's fix: a description and the artifact's replacements (one each here).
                let fixes = d.fixes.map { fix -> JSONValue in
                    .object([
                        ("description", .object([("text", .string("replace with `\(fix.replacement)`"))])),
                        ("artifactChanges", .array([.object([
                            ("artifactLocation", .object([("uri", .string(uri(result.file.path)))])),
                            ("replacements", .array([.object([
                                ("deletedRegion", region(fix.range)),
                                ("insertedContent", .object([("text", .string(fix.replacement))])),
                            ])])),
                        ])])),
                    ])
                }
                if !fixes.isEmpty { fields.append(("fixes", .array(fixes))) }
                sarifResults.append(.object(fields))
            }
        }
        let log = JSONValue.object([
            ("$schema", .string("https://json.schemastore.org/sarif-2.1.0.json")),
            ("version", .string("2.1.0")),
            ("runs", .array([.object([
                ("tool", .object([("driver", .object([
                    ("name", .string("dnnc")),
                    ("version", .string(DNNCVersion.current)),
                    ("rules", .array(rules)),
                ]))])),
                ("columnKind", .string("unicodeCodePoints")),
                ("results", .array(sarifResults)),
            ])])),
        ])
        return log.pretty + "\n"
    }

    private static func level(_ severity: Severity) -> String {
        severity == .error ? "error" : "warning"
    }

    private static func region(_ range: SourceRange) -> JSONValue {
        let (line, column, endLine, endColumn) = DiagnosticRenderer.span(range)
        return .object([("startLine", .int(line)), ("startColumn", .int(column)),
                        ("endLine", .int(endLine)), ("endColumn", .int(max(endColumn, column)))])
    }

    private static func sarifLocation(_ path: String, _ range: SourceRange, message: String?) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("physicalLocation", .object([
                ("artifactLocation", .object([("uri", .string(uri(path)))])),
                ("region", region(range)),
            ])),
        ]
        if let message { fields.append(("message", .object([("text", .string(message))]))) }
        return .object(fields)
    }

    /// A relative URI reference for a path: `./` dropped, characters outside RFC 3986's unreserved
    /// set and `/` percent-encoded.
    static func uri(_ path: String) -> String {
        let trimmed = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        var out = ""
        for byte in trimmed.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~/".contains(c)) {
                out.append(c)
            } else {
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// GitHub Actions workflow commands: `::error file=F,line=L,col=C,endLine=L,endColumn=C,title=E0203::message`,
    /// the help on the annotation's next line.
    public static func github(_ results: [CompileResult]) -> String {
        var out = ""
        for result in results {
            for d in result.diagnostics.sorted {
                let (line, column, endLine, endColumn) = DiagnosticRenderer.span(d.range)
                var properties = "file=\(escapeProperty(d.otherFile?.path ?? result.file.path)),line=\(line),col=\(column)"
                // GitHub's endColumn names the last column, inclusive, and applies only within one line.
                if endLine == line, endColumn > column + 1 {
                    properties += ",endLine=\(endLine),endColumn=\(endColumn - 1)"
                }
                properties += ",title=\(escapeProperty(d.code.rawValue))"
                var message = d.message
                for note in d.notes {
                    let place = note.range.flatMap { $0.isNone ? nil : " (line \($0.start.line))" } ?? ""
                    message += "\nnote: \(note.message)\(place)"
                }
                if let help = d.help { message += "\nhelp: \(help)" }
                out += "::\(d.severity.rawValue) \(properties)::\(escapeData(message))\n"
            }
        }
        return out
    }

    /// Escaping of a workflow command's message, as the Actions toolkit does it.
    static func escapeData(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    /// Escaping of a workflow command's property value: the message's, plus `:` and `,`.
    static func escapeProperty(_ s: String) -> String {
        escapeData(s).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }
}

extension DiagnosticCode {
    /// The rule's name for SARIF, from its identifier: `unknownKey` → `UnknownKey`.
    public var ruleName: String {
        let name = String(describing: self)
        return name.prefix(1).uppercased() + name.dropFirst()
    }
}
