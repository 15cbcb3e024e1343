// The JSON Schema (draft 2020-12) and the key reference of the spec language, both produced from the
// language table, so the published grammar can never drift from what the checker accepts.

import DNNSyntax

public enum SchemaExport {
    public static func jsonSchema() -> JSONValue {
        let catalogs = Language.catalogs
        var root = record(Language.spec, doc: "A dnnc model spec, language version \(Language.version)")
        guard case .object(var pairs) = root else { return root }
        pairs.insert(("$schema", .string("https://json-schema.org/draft/2020-12/schema")), at: 0)
        pairs.insert(("$id", .string("https://dnnc.dev/schema/v\(Language.version).json")), at: 1)
        pairs.insert(("title", .string("dnnc spec")), at: 2)
        pairs.append(("$defs", .object(catalogs.map { ($0.name, choice($0)) })))
        root = .object(pairs)
        return root
    }

    static func type(_ t: ValueType) -> [(String, JSONValue)] {
        switch t {
        case .integer(let b): return [("type", .string("integer"))] + bounds(b)
        case .number(let b): return [("type", .string("number"))] + bounds(b)
        case .boolean: return [("type", .string("boolean"))]
        case .string: return [("type", .string("string"))]
        case .word(let words): return [("enum", .array(words.map { .string($0) }))]
        case .record(let r):
            guard case .object(let pairs) = record(r, doc: nil) else { return [] }
            return pairs
        case .choice(let catalog): return [("$ref", .string("#/$defs/\(catalog.name)"))]
        case .list(let item, let minCount):
            return [("type", .string("array")), ("minItems", .int(minCount)), ("items", .object(type(item)))]
        case .matrix:
            return [("type", .string("array")), ("minItems", .int(1)),
                    ("items", .object([("type", .string("array")), ("minItems", .int(1)),
                                       ("items", .object([("type", .string("number"))]))]))]
        case .shape:
            return [("type", .string("array")), ("minItems", .int(1)),
                    ("items", .object([("type", .string("integer")), ("minimum", .int(1))]))]
        case .dims(let b):
            let integer = JSONValue.object([("type", .string("integer"))] + bounds(b))
            return [("anyOf", .array([integer, .object([("type", .string("array")), ("minItems", .int(1)), ("items", integer)])]))]
        case .oneOf(let types):
            return [("anyOf", .array(types.map { .object(type($0)) }))]
        case .bindings:
            return [("type", .string("object")), ("propertyNames", .object([("pattern", .string("^[A-Za-z_][A-Za-z0-9_]*$"))]))]
        case .columns(let value):
            return [("type", .string("object")), ("additionalProperties", .object(type(value)))]
        }
    }

    static func bounds(_ b: Bounds) -> [(String, JSONValue)] {
        var out: [(String, JSONValue)] = []
        if let lo = b.min { out.append((b.minExclusive ? "exclusiveMinimum" : "minimum", .number(lo))) }
        if let hi = b.max { out.append((b.maxExclusive ? "exclusiveMaximum" : "maximum", .number(hi))) }
        return out
    }

