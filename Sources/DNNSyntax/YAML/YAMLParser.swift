// The only code that touches libyaml: a recursive descent over its events that builds YAMLNodes with
// source ranges, rejecting what the spec language does not allow (duplicate keys, tags beyond the
// core ones, several documents) and bounding what aliases may expand to.

internal import CYAML

public struct YAMLLimits: Sendable {
    /// Nodes that aliases may add in all, counting every node of each expanded subtree.
    public var aliasExpansionBudget = 100_000
    /// Collections nested inside each other.
    public var maxDepth = 64
    /// Nodes in the document, aliases' expansions included: enough for inline data of about 1 MiB;
    /// larger data belongs in a file.
    public var maxNodes = 250_000
    /// Bytes of spec text, checked before the YAML is read (`--max-spec-size`).
    public var maxSpecBytes = 1 << 20

    public init() {}
}

public enum YAMLParser {
    /// Parses one YAML document. Returns nil with diagnostics in `bag` when the text cannot be read.
    public static func parse(_ file: SourceFile, limits: YAMLLimits = YAMLLimits(),
                             diagnostics bag: inout DiagnosticBag) -> YAMLNode? {
        if file.bytes.count > limits.maxSpecBytes {
            bag.error(.specTooLarge, "the spec is larger than \(Format.bytes(limits.maxSpecBytes)), the most dnnc reads",
                      at: SourceRange(start: SourceLocation(line: 1, column: 1), end: SourceLocation(line: 1, column: 2)),
                      help: "keep data in .csv or .npy files beside the spec, or raise --max-spec-size")
            return nil
        }
        if let problem = TextCheck.firstProblem(file) {
            bag.report(problem)
            return nil
        }
        let reader = EventReader(file.bytes)
        var builder = TreeBuilder(reader: reader, limits: limits)
        do {
            let root = try builder.document()
            bag.append(contentsOf: builder.bag)
            return root
        } catch {
            bag.append(contentsOf: builder.bag)
            var error = error
            // `{units: ${width}}`: in a flow mapping, `{` and `}` end a plain scalar.
            if error.code == .yamlSyntax, error.help == nil, let line = file.line(error.range.start.line), line.contains("${"),
               line.contains("{") {
                error.help = "inside `{…}`, quote a block parameter: \"${name}\""
            }
            bag.report(error)
            return nil
        }
    }
}

/// A libyaml event copied out of C memory.
enum Event {
    case streamStart, streamEnd, documentStart, documentEnd
    case alias(anchor: String)
    case scalar(text: String, anchor: String?, tag: String?, isPlain: Bool)
    case sequenceStart(anchor: String?, tag: String?)
    case sequenceEnd
    case mappingStart(anchor: String?, tag: String?)
    case mappingEnd
}

/// Owns libyaml's parser state and a copy of the input, and frees both when done.
final class EventReader {
    private var parser = yaml_parser_t()
    private let input: UnsafeMutableBufferPointer<UInt8>

    init(_ bytes: [UInt8]) {
        input = .allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        yaml_parser_initialize(&parser)
        yaml_parser_set_input_string(&parser, input.baseAddress, bytes.count)
    }

    deinit {
        yaml_parser_delete(&parser)
        input.deallocate()
    }

    /// The next event with its range, or a diagnostic where libyaml reports a problem.
    func next() throws(Diagnostic) -> (Event, SourceRange) {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else { throw syntaxError() }
        defer { yaml_event_delete(&event) }
        let range = SourceRange(start: location(event.start_mark), end: location(event.end_mark))
        switch event.type {
        case YAML_STREAM_START_EVENT: return (.streamStart, range)
        case YAML_STREAM_END_EVENT: return (.streamEnd, range)
        case YAML_DOCUMENT_START_EVENT: return (.documentStart, range)
        case YAML_DOCUMENT_END_EVENT: return (.documentEnd, range)
        case YAML_ALIAS_EVENT:
            return (.alias(anchor: string(event.data.alias.anchor) ?? ""), range)
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
            return (.scalar(text: text, anchor: string(s.anchor), tag: string(s.tag),
                            isPlain: s.style == YAML_PLAIN_SCALAR_STYLE), range)
        case YAML_SEQUENCE_START_EVENT:
            let s = event.data.sequence_start
            return (.sequenceStart(anchor: string(s.anchor), tag: string(s.tag)), range)
        case YAML_SEQUENCE_END_EVENT: return (.sequenceEnd, range)
        case YAML_MAPPING_START_EVENT:
            let m = event.data.mapping_start
            return (.mappingStart(anchor: string(m.anchor), tag: string(m.tag)), range)
        case YAML_MAPPING_END_EVENT: return (.mappingEnd, range)
        default:
            throw Diagnostic(.yamlSyntax, "unexpected YAML event", at: range)
        }
    }

