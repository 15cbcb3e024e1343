// `dnnc lsp`: the Language Server Protocol (3.17) over JSON-RPC. This file is the server's logic, one
// message in, the replies and notifications out, so that tests can drive it; Sources/dnnc/LSP.swift
// frames the messages on stdin and stdout (Content-Length headers) and debounces the diagnostics.
//
// What it answers, from the same compiler `dnnc check` runs:
//   publishDiagnostics  the check's codes, ranges, notes and help (data lint at the spec's file reference)
//   hover               a layer's inferred shapes, parameters and multiply-adds; a key's reference entry;
//                       an activation's, loss's, optimizer's (any catalog's) doc and parameters
//   completion          the keys valid at the cursor, a choice key's kinds, layer names in `inputs`,
//                       block names in `use`
//   definition          a layer name in `inputs`, a block name in `use`
//   documentSymbol      the layers; codeAction: the diagnostics' fix-its
// Positions: LSP counts lines from 0 and characters in UTF-16 code units; dnnc counts both from 1, the
// columns in Unicode scalars. `Document` converts.

import Foundation
import DNNSyntax
import DNNModel

public final class LanguageServer {
    /// Where replies and notifications go (the transport frames them).
    private let send: (JSONValue) -> Void
    private var documents: [String: Document] = [:]
    public private(set) var shutdownRequested = false

    public init(send: @escaping (JSONValue) -> Void) { self.send = send }

    /// One open file: its text, version, and the compile of that version (made when first needed).
    final class Document {
        let uri: String
        /// Each change of the text counts one revision, which the caches below are keyed by (an editor's
        /// version could repeat).
        var text: String { didSet { revision += 1 } }
        var version: Int
        private var revision = 0
        private var compiledVersion = -1
        private var cached: CompileResult? = nil
        private var parsedVersion = -1
        private var parsed: YAMLNode? = nil

        init(uri: String, text: String, version: Int) {
            self.uri = uri
            self.text = text
            self.version = version
        }

        var path: String { uri.hasPrefix("file://") ? (uri.dropFirst(7).removingPercentEncoding ?? String(uri.dropFirst(7))) : uri }
        var file: SourceFile { SourceFile(path: path, text: text) }

        var compiled: CompileResult {
            if compiledVersion != revision || cached == nil {
                cached = Compiler.compile(file)
                compiledVersion = revision
            }
            return cached!
        }

        var root: YAMLNode? {
            if parsedVersion != revision {
                var bag = DiagnosticBag()
                parsed = YAMLParser.parse(file, diagnostics: &bag)
                parsedVersion = revision
            }
            return parsed
        }

        private var linesRevision = -1
        private var split: [Substring] = []
        /// The text's lines, split once per revision: every position and range conversion reads them.
        var lines: [Substring] {
            if linesRevision != revision {
                split = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
                linesRevision = revision
            }
            return split
        }

        /// LSP position → dnnc location.
        func location(line: Int, character: Int) -> SourceLocation {
            let all = lines
            guard line >= 0, line < all.count else { return SourceLocation(line: line + 1, column: 1) }
            var units = 0, column = 1
            for scalar in all[line].unicodeScalars {
                if units >= character { break }
                units += scalar.utf16.count
                column += 1
            }
            return SourceLocation(line: line + 1, column: column)
        }

        /// dnnc location → LSP position.
        func position(_ location: SourceLocation) -> JSONValue {
            let all = lines, line = max(location.line - 1, 0)
            var units = 0
            if line < all.count {
                for (k, scalar) in all[line].unicodeScalars.enumerated() where k < location.column - 1 { units += scalar.utf16.count }
            }
            return .object([("line", .int(line)), ("character", .int(units))])
        }

        func range(_ range: SourceRange) -> JSONValue {
            let r = range.isNone ? SourceRange(start: SourceLocation(line: 1, column: 1), end: SourceLocation(line: 1, column: 1)) : range
            return .object([("start", position(r.start)), ("end", position(r.end))])
        }
    }

    // MARK: - messages

