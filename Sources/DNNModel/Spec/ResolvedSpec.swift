// The checked spec as typed values: one struct per section, each value with the range it was written
// at (a default carries its record's range and says it is one). `ResolvedSpec.resolve` builds it
// once from the checker's tree: the spec's name, every layer's name and inputs, and the blocks
// expanded in place are decided here and nowhere else. The IR builder, lint, `dnnc resolve` and the
// exports read these values; none of them looks a key up in the tree.

import DNNSyntax

/// A value and where the spec wrote it; `isDefault` when the language's default stands in for it.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var range: SourceRange
    public var isDefault: Bool

    public init(_ value: Value, at range: SourceRange, isDefault: Bool = false) {
        self.value = value
        self.range = range
        self.isDefault = isDefault
    }

    /// The range when the spec wrote the value; nil for a default.
    public var writtenRange: SourceRange? { isDefault ? nil : range }
}

extension SpecValue {
    /// The value as a located one of its type; the checker made sure it is of that type.
    func located<V>(_ read: (SpecValue) -> V?) -> Located<V> {
        Located(read(self)!, at: range, isDefault: isDefault)
    }
}

public struct ResolvedSpec: Sendable {
    /// The checked tree it was built from: `dnnc resolve` prints it back with the spellings written.
    public let tree: SpecRecord
    /// The spec's text, for fixes that insert lines.
    public let file: SourceFile
    /// The written name, or the file's stem.
    public var name: Located<String>
    public var seed: Located<Int>
    public var data: DataSection
    public var model: ModelSection
    public var train: TrainSection
}

// MARK: - data

/// One column of a CSV file: by index from 0, or by its header name.
public enum DataColumn: Sendable, Equatable {
    case index(Int)
    case name(String)
}

/// Inputs or targets: a matrix written inline, or a file beside the spec.
public struct DataSource: Sendable {
    public enum Origin: Sendable {
        case inline(SpecMatrix)
        case file(Located<String>, columns: [Located<DataColumn>]?)
    }

    public var origin: Origin
    public var range: SourceRange

    /// The file's name as written, or nil for inline data.
    public var fileName: Located<String>? {
        if case .file(let name, _) = origin { return name }
        return nil
    }

    /// Where row `r` (from 0) is written, inline; the whole value for a file.
    public func rowRange(_ r: Int) -> SourceRange {
        if case .inline(let matrix) = origin, r < matrix.rowRanges.count { return matrix.rowRanges[r] }
        return range
    }

    public var firstRow: SourceRange { rowRange(0) }
}

/// A training or validation set.
public struct DataSetSection: Sendable {
    public var inputs: DataSource
    public var targets: DataSource
}

public struct DataSection: Sendable {
    public enum Validation: Sendable {
        /// `{split: f}`: the share of the training rows held out.
        case split(Located<Double>)
        case set(DataSetSection)
    }

    public var train: DataSetSection
    public var validation: Validation?
    public var classes: Located<[String]>?
    public var normalizeInputs: Located<Normalization>
    public var normalizeTargets: Located<Normalization>
    /// The section as checked, for the PyTorch program, which prints it back as its `DATA`.
    public var checked: SpecRecord
}

// MARK: - model

/// A reference to a layer in `inputs`: the name it resolves to (a block instance's name resolved to its
/// last layer, a name inside a block prefixed with the instance's), and where it is written.
public struct LayerReference: Sendable {
    public var name: String
    public var range: SourceRange
}

/// One layer of the expanded list: a block's layers in its place, named `<instance>.<name>`.
public struct LayerEntry: Sendable {
    /// The checked choice: the op reads its own keys from it when it is lowered.
    public var choice: SpecChoice
    /// The written name (its range the `name` value's), or `<kind>_<n>` (its range the kind's name).
    public var name: Located<String>
    /// What it reads; nil: the entry before it.
    public var inputs: [LayerReference]?
    /// The whole layer as written.
    public var range: SourceRange
    /// For a block's layer: the instance it belongs to, and the layer's name inside the block.
    public var block: (instance: String, name: String)?
    /// The keys every layer kind shares (Language's fields), read once. Its activation: `activation`,
    /// or an activation layer's `fn`; nil for a kind without either.
    public var activation: Located<Activation>?
    /// Its own `weights`, where written.
    public var weights: Located<Initializer>?
    /// Its own `bias`, where written: an initializer, or nil for `bias: false` (`true` is model.init's).
    public var bias: Located<Initializer?>?
    public var l1: Double
    public var l2: Double