    private func syntaxError() -> Diagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
        let at = location(parser.problem_mark)
        var notes: [DiagnosticNote] = []
        if let context = parser.context.map({ String(cString: $0) }) {
            notes.append(DiagnosticNote(context, at: SourceRange(start: location(parser.context_mark),
                                                                 end: location(parser.context_mark))))
        }
        return Diagnostic(.yamlSyntax, "YAML syntax error: \(problem)",
                          at: SourceRange(start: at, end: SourceLocation(line: at.line, column: at.column + 1)),
                          notes: notes)
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}

/// Builds the node tree from events: one document, anchors remembered, aliases expanded within budget.
struct TreeBuilder {
    let reader: EventReader
    let limits: YAMLLimits
    var bag = DiagnosticBag()
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    private var aliasNodes = 0
    private var nodes = 0

    init(reader: EventReader, limits: YAMLLimits) {
        self.reader = reader
        self.limits = limits
    }

    static let coreTag = "tag:yaml.org,2002:"

    mutating func document() throws(Diagnostic) -> YAMLNode? {
        _ = try reader.next()  // stream start
        var (event, range) = try reader.next()
        guard case .documentStart = event else {
            bag.error(.emptyDocument, "the file holds no spec", at: range,
                      help: "a spec is a mapping that starts with `dnnc: 1`")
            return nil
        }
        (event, range) = try reader.next()
        let (root, _) = try node(event, range, depth: 1)
        _ = try reader.next()  // document end
        let (after, afterRange) = try reader.next()
        if case .documentStart = after {
            throw Diagnostic(.multipleDocuments, "the file holds more than one YAML document", at: afterRange,
                             help: "keep one spec per file, without a second `---`")
        }
        return root
    }

    /// Builds the node that starts with `event`, returning it with its node count.
    private mutating func node(_ event: Event, _ range: SourceRange, depth: Int) throws(Diagnostic) -> (YAMLNode, Int) {
        if depth > limits.maxDepth {
            throw Diagnostic(.nestingTooDeep, "collections are nested more than \(limits.maxDepth) deep", at: range,
                             help: "a spec needs only a few levels of nesting")
        }
        nodes += 1
        if nodes + aliasNodes > limits.maxNodes {
            throw Diagnostic(.tooManyNodes, "the spec has more than \(limits.maxNodes) YAML nodes", at: range,
                             help: "keep large data in .csv or .npy files: `inputs: {file: data.csv}`")
        }
        switch event {
        case .alias(let anchor):
            guard let (target, size) = anchors[anchor] else {
                throw Diagnostic(.undefinedAlias, "alias `*\(anchor)` names no anchor defined before it", at: range,
                                 help: "define `&\(anchor)` on a node above this alias")
            }
            aliasNodes += size
            if aliasNodes > limits.aliasExpansionBudget {
                throw Diagnostic(.aliasBudget,
                                 "aliases expand to more than \(limits.aliasExpansionBudget) nodes", at: range,
                                 help: "write the repeated part out, or reuse fewer levels of aliases")
            }
            // The value is the anchor's, but it stands where the alias is: an error about the value as
            // a whole points at `*name` (errors inside it still point into the anchored node).
            var used = target
            used.range = range
            return (used, size)
        case .scalar(let text, let anchor, let tag, let isPlain):
            let value = scalarValue(text, tag: tag, isPlain: isPlain, range: range)
            let node = YAMLNode(content: .scalar(YAMLScalar(text: text, isPlain: isPlain, value: value)), range: range)
            remember(anchor, node, 1)
            return (node, 1)
        case .sequenceStart(let anchor, let tag):
            check(tag, allowed: "seq", range: range)
            var items: [YAMLNode] = []
            var size = 1
            while true {
                let (next, nextRange) = try reader.next()
                if case .sequenceEnd = next {
                    let node = YAMLNode(content: .sequence(items), range: SourceRange(start: range.start, end: nextRange.end))
                    remember(anchor, node, size)
                    return (node, size)
                }
                let (item, itemSize) = try node(next, nextRange, depth: depth + 1)
                items.append(item)
                size += itemSize
            }
        case .mappingStart(let anchor, let tag):
            check(tag, allowed: "map", range: range)
            var pairs: [YAMLNode.Pair] = []
            var firstKey: [String: SourceRange] = [:]
            var size = 1
            while true {
                let (next, nextRange) = try reader.next()
                if case .mappingEnd = next {
                    let node = YAMLNode(content: .mapping(pairs), range: SourceRange(start: range.start, end: nextRange.end))
                    remember(anchor, node, size)
                    return (node, size)
                }
                let (key, keySize) = try node(next, nextRange, depth: depth + 1)
                if case .scalar(let s) = key.content, s.isPlain, s.text == "<<" {
                    throw Diagnostic(.mergeKey, "merge keys (`<<`) are not part of YAML 1.2, and dnnc does not read them", at: key.range,
                                     help: "write the keys out, or repeat a whole value with an alias (`*name`)")
                }
                let (valueEvent, valueRange) = try reader.next()
                let (value, valueSize) = try node(valueEvent, valueRange, depth: depth + 1)
                if let text = key.scalarText {
                    if let first = firstKey[text] {
                        bag.error(.duplicateKey, "duplicate key `\(text)`", at: key.range,
                                  notes: [DiagnosticNote("first defined here", at: first)],
                                  help: "remove one of the two, or merge their values")
                    } else {
                        firstKey[text] = key.range
                    }
                }
                pairs.append(YAMLNode.Pair(key: key, value: value))
                size += keySize + valueSize
            }
        default:
            throw Diagnostic(.yamlSyntax, "unexpected YAML structure", at: range)
        }
    }