    /// Handles one message (a parsed JSON object, or nil when it was not JSON). Returns false after `exit`.
    @discardableResult
    public func handle(_ message: [String: Any]?) -> Bool {
        guard let message, let method = message["method"] as? String else {
            if message == nil || message?["id"] != nil && message?["method"] == nil && message?["result"] == nil {
                error(id: .null, code: -32700, "the message is not a JSON-RPC request")
            }
            return true
        }
        let id = (message["id"]).map(jsonID)
        let params = message["params"] as? [String: Any] ?? [:]
        switch method {
        case "initialize":
            reply(id, .object([
                ("capabilities", .object([
                    ("textDocumentSync", .int(1)),
                    ("hoverProvider", .bool(true)),
                    ("completionProvider", .object([("triggerCharacters", .array([":", " ", "[", ",", "-"].map { .string($0) }))])),
                    ("definitionProvider", .bool(true)),
                    ("documentSymbolProvider", .bool(true)),
                    ("codeActionProvider", .bool(true)),
                ])),
                ("serverInfo", .object([("name", .string("dnnc")), ("version", .string(DNNCVersion.current))])),
            ]))
        case "initialized", "$/cancelRequest", "$/setTrace", "workspace/didChangeConfiguration", "textDocument/didSave":
            break
        case "shutdown":
            shutdownRequested = true
            reply(id, .null)
        case "exit":
            return false
        case "textDocument/didOpen":
            guard let item = params["textDocument"] as? [String: Any], let uri = item["uri"] as? String, let text = item["text"] as? String else { break }
            documents[uri] = Document(uri: uri, text: text, version: item["version"] as? Int ?? 0)
            publishDiagnostics(uri)
        case "textDocument/didChange":
            guard let item = params["textDocument"] as? [String: Any], let uri = item["uri"] as? String, let document = documents[uri],
                  let changes = params["contentChanges"] as? [[String: Any]], let text = changes.last?["text"] as? String else { break }
            document.text = text
            document.version = item["version"] as? Int ?? document.version + 1
        case "textDocument/didClose":
            guard let uri = (params["textDocument"] as? [String: Any])?["uri"] as? String else { break }
            documents[uri] = nil
            send(notification("textDocument/publishDiagnostics", .object([("uri", .string(uri)), ("diagnostics", .array([]))])))
        case "textDocument/hover", "textDocument/completion", "textDocument/definition", "textDocument/documentSymbol", "textDocument/codeAction":
            guard let uri = (params["textDocument"] as? [String: Any])?["uri"] as? String, let document = documents[uri] else {
                reply(id, .null)
                break
            }
            let position = params["position"] as? [String: Any]
            let at = document.location(line: position?["line"] as? Int ?? 0, character: position?["character"] as? Int ?? 0)
            switch method {
            case "textDocument/hover": reply(id, hover(document, at))
            case "textDocument/completion": reply(id, completion(document, at))
            case "textDocument/definition": reply(id, definition(document, at))
            case "textDocument/documentSymbol": reply(id, symbols(document))
            default: reply(id, codeActions(document, params))
            }
        default:
            if let id { error(id: id, code: -32601, "dnnc's language server has no method `\(method)`") }
        }
        return true
    }

    /// The diagnostics of an open document's current text.
    public func publishDiagnostics(_ uri: String) {
        guard let document = documents[uri] else { return }
        let result = document.compiled
        let items = result.diagnostics.sorted.map { d -> JSONValue in
            // A diagnostic in a data file stands at the spec's reference to it.
            let range = d.otherFile == nil ? d.range : d.anchor
            var message = d.message
            if let other = d.otherFile { message = "\(other.path):\(d.range.start.line):\(d.range.start.column): " + message }
            if let help = d.help { message += "\nhelp: " + help }
            let notes = d.notes.filter { $0.range.map { !$0.isNone } ?? false }.map { note -> JSONValue in
                .object([("location", .object([("uri", .string(uri)), ("range", document.range(note.range!))])), ("message", .string(note.message))])
            }
            return .object([("range", document.range(range)), ("severity", .int(d.severity == .error ? 1 : 2)),
                            ("code", .string(d.code.rawValue)), ("source", .string("dnnc")), ("message", .string(message)),
                            ("relatedInformation", .array(notes))])
        }
        send(notification("textDocument/publishDiagnostics", .object([("uri", .string(uri)), ("version", .int(document.version)), ("diagnostics", .array(items))])))
    }

