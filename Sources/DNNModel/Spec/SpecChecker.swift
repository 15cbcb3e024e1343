// Checks YAML nodes against the language table (Language.swift) and builds the spec's syntax tree.
// Reports every problem it finds (unknown keys with did-you-mean, wrong types, out-of-range values,
// missing keys) and keeps going, so one run shows all of a file's errors.

import DNNSyntax

public struct SpecChecker {
    public private(set) var bag = DiagnosticBag()

    public init() {}

    /// Checks a whole spec; nil when the root is not a mapping.
    public mutating func check(_ root: YAMLNode) -> SpecRecord? {
        guard case .mapping = root.content else {
            bag.error(.wrongType, "a spec must be a mapping, found \(root.kindDescription)", at: root.range,
                      help: "start the file with `dnnc: 1` and the sections data, model and train")
            return nil
        }
        // A YAML file that shares no key with a spec gets one error, not one per missing section.
        if case .mapping(let pairs) = root.content,
           !pairs.contains(where: { pair in pair.key.scalarText.map { Language.spec.field($0) != nil } ?? false }) {
            bag.error(.missingKey, "this is not a dnnc spec: it has none of the keys dnnc, data, model, train",
                      at: pairs.first?.key.range ?? root.range,
                      help: "start the file with `dnnc: 1` and the sections data, model and train")
            return nil
        }
        guard let spec = record(root, Language.spec, path: "") else { return nil }
        if let version = spec["dnnc"], let number = version.int, number != Language.version {
            bag.error(.unsupportedVersion, "this dnnc reads language version \(Language.version), not \(number)",
                      at: version.range, help: "write `dnnc: \(Language.version)`")
        }
        return spec
    }

    /// `path` is the dotted path of the record, for messages ("model.init").
    mutating func record(_ node: YAMLNode, _ record: Record, path: String) -> SpecRecord? {
        let pairs: [YAMLNode.Pair]
        switch node.content {
        case .mapping(let p): pairs = p
        case .scalar(let s) where s.value == .null: pairs = []  // `key:` with nothing after it
        default:
            bag.error(.wrongType, "\(describe(path)) must be a mapping, found \(node.kindDescription)", at: node.range)
            return nil
        }
        var fields: [String: SpecValue] = [:]
        var order: [String] = []
        var written: Set<String> = []
        var valid = true, repaired = false
        for pair in pairs {
            guard let key = pair.key.scalarText, case .scalar = pair.key.content else {
                bag.error(.wrongType, "keys must be names, found \(pair.key.kindDescription)", at: pair.key.range)
                valid = false
                continue
            }
            // An unknown key is reported and left out; the record stays whole, so the later stages
            // still check the rest of the spec (a misspelt required key is reported missing as well).
            guard let field = record.field(key) else {
                if bag.isFull {
                    bag.omit(.unknownKey)
                    continue
                }
                let guess = Suggestions.guess(key, among: record.fields.map(\.name), at: pair.key.range)
                bag.error(.unknownKey, "unknown key `\(key)` in \(describe(path))", at: pair.key.range,
                          help: guess.help
                              ?? "the keys here are " + record.fields.map { "`\($0.name)`" }.joined(separator: ", "),
                          fixes: guess.fixes)
                continue
            }
            guard written.insert(key).inserted else { continue }  // a duplicate key, reported by the YAML stage
            if let value = self.value(pair.value, field.type, path: join(path, key)) {
                fields[key] = value
                order.append(key)
            } else if field.defaultValue != nil {
                // Reported; the default stands in for it, so the record stays whole and the later
                // stages still check the rest of the spec (the model is not built from it).
                written.remove(key)
                repaired = true
            } else {
                valid = false
            }
        }
        for field in record.fields where !written.contains(field.name) {
            if let value = SpecChecker.defaultValue(field, at: node.range) {
                fields[field.name] = value
                order.append(field.name)
            } else if field.isRequired {
                bag.error(.missingKey, "missing required key `\(field.name)` in \(describe(path))", at: keyRange(node),
                          help: "add `\(field.name):` (\(field.doc))")
                valid = false
            }
        }
        return valid ? SpecRecord(fields: fields, order: order, range: node.range, isRepaired: repaired) : nil
    }