    private mutating func remember(_ anchor: String?, _ node: YAMLNode, _ size: Int) {
        if let anchor { anchors[anchor] = (node, size) }
    }

    /// Only the core schema's tags are allowed, each on a node it fits.
    private mutating func check(_ tag: String?, allowed: String, range: SourceRange) {
        guard let tag, tag != Self.coreTag + allowed else { return }
        bag.error(.unsupportedTag, "unsupported tag `\(shorthand(tag))` on a \(allowed == "map" ? "mapping" : "list")",
                  at: range, help: "remove the tag; dnnc reads YAML's core schema only")
    }

    /// The core schema's meaning of a scalar, honouring the core tags !!str, !!int, !!float, !!bool, !!null.
    private mutating func scalarValue(_ text: String, tag: String?, isPlain: Bool, range: SourceRange) -> ScalarValue {
        guard let tag else { return isPlain ? CoreSchema.resolve(plain: text) : .string(text) }
        let resolved = CoreSchema.resolve(plain: text)
        let fits: Bool
        switch tag {
        case Self.coreTag + "str": return .string(text)
        case Self.coreTag + "int": if case .int = resolved { fits = true } else { fits = resolved == .intOverflow }
        case Self.coreTag + "float":
            switch resolved {
            case .float: return resolved
            case .int(let i): return .float(Double(i))
            default: fits = false
            }
        case Self.coreTag + "bool": if case .bool = resolved { fits = true } else { fits = false }
        case Self.coreTag + "null": fits = resolved == .null
        case "!" where !isPlain: return .string(text)
        default:
            bag.error(.unsupportedTag, "unsupported tag `\(shorthand(tag))`", at: range,
                      help: "remove the tag; dnnc reads YAML's core schema only")
            // Read on as if untagged, so the value is not also reported as of the wrong type.
            return isPlain ? CoreSchema.resolve(plain: text) : .string(text)
        }
        if !fits {
            bag.error(.unsupportedTag, "`\(text)` is not a valid \(shorthand(tag))", at: range,
                      help: "remove the tag or write a value of that type")
        }
        return resolved
    }

    private func shorthand(_ tag: String) -> String {
        tag.hasPrefix(Self.coreTag) ? "!!" + tag.dropFirst(Self.coreTag.count) : tag
    }
}