    /// The open documents whose diagnostics are due (for the transport's debounce).
    public var openDocuments: [String] { Array(documents.keys) }

    // MARK: - hover

    func hover(_ document: Document, _ at: SourceLocation) -> JSONValue {
        guard let root = document.root, let found = Self.find(at, in: root) else { return .null }
        var text: String? = nil
        let path = found.path
        let layerIndex = path.count >= 2 && path[0] == "model" && path[1].hasPrefix("layers[") ? Int(path[1].dropFirst(7).dropLast()) : nil
        if found.isKey, !(layerIndex != nil && path.count == 3), let parent = Self.field(at: Array(path.dropLast()), in: Language.spec),
           let kind = Self.choiceKind(parent.type, named: found.text) {
            // `{adam: {lr: 0.01}}`: the key names a kind of its catalog.
            text = Self.describe(kind.kind, in: kind.catalog)
        } else if found.isKey, let field = Self.field(at: path, in: Language.spec), !(layerIndex != nil && path.count == 3) {
            text = Self.describe(field)
        } else if !found.isKey, let field = Self.field(at: path, in: Language.spec), let kind = Self.choiceKind(field.type, named: found.text) {
            text = Self.describe(kind.kind, in: kind.catalog)
        }
        if text == nil, layerIndex != nil, let model = document.compiled.model ?? document.compiled.partialModel,
           let layer = model.layers.last(where: { !($0.kind is ColumnEmbedding) && $0.range.start <= at && at <= $0.range.end }) {
            let inputs = layer.inputShapes.map { "\($0)" }.joined(separator: ", ")
            text = "**\(layer.name)** (\(layer.kind.name))\n\ninput \(inputs) → output \(layer.outputShape)\n\n"
                + "\(layer.parameterCount) parameters, \(layer.kind.multiplyAdds(layer)) multiply-adds per sample, activation \(layer.activation.name)"
        }
        guard var text else { return .null }
        // The keys this mapping leaves out, with the values dnnc resolves them to (`dnnc resolve`).
        if found.isKey, let omitted = omittedDefaults(document, path), !omitted.isEmpty {
            text += "\n\nleft out, so resolved to:\n" + omitted.map { "- `\($0)`" }.joined(separator: "\n")
        }
        return .object([("contents", .object([("kind", .string("markdown")), ("value", .string(text))])), ("range", document.range(found.range))])
    }

