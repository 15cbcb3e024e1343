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
    /// `a..b` (both ends included; `text` as written, in case a header name holds `..`).
    indirect case range(DataColumn, DataColumn, text: String)

    /// A written column: an index, a name, or a range of either.
    static func written(_ value: SpecValue) -> DataColumn {
        if let index = value.int { return .index(index) }
        let text = value.string!
        let ends = text.components(separatedBy: "..")
        guard ends.count == 2, !ends[0].isEmpty, !ends[1].isEmpty else { return .name(text) }
        func end(_ s: String) -> DataColumn { Int(s).map(DataColumn.index) ?? .name(s) }
        return .range(end(ends[0]), end(ends[1]), text: text)
    }
}

/// Which columns of a file are read.
public enum ColumnSelection: Sendable {
    case only([Located<DataColumn>])
    case excluding([Located<DataColumn>])
}

/// Inputs or targets: a matrix written inline, or a file beside the spec.
public struct DataSource: Sendable {
    public indirect enum Origin: Sendable {
        case inline(SpecMatrix)
        case file(Located<String>, columns: ColumnSelection?)
        /// `targets: {column}` when the inputs are not a file: an error when the data is read.
        case columnOfInlineInputs(Located<DataColumn>)
        /// A text's windows (the inputs) or the characters after them (the targets).
        case text(TextWindows, targets: Bool)
        /// A series' windows (the inputs) or the rows after them (the targets).
        case series(SeriesWindows, targets: Bool)
        /// An image set's images (the inputs) or their classes or targets.
        case images(ImageSource, targets: Bool)
    }

    public var origin: Origin
    public var range: SourceRange
    /// A file's `stream: true`, where written, and the batches read ahead.
    public var stream: Located<Bool>? = nil
    public var prefetch = 4

    /// The file's name as written, or nil for inline data.
    public var fileName: Located<String>? {
        switch origin {
        case .file(let name, _): name
        case .text(let windows, _): windows.file
        case .series(let windows, _): windows.series.fileName
        case .images(let source, _): source.images
        case .inline, .columnOfInlineInputs: nil
        }
    }

    /// Where row `r` (from 0) is written, inline; the whole value for a file.
    public func rowRange(_ r: Int) -> SourceRange {
        if case .inline(let matrix) = origin, r < matrix.rowRanges.count { return matrix.rowRanges[r] }
        return range
    }

    public var firstRow: SourceRange { rowRange(0) }
}

/// `{text, context, stride}`: a corpus cut into windows of `context` characters, one every `stride`.
public struct TextWindows: Sendable {
    public var file: Located<String>
    public var context: Located<Int>
    public var stride: Int
}

/// `{images, path, target}`: a folder of class subfolders, or a CSV list with a path and a target column.
public struct ImageSource: Sendable {
    public var images: Located<String>
    public var path: Located<DataColumn>?
    public var target: Located<DataColumn>?
    /// `stream: true`, where written, and the batches decoded ahead.
    public var stream: Located<Bool>?
    public var prefetch: Int

    /// Whether `images` names a list (a .csv file) rather than a folder.
    public var isList: Bool { images.value.lowercased().hasSuffix(".csv") }
}

/// `{series, window, horizon, targets, stride}`: windows of `window` consecutive rows of a series, one
/// every `stride`, each with its target columns `horizon` rows after the window's last.
public struct SeriesWindows: Sendable {
    /// The rows, inline or from a file (with its columns).
    public var series: DataSource
    public var window: Located<Int>
    public var horizon: Int
    /// nil: every column read.
    public var targets: [Located<DataColumn>]?
    public var stride: Int
}

/// A training or validation set.
public struct DataSetSection: Sendable {
    public var inputs: DataSource
    public var targets: DataSource

    /// Whether the set is images read from files.
    public var isImages: Bool {
        if case .images = inputs.origin { return true }
        return false
    }

    /// Whether the set is windows of a series (its split is taken from the end, in time order).
    public var isSeries: Bool {
        if case .series = inputs.origin { return true }
        return false
    }
}

public struct DataSection: Sendable {
    public enum Validation: Sendable {
        /// `{split: f}`: the share of the training rows held out.
        case split(Located<Double>)
        case set(DataSetSection)
    }

