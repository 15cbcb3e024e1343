// `dnnc resolve`: a verified spec printed back as YAML with every default written out and marked
// `# default`, so nobody has to guess what an omitted key means. Keys keep the order they were
// written in, defaults follow in the language table's order; written values keep their spelling.

import DNNSyntax
import DNNModel
import DNNCheckpoint
import DNNRuntime

public enum Resolver {
    /// The resolved spec of a compile result that produced a model; nil otherwise.
    public static func resolve(_ result: CompileResult) -> String? {
        guard let spec = result.resolved, let model = result.model else { return nil }
        var emitter = Emitter(file: result.file, overridden: result.overridden)
        emitter.line("# \(result.file.path) resolved by dnnc \(DNNCVersion.current): `# default` marks what the spec left out")
        // Comments do not survive resolution; the warnings the original silenced stay silenced.
        let silenced = Set(result.silenced.map(\.code.rawValue)).sorted()
        if !silenced.isEmpty {
            emitter.line("# dnnc: disable-file=\(silenced.joined(separator: ",")) silenced by comments in the original")
        }
        emitter.record(fill(spec, model: model), Language.spec, indent: 0)
        return emitter.out
    }

    /// The spec tree with the defaults that depend on context filled in, as the resolved spec and the
    /// IR builder decided them: the tree is what is printed, the typed spec says what goes in it.
    static func fill(_ resolved: ResolvedSpec, model: ModelIR) -> SpecRecord {
        var spec = resolved.tree
        spec.set("name", SpecValue(content: .string(resolved.name.value), range: .none, isDefault: true), note: "the file's stem")
        spec.update("data") { data in
            data.setRecordDefaults("normalize", in: Language.spec.record("data")!)
        }
        spec.update("train") { train in
            // Defaults that come from other keys.
            var schedule = resolved.train.schedule
            for (key, value, note) in model.schedule.learningRate.rule.contextualDefaults {
                schedule.params.set(key, SpecValue(content: value, range: .none, isDefault: true), note: note)
            }
            train.fields["schedule"]!.content = .choice(schedule)
            if let rule = model.schedule.earlyStopping {
                train.update("early_stopping") { early in
                    early.set("monitor", SpecValue(content: .string(rule.monitor), range: .none, isDefault: true),
                              note: "val_loss with validation data, else loss")
                }
            }
            if let policy = model.schedule.checkpoint {
                train.update("checkpoint") { checkpoint in
                    checkpoint.set("path", SpecValue(content: .string(policy.written), range: .none, isDefault: true),
                                   note: "checkpoints/ followed by the spec's name")
                }
            }
            // A default batch size larger than the training set is clamped; write the size used.
            let batch = resolved.train.batchSize
            if batch.isDefault, batch.value != model.schedule.batchSize {
                train.fields["batch_size"] = SpecValue(content: .int(model.schedule.batchSize), range: .none, isDefault: true)
                train.notes["batch_size"] = "\(batch.value), clamped to the \(model.train.inputs.rows) training samples"
            }
        }
        guard let entries = resolved.model.layers else { return spec }
        spec.update("model") { modelRecord in
            modelRecord.setRecordDefaults("init", in: Language.spec.record("model")!)
            let modelInit = modelRecord["init"]!.record!
            let index = Dictionary(uniqueKeysWithValues: model.layers.enumerated().map { ($1.name, $0) })
            /// A layer's contextual defaults as the IR resolved them: name, inputs, pooling stride, initializers.
            func fill(_ choice: inout SpecChoice, name: String, inputs: [String]) {
                choice.params.set("name", SpecValue(content: .string(name), range: .none, isDefault: true), note: "`<kind>_<n>`")
                let list = inputs.map { SpecValue(content: .string($0), range: .none, isDefault: true) }
                choice.params.set("inputs", SpecValue(content: .list(list), range: .none, isDefault: true), note: "the layer before")
                guard let kind = Language.layers.kind(named: choice.kind) else { return }
                // A contextual default that names a sibling key (`stride` defaults to `size`) or
                // model.init's key is that value, as lowering takes it.
                for field in kind.params {
                    guard case .contextual(let source) = field.defaultValue else { continue }
                    let initKey = source.hasPrefix("model.init.") ? String(source.dropFirst("model.init.".count)) : nil
                    guard var value = initKey.map({ modelInit[$0] }) ?? choice.params[source] else { continue }
                    value.isDefault = true
                    choice.params.set(field.name, value, note: source)
                }
            }
            // A block instance's last layer is written as the instance's name.
            var lastLayerOf: [String: String] = [:]
            for instance in resolved.model.blocks where !instance.entries.isEmpty {
                lastLayerOf[entries[instance.entries.last!].name.value] = instance.name.value
            }
            /// A layer's name as the spec reads it: the model's input for the op that embeds columns,
            /// which the spec does not write.
            func written(_ l: Int) -> String { l < 0 || model.layers[l].kind is ColumnEmbedding ? "input" : model.layers[l].name }
            func name(_ l: Int) -> String {
                let full = written(l)
                return lastLayerOf[full] ?? full
            }
            var layers = modelRecord["layers"]!.list!
            for (i, entry) in resolved.model.itemEntries.enumerated() {
                guard var choice = layers[i].choice else { continue }
                if let e = entry {
                    let written = entries[e].name.value
                    guard let l = index[written] else { continue }
                    fill(&choice, name: written, inputs: model.layers[l].inputs.map(name))
                } else if let instance = resolved.model.blocks.first(where: { $0.item == i && $0.depth == 0 }) {
                    choice.params.set("name", SpecValue(content: .string(instance.name.value), range: .none, isDefault: true), note: "`block_<n>`")
                    choice.params.set("inputs", SpecValue(content: .list([SpecValue(content: .string(instance.writtenInput), range: .none, isDefault: true)]),
                                                          range: .none, isDefault: true), note: "the layer before")
                }
                layers[i].content = .choice(choice)
            }
            modelRecord.fields["layers"]!.content = .list(layers)
            // Each block's layers, as its first instance resolved them, `input` for the block's input.
            guard var blocks = modelRecord["blocks"]?.list else { return }
            var done = Set<Int>()
            for instance in resolved.model.blocks where done.insert(instance.declaration).inserted {
                guard var block = blocks[instance.declaration].record, var inner = block["layers"]?.list else { continue }
                // Its own layers (not those of blocks it uses), at their places in the declaration.
                for e in instance.entries {
                    guard let place = entries[e].block, place.instance == instance.name.value, place.item < inner.count,
                          var choice = inner[place.item].choice, let l = index[entries[e].name.value] else { continue }
                    let j = place.item
                    let inputs = model.layers[l].inputs.map { source -> String in
                        let full = written(source)
                        if full == instance.input { return "input" }
                        let prefix = instance.name.value + "."
                        return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : full
                    }
                    fill(&choice, name: entries[e].block!.name, inputs: inputs)
                    inner[j].content = .choice(choice)
                }
                block.fields["layers"]!.content = .list(inner)
                blocks[instance.declaration].content = .record(block)
            }
            modelRecord.fields["blocks"]!.content = .list(blocks)
        }
        return spec
    }