    init(choice: SpecChoice, name: Located<String>, inputs: [LayerReference]?, range: SourceRange,
         block: (instance: String, name: String)? = nil, modelBias: Initializer) {
        self.choice = choice
        self.name = name
        self.inputs = inputs
        self.range = range
        self.block = block
        // A kind whose `activation` is a word of its own (rnn's tanh or relu) reads it itself.
        activation = (choice["activation"] ?? choice["fn"]).flatMap { value in
            value.choice.map { Located(Activation.lower($0), at: value.range, isDefault: value.isDefault) }
        }
        weights = choice["weights"].map { value in value.located(Lowering.initializer) }
        bias = choice["bias"].map { value in
            Located(value.bool.map { $0 ? modelBias : nil } ?? Lowering.initializer(value), at: value.range, isDefault: value.isDefault)
        }
        l1 = choice["l1"]?.double ?? 0
        l2 = choice["l2"]?.double ?? 0
    }
}

/// A `- block: {use: ...}` item of model.layers, as expanded.
public struct BlockInstance: Sendable {
    /// Its index in model.layers as written.
    public var item: Int
    public var name: Located<String>
    public var use: String
    /// The block it uses: its index in model.blocks.
    public var declaration: Int
    /// Its input as the spec names it: written, or the item before (a layer or another instance).
    public var writtenInput: String
    /// Its input as the expanded list names it (`input`, or a layer).
    public var input: String
    /// The expanded entries it became.
    public var entries: Range<Int>
}

public struct ModelSection: Sendable {
    public var input: Located<[Int]>
    /// model.init: the initializers every layer takes unless it writes its own.
    public var initWeights: Located<Initializer>
    public var initBias: Located<Initializer>
    /// Where model.init is written; nil when it is not.
    public var initRange: SourceRange?
    /// The layers with blocks expanded, names and references final; nil when the expansion failed
    /// (its errors reported).
    public var layers: [LayerEntry]?
    /// For each item of model.layers as written, the entry it is (nil for a block instance).
    public var itemEntries: [Int?]
    public var blocks: [BlockInstance]
    /// False when expanding reported an error that left the layers listed (a block declared twice):
    /// they are still lowered and checked, but no model is built from them.
    public var isWhole = true
}

// MARK: - train

public struct EarlyStoppingSection: Sendable {
    /// nil: the default, which depends on whether there is validation data.
    public var monitor: Located<String>?
    public var patience: Int
    public var minDelta: Double
    public var restoreBest: Bool
}

public struct CheckpointSection: Sendable {
    public var every: Int
    public var keep: Int
    /// nil: the default, `checkpoints/<name>`.
    public var path: Located<String>?
    public var range: SourceRange
}

public struct PhaseSection: Sendable {
    public var epochs: Int
    public var optimizer: SpecChoice?
    public var freeze: [Located<String>]
}

public struct TrainSection: Sendable {
    public var loss: SpecChoice
    public var optimizer: SpecChoice
    /// The optimizer's `lr`, the base rate every schedule and phase is relative to.
    public var learningRate: Located<Double>
    public var epochs: Located<Int>
    public var batchSize: Located<Int>
    public var shuffle: Bool
    public var logEvery: Located<Int>
    public var phases: Located<[PhaseSection]>?
    public var schedule: SpecChoice
    public var warmup: Int
    public var clip: SpecChoice?
    public var validateEvery: Int
    public var earlyStopping: EarlyStoppingSection?
    public var checkpoint: CheckpointSection?
}

// MARK: - resolving the tree

extension ResolvedSpec {
    /// The typed spec of a tree the checker returned whole (every required key there, every value of
    /// its type). Errors in block expansion are reported; the rest of the spec is still resolved.
    public static func resolve(_ tree: SpecRecord, file: SourceFile, diagnostics bag: inout DiagnosticBag) -> ResolvedSpec {
        let data = tree["data"]!.record!, model = tree["model"]!.record!, train = tree["train"]!.record!
        let name = tree["name"].map { $0.located(\.string) } ?? Located(file.stem, at: .none, isDefault: true)
        return ResolvedSpec(tree: tree, file: file, name: name, seed: tree["seed"]!.located(\.int),
                            data: dataSection(data), model: modelSection(model, &bag), train: trainSection(train))
    }