    /// The `key: value` lines `dnnc resolve` marks `# default` directly in the mapping at `path` (the
    /// resolved spec's own order), with what their comment says when the default depends on context.
    func omittedDefaults(_ document: Document, _ path: [String]) -> [String]? {
        guard let resolved = Resolver.resolve(document.compiled) else { return nil }
        let file = SourceFile(path: document.path, text: resolved)
        var bag = DiagnosticBag()
        guard var node = YAMLParser.parse(file, diagnostics: &bag) else { return nil }
        for component in path {
            switch node.content {
            case .mapping(let pairs):
                guard let pair = pairs.first(where: { $0.key.scalarText == component }) else { return nil }
                node = pair.value
            case .sequence(let items):
                guard let open = component.lastIndex(of: "["), let k = Int(component[component.index(after: open)...].dropLast()), k < items.count else { return nil }
                node = items[k]
            default:
                return nil
            }
            // A list item's path names the list and the index at once (`layers[0]`).
            if case .mapping(let pairs) = node.content, let open = component.lastIndex(of: "["), component.hasSuffix("]"),
               let pair = pairs.first(where: { $0.key.scalarText == String(component[..<open]) }),
               case .sequence(let items) = pair.value.content, let k = Int(component[component.index(after: open)...].dropLast()), k < items.count {
                node = items[k]
            }
        }
        guard case .mapping(let pairs) = node.content else { return nil }
        return pairs.compactMap { pair in
            guard let line = file.line(pair.key.range.start.line), let hash = line.range(of: "  # default") else { return nil }
            let entry = line[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
            let note = line[hash.upperBound...].drop { $0 == ":" || $0 == " " }
            return entry.hasSuffix(":") ? nil : entry + (note.isEmpty ? "" : " (\(note))")
        }
    }

    /// A field's reference entry: its type, default and meaning.
    static func describe(_ field: Field) -> String {
        "**\(field.name)**: \(field.type.description)" + (field.defaultValue.map { " (default: \($0.description))" } ?? " (required)") + "\n\n" + field.doc
    }

    static func describe(_ kind: ChoiceKind, in catalog: Catalog) -> String {
        var text = "**\(kind.name)** (\(catalog.name))\n\n\(kind.doc)"
        if !kind.params.isEmpty {
            text += "\n\n" + kind.params.map { "- `\($0.name)`: " + ($0.defaultValue.map { "default \($0.description)" } ?? "required") + ", " + $0.doc }.joined(separator: "\n")
        }
        return text
    }

    /// The node under a location: its key path, whether it is a key, its text and range.
    struct Found {
        var path: [String]
        var isKey: Bool
        var text: String
        var range: SourceRange
    }

    static func find(_ at: SourceLocation, in node: YAMLNode, path: [String] = []) -> Found? {
        func contains(_ r: SourceRange) -> Bool { r.start <= at && at <= r.end }
        switch node.content {
        case .scalar:
            return contains(node.range) ? Found(path: path, isKey: false, text: node.scalarText ?? "", range: node.range) : nil
        case .sequence(let items):
            // An item is its list's key with an index: `layers[2]`.
            for (i, item) in items.enumerated() where contains(item.range) {
                return find(at, in: item, path: path.dropLast() + ["\(path.last ?? "")[\(i)]"])
            }
            return nil
        case .mapping(let pairs):
            for pair in pairs {
                let key = pair.key.scalarText ?? ""
                if contains(pair.key.range) { return Found(path: path + [key], isKey: true, text: key, range: pair.key.range) }
                if contains(pair.value.range) { return find(at, in: pair.value, path: path + [key]) }
            }
            return nil
        }
    }

    /// The field a key path names: records by field, choices by kind, lists by `[i]`.
    static func field(at path: [String], in record: Record) -> Field? {
        var type = ValueType.record(record), field: Field? = nil
        for component in path.map(Self.normalize) {
            guard let next = step(type, component) else { return nil }
            (type, field) = (next.type, next.field ?? field)
        }
        return field
    }

    /// `layers[3]` → `[]`: the item of a list.
    static func normalize(_ component: String) -> String {
        if let open = component.firstIndex(of: "["), component.hasSuffix("]") { return String(component[..<open]) + "[]" }
        return component
    }

    static func step(_ type: ValueType, _ component: String) -> (type: ValueType, field: Field?)? {
        switch type {
        case .record(let r):
            if component.hasSuffix("[]") {
                guard let f = r.field(String(component.dropLast(2))) else { return nil }
                return step(f.type, "[]").map { ($0.type, f) }
            }
            return r.field(component).map { ($0.type, $0) }
        case .choice(let catalog):
            guard let kind = catalog.kind(named: component) else { return nil }
            return (.record(Record(name: kind.name, fields: kind.params)), nil)
        case .list(let item, _) where component == "[]": return (item, nil)
        case .columns(let value): return (value, .required(component, value, "the column `\(component)`"))
        case .oneOf(let types):
            for t in types { if let s = step(t, component) { return s } }
            return nil
        default: return nil
        }
    }

    /// The catalog kind a scalar names, when the field holds a choice.
    static func choiceKind(_ type: ValueType, named name: String) -> (kind: ChoiceKind, catalog: Catalog)? {
        switch type {
        case .choice(let catalog): return catalog.kind(named: name).map { ($0, catalog) }
        case .oneOf(let types): return types.lazy.compactMap { choiceKind($0, named: name) }.first
        case .list(let item, _): return choiceKind(item, named: name)
        default: return nil
        }
    }

    // MARK: - completion

    func completion(_ document: Document, _ at: SourceLocation) -> JSONValue {
        let lines = document.lines
        guard at.line - 1 < lines.count else { return .array([]) }
        let line = String(String.UnicodeScalarView(lines[at.line - 1].unicodeScalars.prefix(at.column - 1)))
        var items: [(String, String, Int)] = []  // label, detail, kind (LSP CompletionItemKind)
        let names = layerNames(document)
        if let inputs = line.range(of: "inputs:"), !line[inputs.upperBound...].contains("]") {
            items = (["input"] + names).map { ($0, "a layer", 18) }
        } else if line.range(of: #"use:\s*\S*$"#, options: .regularExpression) != nil {
            items = blockNames(document).map { ($0, "a block", 7) }
        } else if let key = line.range(of: #"([A-Za-z_]+):\s*[A-Za-z_]*$"#, options: .regularExpression) {
            // A value: the kinds of the key's catalog, or its words.
            let name = String(line[key].prefix { $0 != ":" })
            let path = Self.parentPath(lines, line: at.line - 1, column: line.count, flowKey: name) + [name]
            if let field = Self.field(at: path, in: Language.spec) { items = Self.values(field.type) }
        } else {
            let path = Self.parentPath(lines, line: at.line - 1, column: line.count, flowKey: nil)
            items = Self.keys(at: path).map { ($0.name, $0.doc, 10) }
        }
        return .object([("isIncomplete", .bool(false)), ("items", .array(items.map { label, detail, kind in
            .object([("label", .string(label)), ("kind", .int(kind)), ("detail", .string(String(detail.prefix(120))))])
        }))])
    }

    /// The keys a mapping at a path may hold: a record's fields, a layer list item's kinds.
    static func keys(at path: [String]) -> [(name: String, doc: String)] {
        var type = ValueType.record(Language.spec)
        for component in path.map(normalize) {
            guard let next = step(type, component) else { return [] }
            type = next.type
        }
        switch type {
        case .record(let r): return r.fields.map { ($0.name, $0.doc) }
        case .list(.choice(let catalog), _), .choice(let catalog): return catalog.kinds.map { ($0.name, $0.doc) }
        case .oneOf(let types): return types.flatMap { t -> [(name: String, doc: String)] in
            if case .record(let r) = t { return r.fields.map { ($0.name, $0.doc) } }
            return []
        }
        default: return []
        }
    }

    /// The values a key takes: its catalog's kinds, its words, true and false.
    static func values(_ type: ValueType) -> [(String, String, Int)] {
        switch type {
        case .choice(let catalog): return catalog.kinds.map { ($0.name, $0.doc, 12) }
        case .word(let words): return words.map { ($0, "", 12) }
        case .boolean: return [("true", "", 12), ("false", "", 12)]
        case .oneOf(let types): return types.flatMap(values)
        default: return []
        }
    }

    /// The key path of the mapping a line's cursor is in, from indentation: each less indented line above
    /// that ends in `key:` (or `- kind:`) opens one level; a list item adds `[]`. In a flow mapping
    /// (`- dense: {units: 8, activation: `) the kind before `{` is the level.
    static func parentPath(_ lines: [Substring], line index: Int, column: Int, flowKey: String?) -> [String] {
        func indent(_ s: Substring) -> Int { s.prefix { $0 == " " }.count }
        var path: [String] = []
        let current = lines[index]
        if let brace = current.prefix(column).lastIndex(of: "{"), let kind = current[..<brace].range(of: #"([A-Za-z_]+):\s*$"#, options: .regularExpression) {
            path.insert(String(current[kind].prefix { $0 != ":" }), at: 0)
        }
        // The cursor's line is itself a list item (`- dense: {…`): it is in an item of the list above.
        if current.trimmingCharacters(in: .whitespaces).hasPrefix("- ") { path.insert("[]", at: 0) }
        var level = indent(current)
        var k = index - 1
        while k >= 0, level > 0 {
            let text = lines[k]
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { k -= 1; continue }
            let depth = indent(text)
            if depth < level {
                var body = Substring(trimmed)
                let isItem = body.hasPrefix("- ")
                if isItem { body = body.dropFirst(2) }
                if let colon = body.firstIndex(of: ":"), body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces).isEmpty || isItem {
                    let key = String(body[..<colon])
                    if isItem {
                        // `- kind:` opens the kind's params inside a list item.
                        if body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces).isEmpty { path.insert(key, at: 0) }
                        path.insert("[]", at: 0)
                    } else {
                        path.insert(key, at: 0)
                    }
                }
                level = depth
                if depth == 0 { break }
            }
            k -= 1
        }
        // `[]` joins the list key before it: `layers`, `[]` → `layers[]`.
        var joined: [String] = []
        for component in path {
            if component == "[]", let last = joined.popLast() { joined.append(last + "[]") } else { joined.append(component) }
        }
        return joined
    }

    func layerNames(_ document: Document) -> [String] {
        if let layers = document.compiled.resolved?.model.layers { return layers.map(\.name.value) }
        return []
    }

    func blockNames(_ document: Document) -> [String] {
        document.compiled.resolved?.tree["model"]?.record?["blocks"]?.list?.compactMap { $0.record?["name"]?.string } ?? []
    }

    // MARK: - definition, symbols, code actions

    func definition(_ document: Document, _ at: SourceLocation) -> JSONValue {
        guard let root = document.root, let found = Self.find(at, in: root), !found.isKey else { return .null }
        let key = found.path.last.map(Self.normalize) ?? ""
        let resolved = document.compiled.resolved
        var target: SourceRange? = nil
        if key == "inputs[]" || key == "inputs" {
            target = resolved?.model.layers?.first { $0.name.value == found.text || $0.block.map { "\($0.instance).\($0.name)" } == found.text }?.name.range
        } else if key == "use" {
            target = resolved?.tree["model"]?.record?["blocks"]?.list?.compactMap { $0.record?["name"] }.first { $0.string == found.text }?.range
        }
        guard let target else { return .null }
        return .object([("uri", .string(document.uri)), ("range", document.range(target))])
    }

    func symbols(_ document: Document) -> JSONValue {
        guard let layers = document.compiled.resolved?.model.layers else { return .array([]) }
        let shapes = Dictionary((document.compiled.model?.layers ?? []).map { ($0.name, $0.outputShape) }, uniquingKeysWith: { a, _ in a })
        return .array(layers.map { entry in
            .object([("name", .string(entry.name.value)),
                     ("detail", .string(entry.choice.kind + (shapes[entry.name.value].map { " → \($0)" } ?? ""))),
                     ("kind", .int(5)), ("range", document.range(entry.range)), ("selectionRange", document.range(entry.name.range))])
        })
    }

    func codeActions(_ document: Document, _ params: [String: Any]) -> JSONValue {
        let range = params["range"] as? [String: Any]
        let start = range?["start"] as? [String: Any], end = range?["end"] as? [String: Any]
        let from = document.location(line: start?["line"] as? Int ?? 0, character: start?["character"] as? Int ?? 0)
        let to = document.location(line: end?["line"] as? Int ?? 0, character: end?["character"] as? Int ?? 0)
        var actions: [JSONValue] = []
        for d in document.compiled.diagnostics.all where d.otherFile == nil && !d.fixes.isEmpty && d.range.start.line <= to.line && from.line <= d.range.end.line {
            for fix in d.fixes {
                let edit = JSONValue.object([("range", document.range(fix.range)), ("newText", .string(fix.replacement))])
                actions.append(.object([("title", .string("\(d.code.rawValue): replace with `\(fix.replacement)`")), ("kind", .string("quickfix")),
                                        ("edit", .object([("changes", .object([(document.uri, .array([edit]))]))]))]))
            }
        }
        return .array(actions)
    }

    // MARK: - JSON-RPC

    private func jsonID(_ id: Any) -> JSONValue {
        if let n = id as? Int { return .int(n) }
        if let s = id as? String { return .string(s) }
        return .null
    }

    private func reply(_ id: JSONValue?, _ result: JSONValue) {
        guard let id else { return }
        send(.object([("jsonrpc", .string("2.0")), ("id", id), ("result", result)]))
    }

    private func error(id: JSONValue, code: Int, _ message: String) {
        send(.object([("jsonrpc", .string("2.0")), ("id", id), ("error", .object([("code", .int(code)), ("message", .string(message))]))]))
    }

    private func notification(_ method: String, _ params: JSONValue) -> JSONValue {
        .object([("jsonrpc", .string("2.0")), ("method", .string(method)), ("params", params)])
    }
}