    /// Writes block-style YAML from the spec tree and the language table.
    struct Emitter {
        let file: SourceFile
        /// Where --set overrides replaced values (CompileResult.overridden).
        var overridden: [SourceRange] = []
        var out = ""

        mutating func line(_ text: String) { out += text + "\n" }

        func comment(_ value: SpecValue, _ record: SpecRecord, _ key: String) -> String {
            guard value.isDefault else { return "" }
            return record.notes[key].map { "  # default: \($0)" } ?? "  # default"
        }

        mutating func record(_ record: SpecRecord, _ table: Record, indent: Int) {
            let pad = String(repeating: " ", count: indent)
            for key in record.order {
                guard let value = record[key], let field = table.field(key) else { continue }
                entry(pad + key + ":", value, field.type, comment: comment(value, record, key), indent: indent)
            }
        }

        /// `lead` is the text before the value (`key:` or `-`); block values continue on the next lines.
        mutating func entry(_ lead: String, _ value: SpecValue, _ type: ValueType, comment: String, indent: Int) {
            switch (value.content, type) {
            case (.record(let r), .record(let table)):
                if r.order.isEmpty { line(lead + " {}" + comment); return }
                line(lead + comment)
                record(r, table, indent: indent + 2)
            case (.choice(let c), .choice(let catalog)):
                let kind = catalog.kind(named: c.kind)!
                if c.params.order.isEmpty { line(lead + " " + c.kind + comment); return }
                let params = Record(name: kind.name, fields: kind.params)
                if lead.hasSuffix("-") {  // a list item: `- dense:` with its parameters below
                    line(lead + " " + c.kind + ":" + comment)
                    record(c.params, params, indent: indent + 4)
                    return
                }
                line(lead + comment)
                line(String(repeating: " ", count: indent + 2) + c.kind + ":")
                record(c.params, params, indent: indent + 4)
            case (.list(let items), .list(let itemType, _)):
                line(lead + comment)
                let pad = String(repeating: " ", count: indent + 2)
                for item in items { entry(pad + "-", item, itemType, comment: "", indent: indent + 2) }
            case (.list(let items), .shape), (.list(let items), .dims):
                line(lead + " [" + items.map { scalar($0) }.joined(separator: ", ") + "]" + comment)
            case (_, .oneOf(let types)):
                // Written as whichever alternative the value is.
                let matching = types.first { t in
                    switch (value.content, t) {
                    // Of two record types (a validation split or a validation set), the one with its keys.
                    case (.record(let r), .record(let table)): r.order.allSatisfy { table.field($0) != nil }
                    case (.choice, .choice), (.matrix, .matrix), (.list, .list), (.list, .dims),
                         (.bool, .boolean), (.int, .integer), (.int, .dims), (.number, .number), (.string, .word), (.string, .string): true
                    default: false
                    }
                } ?? types[0]
                entry(lead, value, matching, comment: comment, indent: indent)
            case (.matrix(let m), _):
                line(lead + comment)
                let pad = String(repeating: " ", count: indent + 2)
                for (row, range) in zip(m.rows, m.rowRanges) {
                    let text = range.start.line == range.end.line ? source(range)
                        : "[" + row.map(Format.number).joined(separator: ", ") + "]"
                    line(pad + "- " + text)
                }
            default:
                line(lead + " " + scalar(value) + comment)
            }
        }