    static func dataSource(_ value: SpecValue) -> DataSource {
        if let matrix = value.matrix { return DataSource(origin: .inline(matrix), range: value.range) }
        let record = value.record!
        let columns = record["columns"]?.list?.map { column in
            Located(column.int.map(DataColumn.index) ?? .name(column.string!), at: column.range)
        }
        return DataSource(origin: .file(record["file"]!.located(\.string), columns: columns), range: value.range)
    }

    static func dataSet(_ record: SpecRecord) -> DataSetSection {
        DataSetSection(inputs: dataSource(record["inputs"]!), targets: dataSource(record["targets"]!))
    }

    static func dataSection(_ data: SpecRecord) -> DataSection {
        var validation: DataSection.Validation? = nil
        if let record = data["validation"]?.record {
            validation = record["split"].map { .split($0.located(\.double)) } ?? .set(dataSet(record))
        }
        let normalize = data["normalize"]?.record
        func normalization(_ key: String) -> Located<Normalization> {
            guard let value = normalize?[key] else { return Located(.none, at: .none, isDefault: true) }
            return value.located { $0.string.flatMap(Normalization.init(rawValue:)) }
        }
        return DataSection(train: dataSet(data["train"]!.record!), validation: validation,
                           classes: data["classes"].map { $0.located { $0.list?.compactMap(\.string) } },
                           normalizeInputs: normalization("inputs"), normalizeTargets: normalization("targets"), checked: data)
    }

    static func trainSection(_ train: SpecRecord) -> TrainSection {
        let phases = train["phases"].map { value in
            value.located { $0.list?.map { item in
                let record = item.record!
                return PhaseSection(epochs: record["epochs"]!.int!, optimizer: record["optimizer"]?.choice,
                                    freeze: record["freeze"]?.list?.map { $0.located(\.string) } ?? [])
            } }
        }
        let early = train["early_stopping"]?.record.map { record in
            EarlyStoppingSection(monitor: record["monitor"]?.located(\.string), patience: record["patience"]!.int!,
                                 minDelta: record["min_delta"]!.double!, restoreBest: record["restore_best"]!.bool!)
        }
        let checkpoint = train["checkpoint"].map { value in
            let record = value.record!
            return CheckpointSection(every: record["every"]!.int!, keep: record["keep"]!.int!, path: record["path"]?.located(\.string),
                                     range: value.range)
        }
        let optimizer = train["optimizer"]!.choice!
        return TrainSection(loss: train["loss"]!.choice!, optimizer: optimizer, learningRate: optimizer["lr"]!.located(\.double), epochs: train["epochs"]!.located(\.int),
                            batchSize: train["batch_size"]!.located(\.int), shuffle: train["shuffle"]!.bool!,
                            logEvery: train["log_every"]!.located(\.int), phases: phases, schedule: train["schedule"]!.choice!,
                            warmup: train["warmup"]!.int!, clip: train["clip"]?.choice, validateEvery: train["validate_every"]!.int!,
                            earlyStopping: early, checkpoint: checkpoint)
    }

    static func modelSection(_ model: SpecRecord, _ bag: inout DiagnosticBag) -> ModelSection {
        let modelInit = model["init"]?.record
        func initializer(_ key: String, default value: Initializer) -> Located<Initializer> {
            modelInit?[key].map { Located(Lowering.initializer($0), at: $0.range, isDefault: $0.isDefault) }
                ?? Located(value, at: .none, isDefault: true)
        }
        var section = ModelSection(input: model["input"]!.located { $0.list?.map { $0.int! } },
                                   initWeights: initializer("weights", default: .glorotUniform), initBias: initializer("bias", default: .zeros),
                                   initRange: modelInit?.range, layers: nil, itemEntries: [], blocks: [])
        section.expand(model, &bag)
        return section
    }
}

