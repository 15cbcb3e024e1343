// `--set KEY=VALUE`: changes one value of a spec before it is checked, by its path through the
// language, e.g. `train.optimizer.sgd.lr=0.001` or `model.layers.fc3.dense.activation=prelu`. A layer is
// named by its name (written or default, `dense_2`) or its index. The value is YAML, so it may be a
// scalar or a flow collection (`{leaky_relu: {alpha: 0.1}}`). The path is checked against the language
// table (unknown keys get a did-you-mean) and the value against the key's type, before anything runs.

import DNNSyntax

public struct Override: Sendable {
    public var path: [String]
    public var value: String
    /// As given on the command line, for messages.
    public var argument: String
    /// The option that gave it: `--set`, or `--vary` for one value of a sweep.
    public var option: String

    /// Reads `path=value`.
    public init(_ argument: String, option: String = "--set") throws(OverrideError) {
        self.option = option
        guard let equals = argument.firstIndex(of: "=") else {
            throw OverrideError(option, argument, "expected KEY=VALUE", help: "e.g. --set train.optimizer.sgd.lr=0.001")
        }
        let key = String(argument[..<equals])
        path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        value = String(argument[argument.index(after: equals)...])
        self.argument = argument
        guard !key.isEmpty, !path.contains("") else {
            throw OverrideError(option, argument, "`\(key)` is not a path", help: "write the keys separated by dots, e.g. train.epochs")
        }
    }

    /// The dotted path.
    public var key: String { path.joined(separator: ".") }
}

public struct OverrideError: Error, Sendable, Equatable {
    public var option: String
    public var argument: String
    public var message: String
    public var help: String?

    package init(_ option: String, _ argument: String, _ message: String, help: String? = nil) {
        self.option = option
        self.argument = argument
        self.message = message
        self.help = help
    }

    /// `--set a.b=1: message` and the help on the next line.
    public var description: String {
        "\(option) \(argument): \(message)" + (help.map { "\n  help: \($0)" } ?? "")
    }
}

public enum Overrides {
    /// The spec's YAML with each override applied in order, and where each new value stands (the
    /// range of the value it replaced, or of the mapping it was added to).
    public static func apply(_ overrides: [Override], to root: YAMLNode) throws(OverrideError)
        -> (root: YAMLNode, placed: [(range: SourceRange, override: Override)]) {
        var root = root
        var placed: [(range: SourceRange, override: Override)] = []
        for override in overrides {
            var bag = DiagnosticBag()
            let file = SourceFile(path: "--set", text: override.value)
            guard let value = YAMLParser.parse(file, diagnostics: &bag), !bag.hasErrors else {
                throw OverrideError(override.option, override.argument, "the value is not valid YAML: \(bag.all.first?.message ?? "empty")",
                                    help: "quote the whole argument for the shell, e.g. --set 'key={a: 1}'")
            }
            var walker = Walker(override: override, value: value)
            root = try walker.set(root, .record(Language.spec), at: override.path[...], path: "")
            if let range = walker.placedAt { placed.append((range, override)) }
        }
        return (root, placed)
    }

    struct Walker {
        let override: Override
        let value: YAMLNode
        /// Where the value was put.
        var placedAt: SourceRange?

        func fail(_ message: String, help: String? = nil) -> OverrideError {
            OverrideError(override.option, override.argument, message, help: help)
        }