    mutating func value(_ node: YAMLNode, _ type: ValueType, path: String) -> SpecValue? {
        func make(_ content: SpecValue.Content) -> SpecValue { SpecValue(content: content, range: node.range) }
        // Inside a block's layers, `${name}` stands for any value: each instance's `with:` gives it, and
        // it is checked there (ResolvedSpec's expansion).
        if path.hasPrefix("model.blocks["), path.contains(".layers["), let name = SpecValue.placeholderName(node) {
            return make(.placeholder(name))
        }
        switch type {
        case .integer(let bounds):
            guard case .scalar(let s) = node.content else { return typeError(node, "an integer", path) }
            if s.isPlain, hasLeadingZero(s.text) { return leadingZeroError(node, s.text, path) }
            switch s.value {
            case .int(let i) where s.isPlain:
                guard bounds.contains(Double(i)) else { return rangeError(node, bounds, path) }
                return make(.int(i))
            case .intOverflow where s.isPlain:
                bag.error(.invalidNumber, "\(s.text) is too large for \(describe(path))", at: node.range)
                return nil
            default:
                return typeError(node, "an integer", path)
            }
        case .number(let bounds):
            guard let x = number(node, path) else { return nil }
            guard bounds.contains(x) else { return rangeError(node, bounds, path) }
            return make(.number(x))
        case .boolean:
            guard case .scalar(let s) = node.content, s.isPlain, case .bool(let b) = s.value else {
                return typeError(node, "true or false", path)
            }
            return make(.bool(b))
        case .string:
            guard case .scalar(let s) = node.content, case .string(let text) = s.value else {
                return typeError(node, "a string", path)
            }
            // Names and paths are printable text: a control character (from an escape such as "\0" or
            // "\e") would cut a file name short or reach a terminal raw.
            if let c = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control || $0 == "\u{2028}" || $0 == "\u{2029}" }) {
                bag.error(.wrongType, "\(describe(path)) holds the control character U+\(String(format: "%04X", c.value)); names and paths are printable text",
                          at: node.range, help: "remove the escape sequence from the string")
                return nil
            }
            if text.isEmpty {
                bag.error(.wrongType, "\(describe(path)) is an empty string", at: node.range, help: "give it a name, or leave the key out")
                return nil
            }
            return make(.string(text))
        case .word(let words):
            guard case .scalar(let s) = node.content, case .string(let text) = s.value else {
                return typeError(node, "one of " + words.joined(separator: ", "), path)
            }
            guard words.contains(text) else {
                let guess = Suggestions.guess(text, among: words, at: node.range)
                bag.error(.unknownKind, "`\(text)` is not a value of \(describe(path))", at: node.range,
                          help: guess.help
                              ?? "use one of " + words.map { "`\($0)`" }.joined(separator: ", "),
                          fixes: guess.fixes)
                return nil
            }
            return make(.string(text))
        case .record(let record):
            return self.record(node, record, path: path).map { make(.record($0)) }
        case .choice(let catalog):
            return choice(node, catalog, path: path).map { make(.choice($0)) }
        case .list(let itemType, let minCount):
            guard case .sequence(let items) = node.content else { return typeError(node, "a list", path) }
            guard items.count >= minCount else {
                bag.error(.outOfRange, "\(describe(path)) needs at least \(minCount) item\(minCount == 1 ? "" : "s")",
                          at: node.range)
                return nil
            }
            var values: [SpecValue] = []
            var valid = true
            for (index, item) in items.enumerated() {
                if let v = value(item, itemType, path: "\(path)[\(index)]") {
                    values.append(v)
                } else if case .choice(let catalog) = itemType, let broken = brokenChoice(item, catalog) {
                    // A layer with errors stands in its place, so the others and the data are still checked.
                    values.append(SpecValue(content: .choice(broken), range: item.range))
                } else {
                    valid = false
                }
            }
            return valid ? make(.list(values)) : nil
        case .shape:
            guard case .sequence(let items) = node.content, !items.isEmpty else {
                return typeError(node, "a non-empty list of positive integers", path)
            }
            var values: [SpecValue] = []
            for (index, item) in items.enumerated() {
                guard let v = value(item, .integer(.size), path: "\(path)[\(index)]") else { return nil }
                values.append(v)
            }
            return make(.list(values))
        case .matrix:
            return matrix(node, path: path).map { make(.matrix($0)) }
        case .dims(let bounds):
            if case .sequence(let items) = node.content {
                guard !items.isEmpty else { return typeError(node, "an integer or a non-empty list of integers", path) }
                var values: [SpecValue] = []
                for (index, item) in items.enumerated() {
                    guard let v = value(item, .integer(bounds), path: "\(path)[\(index)]") else { return nil }
                    values.append(v)
                }
                return make(.list(values))
            }
            return value(node, .integer(bounds), path: path)
        case .bindings:
            guard case .mapping(let pairs) = node.content else { return typeError(node, "a mapping of parameter names to values", path) }
            var fields: [String: SpecValue] = [:], order: [String] = []
            for pair in pairs {
                guard let key = pair.key.scalarText, case .scalar = pair.key.content,
                      let first = key.first, first.isLetter || first == "_", key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
                else {
                    bag.error(.wrongType, "a block parameter's name is letters, digits and _, found \(pair.key.scalarText.map { "`\($0)`" } ?? pair.key.kindDescription)",
                              at: pair.key.range, help: "name it as the block's layers write it in `${name}`")
                    return nil
                }
                guard fields[key] == nil else { continue }  // a duplicate key, reported by the YAML stage
                fields[key] = SpecValue(content: .binding(key: pair.key.range, value: pair.value), range: pair.value.range)
                order.append(key)
            }
            return make(.record(SpecRecord(fields: fields, order: order, range: node.range)))
        case .columns(let valueType):
            guard case .mapping(let pairs) = node.content else { return typeError(node, "a mapping of column names to values", path) }
            var fields: [String: SpecValue] = [:], order: [String] = []
            var valid = true
            for pair in pairs {
                guard let key = pair.key.scalarText, case .scalar = pair.key.content, !key.isEmpty else {
                    bag.error(.wrongType, "a column's name is a header name, found \(pair.key.kindDescription)", at: pair.key.range,
                              help: "name the column as the CSV file's header row does")
                    valid = false
                    continue
                }
                guard fields[key] == nil else { continue }  // a duplicate key, reported by the YAML stage
                if let v = value(pair.value, valueType, path: "\(path).\(key)") {
                    fields[key] = v
                    order.append(key)
                } else {
                    valid = false
                }
            }
            return valid ? make(.record(SpecRecord(fields: fields, order: order, range: node.range))) : nil
        case .oneOf(let types):
            // The first type that fits without an error; else the errors of the type meant for this kind of node.
            for type in types {
                var trial = SpecChecker()
                if let v = trial.value(node, type, path: path), !trial.bag.hasErrors { return v }
            }
            var trial = SpecChecker()
            _ = trial.value(node, types.first { SpecChecker.accepts($0, node) } ?? types[0], path: path)
            bag.append(contentsOf: trial.bag)
            return nil
        }
    }

    /// Whether a type is written with this kind of node (a mapping, a list or a scalar).
    static func accepts(_ type: ValueType, _ node: YAMLNode) -> Bool {
        switch (type, node.content) {
        case (.record, .mapping), (.choice, .mapping), (.choice, .scalar), (.columns, .mapping): true
        case (.list, .sequence), (.matrix, .sequence), (.shape, .sequence), (.dims, .sequence): true
        case (.integer, .scalar), (.number, .scalar), (.boolean, .scalar), (.string, .scalar), (.word, .scalar), (.dims, .scalar): true
        case (.oneOf(let types), _): types.contains { accepts($0, node) }
        default: false
        }
    }

    /// A number in a plain scalar: an integer or a float, finite.
    private mutating func number(_ node: YAMLNode, _ path: String) -> Double? {
        guard case .scalar(let s) = node.content, s.isPlain else { typeError(node, "a number", path); return nil }
        if hasLeadingZero(s.text) { leadingZeroError(node, s.text, path); return nil }
        switch s.value {
        case .int(let i): return Double(i)
        case .float(let x) where x.isFinite: return x
        case .float, .intOverflow:
            bag.error(.invalidNumber, "\(describe(path)) must be a finite number, found \(s.text)", at: node.range,
                      help: "write a finite number; 1e999 overflows to infinity")
            return nil
        default:
            typeError(node, "a number", path)
            return nil
        }
    }

    /// `name` or `{name: {params}}`, from the catalog.
    mutating func choice(_ node: YAMLNode, _ catalog: Catalog, path: String) -> SpecChoice? {
        let nameNode: YAMLNode
        var paramsNode: YAMLNode? = nil
        switch node.content {
        case .scalar(let s):
            guard case .string = s.value else {
                typeError(node, "the name of \(article(catalog.name)) \(catalog.name)", path)
            return nil
            }
            nameNode = node
        case .mapping(let pairs):
            guard pairs.count == 1 else {
                bag.error(.malformedChoice,
                          "\(describe(path)) must name one \(catalog.name), found a mapping with \(pairs.count) keys",
                          at: node.range, help: "write it as `kind` or `{kind: {param: value}}`")
                return nil
            }
            nameNode = pairs[0].key
            paramsNode = pairs[0].value
        case .sequence:
            typeError(node, "the name of \(article(catalog.name)) \(catalog.name)", path)
            return nil
        }
        let name = nameNode.scalarText ?? ""
        guard let kind = catalog.kind(named: name) else {
            let guess = Suggestions.guess(name, among: catalog.allNames, at: nameNode.range)
            bag.error(.unknownKind, "unknown \(catalog.name) `\(name)`", at: nameNode.range,
                      help: guess.help
                          ?? "the \(catalog.name)s are " + catalog.kinds.map { "`\($0.name)`" }.joined(separator: ", "),
                      fixes: guess.fixes)
            return nil
        }
        let record = Record(name: kind.name, fields: kind.params)
        let paramPath = join(path, kind.name)
        // `{rotate: 15}`: a value that is not a mapping is the kind's shorthand parameter.
        if let shorthand = kind.shorthand, let value = paramsNode {
            if case .mapping = value.content {} else {
                let key = YAMLNode(content: .scalar(YAMLScalar(text: shorthand, isPlain: true, value: .string(shorthand))), range: value.range)
                paramsNode = YAMLNode(content: .mapping([YAMLNode.Pair(key: key, value: value)]), range: value.range)
            }
        }
        let params: SpecRecord?
        if let paramsNode {
            params = self.record(paramsNode, record, path: paramPath)
        } else {
            params = self.record(YAMLNode(content: .mapping([]), range: node.range), record, path: paramPath)
        }
        guard let params else { return nil }
        // A layer with a value replaced by its default is not lowered: what it would report could follow
        // from the replacement (a merge reading the one layer before, where `inputs` was invalid).
        return SpecChoice(kind: kind.name, nameRange: nameNode.range, params: params, isBroken: params.isRepaired)
    }

    /// The stand-in for a list item of `catalog` whose errors were reported: its kind when the name is
    /// one, and its `name` and `inputs` when they are valid (the layers after it still refer to it).
    private func brokenChoice(_ node: YAMLNode, _ catalog: Catalog) -> SpecChoice? {
        var nameNode = node, paramsNode: YAMLNode? = nil
        if case .mapping(let pairs) = node.content, pairs.count == 1 { (nameNode, paramsNode) = (pairs[0].key, pairs[0].value) }
        let kind = nameNode.scalarText.flatMap { catalog.kind(named: $0) }
        var params = SpecRecord(fields: [:], order: [], range: node.range)
        if let kind, case .mapping(let pairs)? = paramsNode?.content {
            for pair in pairs {
                guard let key = pair.key.scalarText, key == "name" || key == "inputs", let field = kind.params.first(where: { $0.name == key })
                else { continue }
                var quiet = SpecChecker()
                if let value = quiet.value(pair.value, field.type, path: key), !quiet.bag.hasErrors {
                    params.fields[key] = value
                    params.order.append(key)
                }
            }
        }
        return SpecChoice(kind: kind?.name ?? "", nameRange: nameNode.range, params: params, isBroken: true)
    }

    private mutating func matrix(_ node: YAMLNode, path: String) -> SpecMatrix? {
        guard case .sequence(let rows) = node.content else {
            typeError(node, "a list of rows", path)
            return nil
        }
        guard !rows.isEmpty else {
            bag.error(.emptyData, "\(describe(path)) has no rows", at: node.range, help: "give at least one row")
            return nil
        }
        var matrix = SpecMatrix(rows: [], rowRanges: [])
        var valid = true
        for (r, row) in rows.enumerated() {
            guard case .sequence(let cells) = row.content else {
                bag.error(.wrongType, "row \(r + 1) of \(describe(path)) must be a list of numbers, found \(row.kindDescription)",
                          at: row.range, help: "write each row in brackets, e.g. [0, 1]")
                valid = false
                continue
            }
            if cells.isEmpty {
                bag.error(.emptyData, "row \(r + 1) of \(describe(path)) is empty", at: row.range)
                valid = false
                continue
            }
            if let first = matrix.rows.first, first.count != cells.count {
                bag.error(.raggedRows, "row \(r + 1) of \(describe(path)) has \(cells.count) values, but row 1 has \(first.count)",
                          at: row.range, notes: [DiagnosticNote("row 1 is here", at: matrix.rowRanges[0])],
                          help: "give every row the same number of values")
                valid = false
                continue
            }
            var values: [Double] = []
            values.reserveCapacity(cells.count)
            for cell in cells {
                if let x = number(cell, "\(path) row \(r + 1)") { values.append(x) } else { valid = false }
            }
            if values.count == cells.count {
                matrix.rows.append(values)
                matrix.rowRanges.append(row.range)
            }
        }
        return valid ? matrix : nil
    }

    package static func defaultValue(_ field: Field, at range: SourceRange) -> SpecValue? {
        let content: SpecValue.Content
        switch field.defaultValue {
        case nil, .contextual, .off: return nil
        case .int(let i): content = .int(i)
        case .number(let x): content = .number(x)
        case .bool(let b): content = .bool(b)
        case .word(let w): content = .string(w)
        case .choice(let name):
            guard case .choice(let catalog) = field.type, let kind = catalog.kind(named: name) else { return nil }
            var params = SpecRecord(fields: [:], order: [], range: range)
            for p in kind.params { if let v = defaultValue(p, at: range) { params.fields[p.name] = v; params.order.append(p.name) } }
            content = .choice(SpecChoice(kind: kind.name, nameRange: range, params: params))
        }
        return SpecValue(content: content, range: range, isDefault: true)
    }

    /// `0755`: an integer with a leading zero, which YAML 1.1 reads as octal and YAML 1.2 as decimal.
    private func hasLeadingZero(_ text: String) -> Bool {
        let digits = text.hasPrefix("-") || text.hasPrefix("+") ? text.dropFirst() : text[...]
        return digits.count > 1 && digits.first == "0" && digits.allSatisfy(\.isASCII) && digits.allSatisfy(\.isNumber)
    }

    @discardableResult
    private mutating func leadingZeroError(_ node: YAMLNode, _ text: String, _ path: String) -> SpecValue? {
        let decimal = Int(text) ?? 0, octal = Int(text, radix: 8)
        let negative = text.hasPrefix("-")
        bag.error(.invalidNumber, "`\(text)` for \(describe(path)) has a leading zero, which readers disagree on"
                  + (octal.map { ": YAML 1.1 reads it as octal \($0), YAML 1.2 as \(decimal)" } ?? ""),
                  at: node.range, help: "write \(decimal)" + (negative ? "" : ", or 0o\(text.drop { $0 == "0" || $0 == "+" }) for an octal number"))
        return nil
    }

    @discardableResult
    private mutating func typeError(_ node: YAMLNode, _ expected: String, _ path: String) -> SpecValue? {
        var help: String? = nil
        let numeric = expected.contains("number") || expected.contains("integer")
        // A number too large for a Double is not "the number 1e400": say what is wrong with it.
        if case .scalar(let s) = node.content, s.isPlain, case .float(let x) = s.value, !x.isFinite {
            bag.error(.invalidNumber, "\(describe(path)) must be \(expected), found \(s.text), which overflows to infinity", at: node.range,
                      help: "write a finite number")
            return nil
        }
        if case .scalar(let s) = node.content, s.isPlain, case .intOverflow = s.value {
            bag.error(.invalidNumber, "\(describe(path)) must be \(expected), found \(s.text), which is too large for any integer", at: node.range)
            return nil
        }
        if let name = SpecValue.placeholderName(node) {
            help = "`${\(name)}` stands for a block parameter, which only a block's layers (under model.blocks) can use"
        } else if case .scalar(let s) = node.content, ["yes", "no", "on", "off", "y", "n"].contains(s.text.lowercased()) {
            help = "YAML 1.2 reads `\(s.text)` as a string; write true or false"
        } else if case .scalar(let s) = node.content, !s.isPlain, numeric {
            help = "remove the quotes"
        } else if case .scalar(let s) = node.content, numeric, s.text.contains("_"), Double(s.text.replacingOccurrences(of: "_", with: "")) != nil {
            help = "YAML 1.2 numbers have no `_` separators; write \(s.text.replacingOccurrences(of: "_", with: ""))"
        } else if case .scalar(let s) = node.content, numeric, s.text.contains(":"), s.text.split(separator: ":").allSatisfy({ Int($0) != nil }) {
            help = "`\(s.text)` is a YAML 1.1 base-60 number; YAML 1.2 reads it as text. Write the value in decimal"
        } else if case .scalar(let s) = node.content, numeric, s.text.lowercased().hasPrefix("0x"), s.text.lowercased().contains("p") {
            help = "hexadecimal floats are not YAML numbers; write the value in decimal"
        }
        bag.error(.wrongType, "\(describe(path)) must be \(expected), found \(node.kindDescription)", at: node.range, help: help)
        return nil
    }

    private mutating func rangeError(_ node: YAMLNode, _ bounds: Bounds, _ path: String) -> SpecValue? {
        bag.error(.outOfRange, "\(describe(path)) must be \(bounds.phrase), found \(node.scalarText ?? "")", at: node.range)
        return nil
    }

    /// The range of the first key of a mapping, or the node: where a missing key is reported.
    private func keyRange(_ node: YAMLNode) -> SourceRange {
        if case .mapping(let pairs) = node.content, let first = pairs.first { return first.key.range }
        return node.range
    }

    private func describe(_ path: String) -> String { path.isEmpty ? "the spec" : "`\(path)`" }
    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

/// "an" before a word that starts with a vowel, else "a": the spec's messages ("an integer", "a mapping").
func article(_ word: String) -> String { "aeiou".contains(word.first ?? "x") ? "an" : "a" }