extension ModelSection {
    /// The layers with every `block` expanded: a block's layers are named `<instance>.<name>`, `input`
    /// inside it means the block's input, and the instance's name stands for its last layer.
    mutating func expand(_ model: SpecRecord, _ bag: inout DiagnosticBag) {
        var declared: [String: (layers: [SpecValue], range: SourceRange, index: Int)] = [:]
        for (index, block) in (model["blocks"]?.list ?? []).enumerated() {
            let record = block.record!
            let name = record["name"]!.string!
            if let earlier = declared[name] {
                bag.error(.duplicateName, "a block named `\(name)` is already declared", at: record["name"]!.range,
                          notes: [DiagnosticNote("the first is here", at: earlier.range)], help: "give each block its own name")
                isWhole = false
                continue
            }
            declared[name] = (record["layers"]!.list!, record["name"]!.range, index)
        }
        var entries: [LayerEntry] = []
        var naming = LayerNaming()
        var aliases: [String: String] = [:]  // block instance → its last layer
        var previousItem = "input"
        func references(_ choice: SpecChoice) -> [LayerReference]? {
            choice["inputs"]?.list?.map { LayerReference(name: $0.string!, range: $0.range) }
        }
        func name(_ choice: SpecChoice, _ naming: inout LayerNaming) -> Located<String> {
            let written = choice["name"]
            return Located(naming.name(kind: choice.kind, written: written?.string), at: written?.range ?? choice.nameRange,
                           isDefault: written == nil)
        }
        for (item, value) in model["layers"]!.list!.enumerated() {
            let choice = value.choice!
            let instance = name(choice, &naming)
            defer { previousItem = instance.value }
            guard choice.kind == "block", !choice.isBroken else {
                itemEntries.append(entries.count)
                entries.append(LayerEntry(choice: choice, name: instance, inputs: references(choice), range: value.range,
                                          modelBias: initBias.value))
                continue
            }
            itemEntries.append(nil)
            let use = choice["use"]!.string!
            guard let block = declared[use] else {
                let guess = Suggestions.guess(use, among: declared.keys.sorted(), at: choice["use"]!.range)
                bag.error(.badReference, "no block named `\(use)` is declared under model.blocks", at: choice["use"]!.range,
                          help: guess.help
                              ?? (declared.isEmpty ? "declare it: `blocks: [{name: \(use), layers: [...]}]` under model" : "the blocks are " + declared.keys.sorted().map { "`\($0)`" }.joined(separator: ", ")),
                          fixes: guess.fixes)
                return
            }
            // The block's input: the instance's single input, or the entry before it.
            let blockInput: LayerReference
            if let written = references(choice) {
                guard written.count == 1 else {
                    bag.error(.badReference, "block `\(instance.value)` takes one input, but `inputs` names \(written.count)", at: choice["inputs"]!.range)
                    return
                }
                blockInput = written[0]
            } else {
                blockInput = LayerReference(name: entries.last?.name.value ?? "input", range: choice.nameRange)
            }
            var innerNaming = LayerNaming()
            var previous: String? = nil
            let first = entries.count
            for inner in block.layers {
                let innerChoice = inner.choice!
                if innerChoice.kind == "block" {
                    bag.error(.badReference, "block `\(use)` uses another block; blocks do not nest", at: innerChoice.nameRange)
                    return
                }
                let innerName = name(innerChoice, &innerNaming)
                let full = "\(instance.value).\(innerName.value)"
                let inputs: [LayerReference]
                if let written = references(innerChoice) {
                    inputs = written.map { ref in
                        ref.name == "input" ? blockInput : LayerReference(name: "\(instance.value).\(ref.name)", range: ref.range)
                    }
                } else {
                    inputs = [previous.map { LayerReference(name: $0, range: innerChoice.nameRange) } ?? blockInput]
                }
                var located = innerName
                located.value = full
                entries.append(LayerEntry(choice: innerChoice, name: located, inputs: inputs, range: inner.range,
                                          block: (instance.value, innerName.value), modelBias: initBias.value))
                previous = full
            }
            aliases[instance.value] = previous
            blocks.append(BlockInstance(item: item, name: instance, use: use, declaration: block.index, writtenInput: references(choice)?.first?.name ?? previousItem,
                                        input: blockInput.name, entries: first..<entries.count))
        }
        // A reference to a block instance means its last layer.
        for index in entries.indices {
            entries[index].inputs = entries[index].inputs?.map { ref in LayerReference(name: aliases[ref.name] ?? ref.name, range: ref.range) }
        }
        for b in blocks.indices { blocks[b].input = aliases[blocks[b].input] ?? blocks[b].input }
        layers = entries
    }
}