        /// A scalar as written, or, for a default, in its canonical form.
        func scalar(_ value: SpecValue) -> String {
            // An alias's value stands at the alias (`*width`): it is written in canonical form below.
            // A value a --set override put there stands at the value it replaced: it is written in canonical form.
            if !value.isDefault, !value.range.isNone, value.range.start.line == value.range.end.line, !source(value.range).hasPrefix("*"),
               !overridden.contains(where: { $0.start <= value.range.start && value.range.end <= $0.end }) {
                // An anchored node's range starts at its anchor: `&width 8` is written as `8`.
                let text = source(value.range)
                guard text.hasPrefix("&"), let space = text.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return text }
                return text[space...].trimmingPrefix(while: { $0 == " " || $0 == "\t" }).description
            }
            switch value.content {
            case .int(let i): return String(i)
            case .number(let x): return Format.number(x)
            case .bool(let b): return String(b)
            case .string(let s): return quoteIfNeeded(s)
            default: return ""
            }
        }

        func source(_ range: SourceRange) -> String {
            guard let text = file.line(range.start.line) else { return "" }
            let scalars = Array(text.unicodeScalars)
            let lo = min(max(range.start.column - 1, 0), scalars.count), hi = min(max(range.end.column - 1, lo), scalars.count)
            return String(String.UnicodeScalarView(scalars[lo..<hi]))
        }

        /// A string plain when YAML reads it back as the same string, double-quoted otherwise.
        func quoteIfNeeded(_ s: String) -> String {
            guard let first = s.unicodeScalars.first, !"-./".unicodeScalars.contains(first) else { return JSONValue.quote(s) }
            let safeCharacters = s.unicodeScalars.allSatisfy { c in
                c.properties.isAlphabetic || ("0"..."9").contains(c) || "-_./".unicodeScalars.contains(c)
            }
            let plainSafe = safeCharacters && CoreSchema.resolve(plain: s) == .string(s)
            return plainSafe ? s : JSONValue.quote(s)
        }
    }
}

extension SpecRecord {
    /// Sets a field that was not written; a written one is kept.
    mutating func set(_ key: String, _ value: SpecValue, note: String? = nil) {
        guard fields[key] == nil else { return }
        fields[key] = value
        order.append(key)
        if let note { notes[key] = note }
    }

    mutating func update(_ key: String, _ change: (inout SpecRecord) -> Void) {
        guard var record = fields[key]?.record else { return }
        change(&record)
        fields[key]!.content = .record(record)
    }

    /// Sets an omitted record-valued field to its table's defaults.
    mutating func setRecordDefaults(_ key: String, in table: Record) {
        guard fields[key] == nil, case .record(let inner)? = table.field(key)?.type else { return }
        var record = SpecRecord(fields: [:], order: [], range: .none)
        for field in inner.fields {
            if let value = SpecChecker.defaultValue(field, at: .none) { record.set(field.name, value) }
        }
        set(key, SpecValue(content: .record(record), range: .none, isDefault: true))
    }
}

extension Record {
    /// The record type of a record-valued field.
    func record(_ key: String) -> Record? {
        if case .record(let r)? = field(key)?.type { return r }
        return nil
    }
}