        /// Returns `node` (of the language type `type`) with the value at `rest` replaced.
        mutating func set(_ node: YAMLNode, _ type: ValueType, at rest: ArraySlice<String>, path: String) throws(OverrideError) -> YAMLNode {
            guard let segment = rest.first else {
                placedAt = node.range
                return try checked(node, type, path: path)
            }
            let here = path.isEmpty ? segment : "\(path).\(segment)"
            switch type {
            case .record(let record):
                guard let field = record.field(segment) else {
                    throw fail("unknown key `\(segment)` in \(path.isEmpty ? "the spec" : "`\(path)`")",
                               help: Suggestions.didYouMean(segment, among: record.fields.map(\.name))
                                   ?? "the keys here are " + record.fields.map { "`\($0.name)`" }.joined(separator: ", "))
                }
                var pairs = mappingPairs(node)
                if let index = pairs.firstIndex(where: { $0.key.scalarText == segment }) {
                    pairs[index].value = try set(pairs[index].value, field.type, at: rest.dropFirst(), path: here)
                } else {
                    let empty = YAMLNode(content: .scalar(YAMLScalar(text: "", isPlain: true, value: .null)), range: node.range)
                    let key = YAMLNode(content: .scalar(YAMLScalar(text: segment, isPlain: true, value: .string(segment))), range: node.range)
                    pairs.append(YAMLNode.Pair(key: key, value: try set(empty, field.type, at: rest.dropFirst(), path: here)))
                }
                return YAMLNode(content: .mapping(pairs), range: node.range)
            case .list(.choice(let catalog), _):
                guard case .sequence(var items) = node.content else { throw fail("`\(path)` is not a list in this spec") }
                let names = layerNames(items)
                guard let index = Int(segment).flatMap({ items.indices.contains($0) ? $0 : nil }) ?? names.firstIndex(of: segment) else {
                    throw fail("no layer `\(segment)` in `\(path)`",
                               help: Suggestions.didYouMean(segment, among: names)
                                   ?? "the layers are " + names.map { "`\($0)`" }.joined(separator: ", ") + ", or an index from 0")
                }
                items[index] = try set(items[index], .choice(catalog), at: rest.dropFirst(), path: "\(path).\(names[index])")
                return YAMLNode(content: .sequence(items), range: node.range)
            case .choice(let catalog):
                let (current, params) = choiceParts(node)
                guard let kind = catalog.kind(named: segment) else {
                    throw fail("unknown \(catalog.name) `\(segment)` in `\(path)`",
                               help: Suggestions.didYouMean(segment, among: catalog.allNames))
                }
                if let current, catalog.kind(named: current)?.name != kind.name {
                    throw fail("`\(path)` is \(current), not \(segment)",
                               help: "to change the \(catalog.name), set the whole value: --set '\(path)={\(segment): {...}}'")
                }
                var paramsType = ValueType.record(Record(name: kind.name, fields: kind.params))
                // `--set data.augment.2.rotate=30`: a kind's shorthand value may be set as the kind's value.
                if rest.count == 1, let shorthand = kind.params.first(where: { $0.name == kind.shorthand }) {
                    paramsType = .oneOf([paramsType, shorthand.type])
                }
                let newParams = try set(params ?? emptyMapping(node.range), paramsType, at: rest.dropFirst(), path: here)
                let key = YAMLNode(content: .scalar(YAMLScalar(text: segment, isPlain: true, value: .string(segment))), range: node.range)
                return YAMLNode(content: .mapping([YAMLNode.Pair(key: key, value: newParams)]), range: node.range)
            case .oneOf(let alternatives):
                // A value of several forms (`data.train`: inputs and targets, images, a text, a series):
                // the record of the form written here, the one that has all of its keys; where no key is
                // written (no value, or a list), the first form that has this key.
                let keys = mappingPairs(node).compactMap(\.key.scalarText)
                let records = alternatives.compactMap { if case .record(let r) = $0 { r } else { nil } }
                let written = keys.isEmpty ? [] : records.filter { r in keys.allSatisfy { r.field($0) != nil } }
                guard let record = written.first(where: { $0.field(segment) != nil }) ?? written.first
                        ?? (keys.isEmpty ? records.first(where: { $0.field(segment) != nil }) : nil) else {
                    throw fail("`\(path)` has no key `\(segment)` in the form it is written here",
                               help: "set the whole value: --set '\(path)={...}'")
                }
                return try set(node, .record(record), at: rest, path: path)
            default:
                throw fail("`\(path)` is \(article(type.description)) \(type.description), which has no key `\(segment)`")
            }
        }

        /// The override's value, checked against the key's type, at the place of the value it replaces.
        func checked(_ old: YAMLNode, _ type: ValueType, path: String) throws(OverrideError) -> YAMLNode {
            var checker = SpecChecker()
            if checker.value(value, type, path: path) == nil || checker.bag.hasErrors {
                let first = checker.bag.all.first
                throw fail(first?.message ?? "not a valid value for `\(path)`", help: first?.help)
            }
            return relocated(value, to: old.range)
        }

        /// The node with every range moved to `range`, so that later errors point at the replaced value.
        func relocated(_ node: YAMLNode, to range: SourceRange) -> YAMLNode {
            switch node.content {
            case .scalar: return YAMLNode(content: node.content, range: range)
            case .sequence(let items): return YAMLNode(content: .sequence(items.map { relocated($0, to: range) }), range: range)
            case .mapping(let pairs):
                return YAMLNode(content: .mapping(pairs.map { YAMLNode.Pair(key: relocated($0.key, to: range), value: relocated($0.value, to: range)) }),
                                range: range)
            }
        }

        func mappingPairs(_ node: YAMLNode) -> [YAMLNode.Pair] {
            if case .mapping(let pairs) = node.content { return pairs }
            return []
        }

        func emptyMapping(_ range: SourceRange) -> YAMLNode { YAMLNode(content: .mapping([]), range: range) }

        /// A choice's kind name and its parameters' node, from `name` or `{name: {...}}`.
        func choiceParts(_ node: YAMLNode) -> (String?, YAMLNode?) {
            switch node.content {
            case .scalar(let s): return (s.value == .null ? nil : s.text, nil)
            case .mapping(let pairs) where pairs.count == 1: return (pairs[0].key.scalarText, pairs[0].value)
            default: return (nil, nil)
            }
        }

        /// Each layer's name as the IR builder gives it: written, or `<kind>_<n>`.
        func layerNames(_ items: [YAMLNode]) -> [String] {
            var naming = LayerNaming()
            return items.map { item in
                let (kind, params) = choiceParts(item)
                var written: String? = nil
                if let params, case .mapping(let pairs) = params.content {
                    written = pairs.first(where: { $0.key.scalarText == "name" })?.value.scalarText
                }
                return naming.name(kind: kind ?? "layer", written: written)
            }
        }
    }
}
