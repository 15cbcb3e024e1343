// `dnnc resolve`: a verified spec printed back as YAML with every default written out and marked
// `# default`, so nobody has to guess what an omitted key means. Keys keep the order they were
// written in, defaults follow in the language table's order; written values keep their spelling.

public enum Resolver {
    /// The resolved spec of a compile result that produced a model; nil otherwise.
    public static func resolve(_ result: CompileResult) -> String? {
        guard let spec = result.spec, let model = result.model else { return nil }
        var emitter = Emitter(file: result.file)
        emitter.line("# \(result.file.path) resolved by dnnc \(DNNCVersion.current): `# default` marks what the spec left out")
        // Comments do not survive resolution; the warnings the original silenced stay silenced.
        let silenced = Set(result.silenced.map(\.code.rawValue)).sorted()
        if !silenced.isEmpty {
            emitter.line("# dnnc: disable-file=\(silenced.joined(separator: ",")) silenced by comments in the original")
        }
        emitter.record(fill(spec, model: model, file: result.file), Language.spec, indent: 0)
        return emitter.out
    }

    /// The spec tree with the defaults that depend on context filled in, as the IR builder resolved them.
    static func fill(_ spec: SpecRecord, model: ModelIR, file: SourceFile) -> SpecRecord {
        var spec = spec
        spec.set("name", SpecValue(content: .string(model.name), range: .none, isDefault: true), note: "the file's stem")
        spec.update("data") { data in
            data.setRecordDefaults("normalize", in: Language.spec.record("data")!)
        }
        spec.update("train") { train in
            // Defaults that come from other keys.
            if var schedule = train["schedule"]?.choice {
                if schedule.kind == "cosine", case .cosine(let tMax, _) = model.schedule.learningRate {
                    schedule.params.set("t_max", SpecValue(content: .int(tMax), range: .none, isDefault: true), note: "train.epochs")
                }
                if schedule.kind == "reduce_on_plateau", let monitor = Lowering.monitor(of: model.schedule.learningRate) {
                    schedule.params.set("monitor", SpecValue(content: .string(monitor), range: .none, isDefault: true),
                                        note: "val_loss with validation data, else loss")
                }
                train.fields["schedule"]!.content = .choice(schedule)
            }
            if let rule = model.schedule.earlyStopping {
                train.update("early_stopping") { early in
                    early.set("monitor", SpecValue(content: .string(rule.monitor), range: .none, isDefault: true),
                              note: "val_loss with validation data, else loss")
                }
            }
            // A default batch size larger than the training set is clamped; write the size used.
            if let batch = train["batch_size"], batch.isDefault, batch.int != model.schedule.batchSize {
                train.fields["batch_size"] = SpecValue(content: .int(model.schedule.batchSize), range: .none, isDefault: true)
                train.notes["batch_size"] = "\(batch.int!), clamped to the \(model.train.inputs.rows) training samples"
            }
        }
        spec.update("model") { modelRecord in
            modelRecord.setRecordDefaults("init", in: Language.spec.record("model")!)
            let modelInit = modelRecord["init"]!.record!
            var layers = modelRecord["layers"]!.list!
            for (index, layer) in model.layers.enumerated() {
                guard var choice = layers[index].choice else { continue }
                choice.params.set("name", SpecValue(content: .string(layer.name), range: .none, isDefault: true),
                                  note: "`<kind>_<n>`")
                let inputs = layer.inputs.map { SpecValue(content: .string($0 < 0 ? "input" : model.layers[$0].name), range: .none, isDefault: true) }
                choice.params.set("inputs", SpecValue(content: .list(inputs), range: .none, isDefault: true), note: "the layer before")
                guard let kind = Language.layers.kind(named: choice.kind) else { continue }
                let has = { (key: String) in kind.params.contains { $0.name == key } }
                if has("stride"), choice.kind.hasSuffix("pool2d"), let size = choice.params["size"] {
                    var stride = size
                    stride.isDefault = true
                    choice.params.set("stride", stride, note: "size")
                }
                if !has("weights") || !has("bias") || choice.kind == "embedding" {
                    layers[index].content = .choice(choice)
                    continue
                }
                for key in ["weights", "bias"] {
                    var inherited = modelInit[key]!
                    inherited.isDefault = true
                    choice.params.set(key, inherited, note: "model.init.\(key)")
                }
                layers[index].content = .choice(choice)
            }
            modelRecord.fields["layers"]!.content = .list(layers)
        }
        return spec
    }

    /// Writes block-style YAML from the spec tree and the language table.
    struct Emitter {
        let file: SourceFile
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
                    case (.record, .record), (.choice, .choice), (.matrix, .matrix), (.list, .list), (.list, .dims),
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
            if !value.isDefault, !value.range.isNone, value.range.start.line == value.range.end.line {
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