    public var train: DataSetSection
    public var validation: Validation?
    /// `data.test`: evaluated once, after training.
    public var test: DataSetSection?
    public var classes: Located<[String]>?
    /// `data.types`: input columns by header name, in the order written; a categorical column's
    /// embedding size, where written.
    public var types: [(column: String, kind: Located<ColumnKind>, embedding: Int?)]
    public var missing: MissingSection
    public var normalizeInputs: Located<Normalization>
    public var normalizeTargets: Located<Normalization>
    /// `data.augment`, in order: checked choices of Augmentation's kinds.
    public var augment: [SpecChoice]
    /// The section as checked, for the PyTorch program, which prints it back as its `DATA`.
    public var checked: SpecRecord
}

/// `data.missing`: what empty input cells become.
public struct MissingSection: Sendable {
    /// For every column without its own.
    public var strategy: Located<FillStrategy>
    /// Per column, by header name, in the order written.
    public var columns: [(column: String, strategy: Located<FillStrategy>)]
    public var indicator: Bool

    /// The strategy for a column: its own, or the one for all.
    public func strategy(for column: String) -> Located<FillStrategy> {
        columns.first { $0.column == column }?.strategy ?? strategy
    }

    /// Whether the spec says anything about empty cells.
    public var isWritten: Bool { strategy.value != .error || !columns.isEmpty || indicator }
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
    /// For a block's layer: the (innermost) instance it belongs to, its name inside the block, and its
    /// index in the block's layers.
    public var block: (instance: String, name: String, item: Int)?
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
         block: (instance: String, name: String, item: Int)? = nil, modelBias: Initializer) {
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
    /// The expanded entries it became (those of the instances nested in it too).
    public var entries: Range<Int>
    /// 0 for an item of model.layers, 1 for an instance inside that one's block, ...
    public var depth: Int
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
    /// Every instance, nested ones (depth > 0) included.
    public var blocks: [BlockInstance]
    /// Where `with:` values stand for `${name}`s.
    public var substitutions: [Substitution] = []
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
    /// `train.tensorboard`: the folder as written, and the epochs between histograms.
    public var tensorboard: (path: Located<String>, histogramEvery: Int)?
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
        let columns: ColumnSelection? = record["columns"].map { columns in
            if let excluded = columns.record?["exclude"]?.list { return .excluding(excluded.map { Located(DataColumn.written($0), at: $0.range) }) }
            return .only(columns.list!.map { Located(DataColumn.written($0), at: $0.range) })
        }
        var source = DataSource(origin: .file(record["file"]!.located(\.string), columns: columns), range: value.range)
        if let stream = record["stream"], !stream.isDefault, stream.bool == true { source.stream = stream.located(\.bool) }
        if let prefetch = record["prefetch"]?.int { source.prefetch = prefetch }
        return source
    }

    static func dataSet(_ record: SpecRecord) -> DataSetSection {
        if let text = record["text"] {
            let windows = TextWindows(file: text.located(\.string), context: record["context"]!.located(\.int), stride: record["stride"]!.int!)
            return DataSetSection(inputs: DataSource(origin: .text(windows, targets: false), range: text.range),
                                  targets: DataSource(origin: .text(windows, targets: true), range: text.range))
        }
        if let images = record["images"] {
            func column(_ key: String) -> Located<DataColumn>? { record[key].map { Located(DataColumn.written($0), at: $0.range) } }
            let stream = record["stream"].flatMap { $0.isDefault ? nil : $0.located(\.bool) }
            let source = ImageSource(images: images.located(\.string), path: column("path"), target: column("target"),
                                     stream: stream?.value == true ? stream : nil, prefetch: record["prefetch"]!.int!)
            return DataSetSection(inputs: DataSource(origin: .images(source, targets: false), range: images.range),
                                  targets: DataSource(origin: .images(source, targets: true), range: images.range))
        }
        if let series = record["series"] {
            let windows = SeriesWindows(series: dataSource(series), window: record["window"]!.located(\.int), horizon: record["horizon"]!.int!,
                                        targets: record["targets"]?.list?.map { Located(DataColumn.written($0), at: $0.range) },
                                        stride: record["stride"]!.int!)
            return DataSetSection(inputs: DataSource(origin: .series(windows, targets: false), range: series.range),
                                  targets: DataSource(origin: .series(windows, targets: true), range: series.range))
        }
        var inputs = dataSource(record["inputs"]!)
        // `targets: {column: c}`: that column of the inputs' file, which the inputs then leave out.
        if let column = record["targets"]!.record?["column"] {
            let target = Located(DataColumn.written(column), at: column.range)
            guard case .file(let name, let selected) = inputs.origin else {
                return DataSetSection(inputs: inputs, targets: DataSource(origin: .columnOfInlineInputs(target), range: record["targets"]!.range))
            }
            if selected == nil { inputs.origin = .file(name, columns: .excluding([target])) }
            return DataSetSection(inputs: inputs, targets: DataSource(origin: .file(name, columns: .only([target])), range: record["targets"]!.range))
        }
        return DataSetSection(inputs: inputs, targets: dataSource(record["targets"]!))
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
        let types = data["types"]?.record.map { record in
            record.order.map { (column: $0, kind: record[$0]!.located { $0.choice.flatMap { ColumnKind(rawValue: $0.kind) } },
                                embedding: record[$0]!.choice?["embedding"]?.int) }
        } ?? []
        return DataSection(train: dataSet(data["train"]!.record!), validation: validation, test: data["test"]?.record.map(dataSet),
                           classes: data["classes"].map { $0.located { $0.list?.compactMap(\.string) } },
                           types: types, missing: missingSection(data["missing"]!),
                           normalizeInputs: normalization("inputs"), normalizeTargets: normalization("targets"),
                           augment: data["augment"]?.list?.compactMap(\.choice).filter { !$0.isBroken } ?? [], checked: data)
    }

    /// `missing: mean`, `missing: {constant: 0}`, or `missing: {strategy, columns, indicator}`.
    static func missingSection(_ value: SpecValue) -> MissingSection {
        func strategy(_ value: SpecValue) -> Located<FillStrategy> {
            value.located { v in
                if let word = v.string { return ["error": .error, "mean": .mean, "median": .median, "most_frequent": .mostFrequent][word] }
                let constant = v.record!["constant"]!
                return .constant(constant.string.map(FillConstant.text) ?? .number(constant.double!))
            }
        }
        guard let record = value.record, record["constant"] == nil else { return MissingSection(strategy: strategy(value), columns: [], indicator: false) }
        let columns = record["columns"]?.record.map { r in r.order.map { (column: $0, strategy: strategy(r[$0]!)) } } ?? []
        return MissingSection(strategy: strategy(record["strategy"]!), columns: columns, indicator: record["indicator"]!.bool!)
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
                            earlyStopping: early, checkpoint: checkpoint,
                            tensorboard: train["tensorboard"]?.record.map { (path: $0["path"]!.located(\.string), histogramEvery: $0["histogram_every"]!.int!) })
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
    /// inside it means the block's input, and the instance's name stands for its last layer. A block may
    /// use other blocks (their layers named `<instance>.<inner>.<name>`), never itself; `${name}` in its
    /// layers takes the value its instance gives in `with:`, checked against the key it stands for.
    mutating func expand(_ model: SpecRecord, _ bag: inout DiagnosticBag) {
        var declared: [String: Declaration] = [:]
        for (index, block) in (model["blocks"]?.list ?? []).enumerated() {
            let record = block.record!
            let name = record["name"]!.string!
            if let earlier = declared[name] {
                bag.error(.duplicateName, "a block named `\(name)` is already declared", at: record["name"]!.range,
                          notes: [DiagnosticNote("the first is here", at: earlier.range)], help: "give each block its own name")
                isWhole = false
                continue
            }
            declared[name] = Declaration(layers: record["layers"]!.list!, range: record["name"]!.range, index: index)
        }
        var expansion = Expansion(declared: declared, modelBias: initBias.value)
        var naming = LayerNaming()
        var previousItem = "input"
        for (item, value) in model["layers"]!.list!.enumerated() {
            let choice = value.choice!
            let instance = Expansion.name(choice, &naming)
            defer { previousItem = instance.value }
            guard choice.kind == "block", !choice.isBroken else {
                itemEntries.append(expansion.entries.count)
                expansion.entries.append(LayerEntry(choice: choice, name: instance, inputs: Expansion.references(choice), range: value.range,
                                                    modelBias: initBias.value))
                continue
            }
            itemEntries.append(nil)
            // The block's input: the instance's single input, or the entry before it.
            let blockInput: LayerReference
            if let written = Expansion.references(choice) {
                guard written.count == 1 else {
                    bag.error(.badReference, "block `\(instance.value)` takes one input, but `inputs` names \(written.count)", at: choice["inputs"]!.range)
                    return
                }
                blockInput = written[0]
            } else {
                blockInput = LayerReference(name: expansion.entries.last?.name.value ?? "input", range: choice.nameRange)
            }
            guard expansion.instantiate(choice, as: instance, range: value.range, input: blockInput, writtenInput: Expansion.references(choice)?.first?.name ?? previousItem,
                                        item: item, depth: 0, stack: [], &bag)
            else { return }
        }
        blocks = expansion.instances
        substitutions = expansion.substitutions
        var entries = expansion.entries
        let aliases = expansion.aliases
        /// An instance's name means its last layer, through instances nested in it.
        func resolved(_ name: String) -> String {
            var name = name
            while let next = aliases[name] { name = next }
            return name
        }
        // A reference to a block instance means its last layer.
        for index in entries.indices {
            entries[index].inputs = entries[index].inputs?.map { ref in LayerReference(name: resolved(ref.name), range: ref.range) }
        }
        for b in blocks.indices { blocks[b].input = resolved(blocks[b].input) }
        layers = entries
    }

    /// A block as model.blocks declares it.
    struct Declaration {
        var layers: [SpecValue]
        var range: SourceRange
        var index: Int
    }

    /// The expanded list as it grows: entries, instances, and what names and values stand for.
    struct Expansion {
        /// The most layers the expansion makes.
        static let maxLayers = 65_536
        let declared: [String: Declaration]
        let modelBias: Initializer
        var entries: [LayerEntry] = []
        var instances: [BlockInstance] = []
        /// An instance's full name → the full name of its last layer (or of the instance nested last).
        var aliases: [String: String] = [:]
        var substitutions: [Substitution] = []

        init(declared: [String: Declaration], modelBias: Initializer) {
            self.declared = declared
            self.modelBias = modelBias
        }

        static func references(_ choice: SpecChoice) -> [LayerReference]? {
            choice["inputs"]?.list?.map { LayerReference(name: $0.string ?? "", range: $0.range) }
        }

        static func name(_ choice: SpecChoice, _ naming: inout LayerNaming) -> Located<String> {
            let written = choice["name"]
            return Located(naming.name(kind: choice.kind, written: written?.string), at: written?.range ?? choice.nameRange,
                           isDefault: written == nil)
        }

        /// Appends the layers of the block `choice` uses, its `with:` values in place of its `${name}`s,
        /// named `<instance>.<name>`; false after an error that stops the expansion.
        mutating func instantiate(_ choice: SpecChoice, as instance: Located<String>, range: SourceRange, input blockInput: LayerReference,
                                  writtenInput: String, item: Int, depth: Int, stack: [String], _ bag: inout DiagnosticBag) -> Bool {
            let use = choice["use"]!.string!
            guard let block = declared[use] else {
                let guess = Suggestions.guess(use, among: declared.keys.sorted(), at: choice["use"]!.range)
                bag.error(.badReference, "no block named `\(use)` is declared under model.blocks", at: choice["use"]!.range,
                          help: guess.help
                              ?? (declared.isEmpty ? "declare it: `blocks: [{name: \(use), layers: [...]}]` under model" : "the blocks are " + declared.keys.sorted().map { "`\($0)`" }.joined(separator: ", ")),
                          fixes: guess.fixes)
                return false
            }
            // Blocks that use blocks multiply: bounded, so that a few lines cannot ask for billions of layers.
            guard entries.count + block.layers.count <= Self.maxLayers else {
                bag.error(.modelTooLarge, "expanding block `\(use)` takes the model past \(Self.maxLayers) layers", at: choice["use"]!.range,
                          help: "use fewer block instances, or fewer blocks inside blocks")
                return false
            }
            guard !stack.contains(use) else {
                bag.error(.badReference, "block `\(use)` uses itself: " + (stack + [use]).map { "`\($0)`" }.joined(separator: " → "), at: choice["use"]!.range,
                          help: "a block may use other blocks, but not one that leads back to it")
                return false
            }
            var parameters = Parameters(block: use, instance: instance.value, instanceRange: range, values: choice["with"]?.record)
            var innerNaming = LayerNaming()
            var previous: String? = nil
            let first = entries.count
            var failed = false
            for (j, inner) in block.layers.enumerated() {
                guard let written = inner.choice else { continue }
                guard let bound = parameters.substitute(inner, .choice(Language.layers), path: "\(use).layers[\(j)]", &substitutions, &bag),
                      let innerChoice = bound.choice else { failed = true; continue }
                let innerName = Self.name(innerChoice, &innerNaming)
                var located = innerName
                located.value = "\(instance.value).\(innerName.value)"
                let inputs: [LayerReference]
                if let references = Self.references(innerChoice) {
                    inputs = references.map { ref in
                        ref.name == "input" ? blockInput : LayerReference(name: "\(instance.value).\(ref.name)", range: ref.range)
                    }
                } else {
                    inputs = [previous.map { LayerReference(name: $0, range: written.nameRange) } ?? blockInput]
                }
                if innerChoice.kind == "block", !innerChoice.isBroken {
                    guard inputs.count == 1 else {
                        bag.error(.badReference, "block `\(located.value)` takes one input, but `inputs` names \(inputs.count)", at: innerChoice["inputs"]!.range)
                        return false
                    }
                    guard instantiate(innerChoice, as: located, range: inner.range, input: inputs[0], writtenInput: inputs[0].name, item: item,
                                      depth: depth + 1, stack: stack + [use], &bag)
                    else { return false }
                } else {
                    entries.append(LayerEntry(choice: innerChoice, name: located, inputs: inputs, range: inner.range,
                                              block: (instance.value, innerName.value, j), modelBias: modelBias))
                }
                previous = located.value
            }
            failed = !parameters.reportUnused(declared: block.layers, &bag) || failed
            aliases[instance.value] = previous
            instances.append(BlockInstance(item: item, name: instance, use: use, declaration: block.index, writtenInput: writtenInput,
                                           input: blockInput.name, entries: first..<entries.count, depth: depth))
            return !failed
        }
    }

    /// One instance's `with:` values, put in place of the `${name}`s of its block's layers.
    struct Parameters {
        let block: String
        let instance: String
        let instanceRange: SourceRange
        /// Parameter name → its binding (`with:` key and value, as written).
        let values: SpecRecord?
        var used = Set<String>()

        init(block: String, instance: String, instanceRange: SourceRange, values: SpecRecord?) {
            self.block = block
            self.instance = instance
            self.instanceRange = instanceRange
            self.values = values
        }

        /// `value` (of `type`) with each `${name}` replaced by its checked value; nil after an error.
        mutating func substitute(_ value: SpecValue, _ type: ValueType, path: String, _ substitutions: inout [Substitution],
                                 _ bag: inout DiagnosticBag) -> SpecValue? {
            switch value.content {
            case .placeholder(let name):
                guard let node = given(name, usedAt: value.range, &bag) else { return nil }
                var checker = SpecChecker()
                let checked = checker.value(node, type, path: path)
                for var d in checker.bag.all {
                    d.notes.append(DiagnosticNote("it is `${\(name)}` of block `\(block)`, used here", at: value.range))
                    bag.report(d)
                }
                guard let checked, !checker.bag.hasErrors else { return nil }
                substitutions.append(Substitution(name: name, block: block, value: node.range, use: value.range))
                return checked
            case .choice(let choice):
                guard let kind = Self.catalog(type)?.kind(named: choice.kind), !choice.isBroken else { return value }
                var params = choice.params, ok = true
                for key in params.order {
                    guard let field = kind.params.first(where: { $0.name == key }), let v = params[key] else { continue }
                    if let bound = substitute(v, field.type, path: "\(path).\(key)", &substitutions, &bag) { params.fields[key] = bound } else { ok = false }
                }
                var bound = value
                bound.content = .choice(SpecChoice(kind: choice.kind, nameRange: choice.nameRange, params: params, isBroken: choice.isBroken))
                return ok ? bound : nil
            case .list(let items):
                guard let itemType = Self.item(type) else { return value }
                var out: [SpecValue] = [], ok = true
                for (i, item) in items.enumerated() {
                    if let bound = substitute(item, itemType, path: "\(path)[\(i)]", &substitutions, &bag) { out.append(bound) } else { ok = false }
                }
                var bound = value
                bound.content = .list(out)
                return ok ? bound : nil
            case .record(var record):
                var ok = true
                for key in record.order {
                    guard let v = record[key] else { continue }
                    if case .binding(let keyRange, let node) = v.content {
                        // A nested instance's `with:`: the outer instance's values go in first.
                        guard let bound = substitute(node, &bag) else { ok = false; continue }
                        record.fields[key]!.content = .binding(key: keyRange, value: bound)
                    } else if let field = Self.record(type)?.field(key) {
                        if let bound = substitute(v, field.type, path: "\(path).\(key)", &substitutions, &bag) { record.fields[key] = bound } else { ok = false }
                    }
                }
                var bound = value
                bound.content = .record(record)
                return ok ? bound : nil
            default:
                return value
            }
        }

        /// A nested instance's `with:` value with this instance's values in place of its `${name}`s.
        mutating func substitute(_ node: YAMLNode, _ bag: inout DiagnosticBag) -> YAMLNode? {
            if let name = SpecValue.placeholderName(node) { return given(name, usedAt: node.range, &bag) }
            switch node.content {
            case .sequence(let items):
                var out: [YAMLNode] = []
                for item in items { guard let bound = substitute(item, &bag) else { return nil }; out.append(bound) }
                return YAMLNode(content: .sequence(out), range: node.range)
            case .mapping(let pairs):
                var out: [YAMLNode.Pair] = []
                for pair in pairs { guard let bound = substitute(pair.value, &bag) else { return nil }; out.append(YAMLNode.Pair(key: pair.key, value: bound)) }
                return YAMLNode(content: .mapping(out), range: node.range)
            default:
                return node
            }
        }

        /// The value `with:` gives for `${name}`, written at `range`; an error when it gives none.
        mutating func given(_ name: String, usedAt range: SourceRange, _ bag: inout DiagnosticBag) -> YAMLNode? {
            used.insert(name)
            guard case .binding(_, let node)? = values?[name]?.content else {
                bag.error(.missingKey, "block `\(block)` uses `${\(name)}`, but `\(instance)` gives it no value", at: range,
                          notes: [DiagnosticNote("the instance is here", at: instanceRange)],
                          help: "add `\(name): …` to the instance's `with:`")
                return nil
            }
            return node
        }

        /// Reports `with:` values the block never uses; false when there is one.
        func reportUnused(declared layers: [SpecValue], _ bag: inout DiagnosticBag) -> Bool {
            guard let values else { return true }
            var clean = true
            for key in values.order where !used.contains(key) {
                guard case .binding(let keyRange, _)? = values[key]?.content else { continue }
                let names = used.sorted()
                let guess = Suggestions.guess(key, among: names, at: keyRange)
                bag.error(.unknownKey, "block `\(block)` has no parameter `\(key)`", at: keyRange,
                          help: guess.help ?? (names.isEmpty ? "its layers write no `${…}`" : "its parameters are " + names.map { "`\($0)`" }.joined(separator: ", ")),
                          fixes: guess.fixes)
                clean = false
            }
            return clean
        }

        static func catalog(_ type: ValueType) -> Catalog? {
            switch type {
            case .choice(let catalog): catalog
            case .oneOf(let types): types.lazy.compactMap(catalog).first
            default: nil
            }
        }

        static func item(_ type: ValueType) -> ValueType? {
            switch type {
            case .list(let item, _): item
            case .shape: .integer(.size)
            case .dims(let bounds): .integer(bounds)
            case .oneOf(let types): types.lazy.compactMap(item).first
            default: nil
            }
        }

        static func record(_ type: ValueType) -> Record? {
            switch type {
            case .record(let record): record
            case .oneOf(let types): types.lazy.compactMap(record).first
            default: nil
            }
        }
    }
}

/// Where an instance's `with:` value stands for `${name}` in one of its block's layers: diagnostics at
/// the value also point at the use.
public struct Substitution: Sendable {
    public var name: String
    public var block: String
    /// The value in `with:`.
    public var value: SourceRange
    /// The `${name}` in the block.
    public var use: SourceRange
}