    /// `placeholders`: each field may also be a block parameter, `"${name}"` (a layer's keys, which a
    /// block's layers may write so).
    static func record(_ r: Record, doc: String?, placeholders: Bool = false) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("type", .string("object"))]
        if let doc { pairs.append(("description", .string(doc))) }
        pairs.append(("properties", .object(r.fields.map { ($0.name, field($0, placeholders: placeholders)) })))
        let required = r.fields.filter(\.isRequired).map { JSONValue.string($0.name) }
        if !required.isEmpty { pairs.append(("required", .array(required))) }
        pairs.append(("additionalProperties", .bool(false)))
        return .object(pairs)
    }

    /// A block parameter written for a value: `${name}`.
    static let placeholder = JSONValue.object([("type", .string("string")), ("pattern", .string("^\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}$"))])

    static func field(_ f: Field, placeholders: Bool = false) -> JSONValue {
        var pairs: [(String, JSONValue)] = [("description", .string(f.doc))]
        pairs += placeholders ? [("anyOf", .array([.object(type(f.type)), placeholder]))] : type(f.type)
        switch f.defaultValue {
        case .int(let i): pairs.append(("default", .int(i)))
        case .number(let x): pairs.append(("default", .number(x)))
        case .bool(let b): pairs.append(("default", .bool(b)))
        case .word(let w), .choice(let w): pairs.append(("default", .string(w)))
        case .contextual, .off, nil: break
        }
        return .object(pairs)
    }

    /// A choice: a bare name (for kinds whose parameters all have defaults) or `{name: {params}}`.
    static func choice(_ catalog: Catalog) -> JSONValue {
        let bare = catalog.kinds.filter(\.canBeBare).flatMap { [$0.name] + $0.aliases }
        var options: [JSONValue] = [.object([("enum", .array(bare.map { .string($0) }))])]
        for kind in catalog.kinds {
            for name in [kind.name] + kind.aliases {
                guard case .object(var params) = record(Record(name: kind.name, fields: kind.params), doc: nil,
                                                        placeholders: catalog.name == Language.layers.name) else { continue }
                params[0] = ("type", kind.canBeBare ? .array([.string("object"), .string("null")]) : .string("object"))
                var value = JSONValue.object(params)
                if let shorthand = kind.params.first(where: { $0.name == kind.shorthand }) {
                    value = .object([("anyOf", .array([value, .object(type(shorthand.type))]))])
                }
                options.append(.object([
                    ("type", .string("object")),
                    ("description", .string(kind.doc)),
                    ("properties", .object([(name, value)])),
                    ("required", .array([.string(name)])),
                    ("additionalProperties", .bool(false)),
                ]))
            }
        }
        return .object([("description", .string("\(catalog.name): a bare name or a one-key mapping {name: {parameters}}")),
                        ("oneOf", .array(options))])
    }

    /// The key reference in Markdown: a table per section and per catalog.
    public static func reference() -> String {
        var out = "<!-- Generated by `dnnc reference` from the language table; do not edit by hand. -->\n"
        out += "# dnnc spec language v\(Language.version): every key\n\n"
        out += "Types, defaults and meanings, section by section. A choice (activation, initializer, loss, optimizer,\n"
        out += "layer) is written bare (`relu`) or as a one-key mapping (`{leaky_relu: {alpha: 0.1}}`).\n"
        // A section per mapping the language has, wherever it is reached: through a key, one of a
        // key's alternatives (`validation: {split: …}`) or a list's entries (`phases: [{…}]`). A
        // mapping reached at several places (a data file under inputs and targets) has one section
        // that names them all.
        var sections: [(name: String, paths: [String], record: Record)] = []
        func collect(_ type: ValueType, path: String) {
            switch type {
            case .record(let r):
                if let k = sections.firstIndex(where: { $0.name == r.name }) {
                    if !sections[k].paths.contains(path) { sections[k].paths.append(path) }
                    return
                }
                sections.append((r.name, [path], r))
                for f in r.fields { collect(f.type, path: path.isEmpty ? f.name : "\(path).\(f.name)") }
            case .oneOf(let types): for t in types { collect(t, path: path) }
            case .list(let item, _): collect(item, path: path + "[]")
            default: break
            }
        }
        collect(.record(Language.spec), path: "")
        for section in sections {
            let title = section.paths == [""] ? "top level"
                : section.paths.map { $0.hasSuffix("[]") ? "`\($0.dropLast(2))` entries" : "`\($0)`" }.joined(separator: ", ")
            let keys = section.record.fields.map(\.name).joined(separator: ", ")
            let viaChoice = section.paths.contains { path in sections.contains { other in other.record.fields.contains { f in
                if case .oneOf = f.type { return (other.paths.first.map { $0.isEmpty ? f.name : "\($0).\(f.name)" } ?? "") == path }
                return false
            } } }
            out += "\n## \(title)\(viaChoice ? " as {\(keys)}" : "")\n\n"
            out += table(section.record.fields)
        }
        for catalog in Language.catalogs {
            out += "\n## \(catalog.name.hasSuffix("s") ? catalog.name + "es" : catalog.name + "s")\n"
            for kind in catalog.kinds {
                let aliases = kind.aliases.isEmpty ? "" : " (alias " + kind.aliases.map { "`\($0)`" }.joined(separator: ", ") + ")"
                let shorthand = kind.shorthand.map { " Written `{\(kind.name): value}`, the value is its `\($0)`." } ?? ""
                out += "\n### `\(kind.name)`\(aliases)\n\n\(kind.doc).\(shorthand)\n"
                if !kind.params.isEmpty { out += "\n" + table(kind.params) }
            }
        }
        out += "\n## diagnostics\n\nEvery diagnostic code, with a spec that triggers it and the fix, is in "
        out += "[diagnostics.md](diagnostics.md) (`dnnc explain CODE` prints one).\n"
        return out
    }

    private static func table(_ fields: [Field]) -> String {
        var out = "| key | type | default | meaning |\n|---|---|---|---|\n"
        for f in fields {
            var type = typeText(f.type)
            switch f.type {
            case .integer(let b), .number(let b): if b.min != nil || b.max != nil { type += ", \(b.phrase)" }
            default: break
            }
            out += "| `\(f.name)` | \(type) | \(f.defaultValue.map { $0.description } ?? "required") | \(f.doc) |\n"
        }
        return out
    }

    /// A type for the reference's tables: a mapping is named by its keys, so two alternatives read
    /// `mapping {split} or mapping {inputs, targets}`.
    private static func typeText(_ type: ValueType) -> String {
        switch type {
        case .record(let r): "mapping {" + r.fields.map(\.name).joined(separator: ", ") + "}"
        case .oneOf(let types): types.map(typeText).joined(separator: " or ")
        case .list(let item, _): "list of " + typeText(item)
        default: type.description
        }
    }
}
