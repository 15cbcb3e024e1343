// Lowers the checked spec tree to the verified IR: reads the data (inline or from files), resolves
// defaults that depend on context (layer names and inputs, model-wide initializers), infers each
// layer's shapes from its inputs' (LayerBuilder.swift), and checks the data against the model.
// A mismatch names both sides and both places.

import Foundation
import DNNSyntax

public enum IRBuilder {
    /// Builds the IR from a resolved spec; nil with diagnostics when it does not verify.
    public static func build(_ spec: ResolvedSpec, file: SourceFile, options: CompileOptions = CompileOptions(),
                             diagnostics bag: inout DiagnosticBag) -> ModelIR? {
        var builder = Builder(spec: spec, file: file, options: options)
        var model = builder.build()
        model?.dataFiles = builder.dataFiles
        bag.append(contentsOf: builder.bag)
        return model
    }

    /// Parameters a model may have: 2^28 (1 GiB of float32 per copy; training keeps five).
    static let maxParameters = 1 << 28

    /// The product of sizes, or nil when it overflows.
    static func checkedProduct(_ sizes: [Int]) -> Int? {
        var product = 1
        for size in sizes {
            let (p, overflow) = product.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            product = p
        }
        return product
    }
}

struct Builder {
    let spec: ResolvedSpec
    let file: SourceFile
    let options: CompileOptions
    var bag = DiagnosticBag()
    /// The data files read, canonical paths.
    var dataFiles: [String] = []
    /// Files read so far, by canonical path: inputs and targets are often columns of one CSV file,
    /// which is then read once.
    var tables: [String: DataTable] = [:]
    /// A text corpus's vocabulary (the training text's characters) and the target columns of its windows
    /// (context: one per position; 1: the window's next character), set before its windows are cut.
    var textVocabulary: [Unicode.Scalar]? = nil
    var textTargetColumns = 1
    /// The training inputs' encoder, once fitted (TabularFitting.swift); the other sets use it.
    var encoder: TabularEncoder? = nil
    /// The sets as read, for the data lint (DataLint.swift).
    var read: [SetRole: ReadSet] = [:]
    /// Image sets read so far, by the name written (train and validation may share a list file), and
    /// those that failed (reported once).
    var imageSets: [String: ImageRead] = [:]
    var failedImageSets: Set<String> = []
    /// Streamed inputs by the name written: an image set's files or a .npy file's rows.
    var streams: [String: any SampleStream] = [:]
    /// The training rows' validation split once drawn (splitOrder): the rows in their drawn order, the
    /// first `held` held out.
    var drawnSplit: (order: [Int], held: Int)? = nil

    mutating func build() -> ModelIR? {
        let data = spec.data, train = spec.train
        let loss = Loss.lower(train.loss)
        let input = spec.model.input, inputShape = input.value
        guard let inputWidth = IRBuilder.checkedProduct(inputShape), inputWidth <= IRBuilder.maxParameters else {
            bag.error(.modelTooLarge, "model.input \(inputShape) holds more than \(IRBuilder.maxParameters) values per sample",
                      at: input.range, help: "use a smaller input shape")
            return nil
        }

        // The layers, their graph and their shapes.
        var layers = LayerBuilder(model: spec.model)
        let built = layers.build()
        bag.append(contentsOf: layers.bag)
        guard let built, !bag.hasErrors else {
            // The layers failed, but the data's fit to model.input does not depend on them: it is
            // still read and checked, so one run reports both (files, cells, widths, row counts).
            let set = data.train
            if let inputTable = table(set.inputs), let targetTable = table(set.targets),
               let inputs = inputMatrix(inputTable, at: set.inputs, training: true, isSeries: set.isSeries) {
                _ = checkInputs(inputs, targetRows: targetTable.rows, in: set, inputWidth: inputWidth)
            }
            return nil
        }
        let outputWidth = built.last!.outputSize

        // The data.
        var names = data.classes?.value
        if case .text(let windows, _) = data.train.inputs.origin {
            guard let vocabulary = textVocabulary(windows, lastLayer: built.last!, loss: loss) else { return nil }
            names = vocabulary.map { String($0) }
        }
        // A folder's classes are its subfolders, sorted, one without images among them.
        if names == nil, case .images(let source, _) = data.train.inputs.origin, !source.isList {
            guard let read = images(source) else { return nil }
            names = read.classes
        }
        guard let (trainSet, inputColumns, targetColumns) = dataset(data.train, loss: loss, classes: &names, outputWidth: outputWidth,
                                                                   inputWidth: inputWidth, lastLayer: built.last!, role: .train)
        else { return nil }
        var validation: Dataset? = nil
        var trainData = trainSet
        switch data.validation {
        case .split(let fraction)? where trainSet.inputs.isStreamed:
            guard let (kept, held) = streamedSplit(trainSet, fraction: fraction) else { return nil }
            (trainData, validation) = (kept, held)
        case .split(let fraction)?:
            (trainData, validation) = self.split(trainSet, fraction: fraction.value, at: fraction.range, inTimeOrder: data.train.isSeries)
        case .set(let set)?:
            validation = dataset(set, loss: loss, classes: &names, outputWidth: outputWidth, inputWidth: inputWidth, lastLayer: built.last!,
                                 role: .validation)?.set
        case nil:
            break
        }
        let test = data.test.flatMap { dataset($0, loss: loss, classes: &names, outputWidth: outputWidth, inputWidth: inputWidth, lastLayer: built.last!,
                                               role: .test)?.set }
        for set in [data.validation.flatMap { if case .set(let set) = $0 { return set } else { return nil } }, data.test].compactMap({ $0 }) {
            if case .images(let source, _) = set.inputs.origin, let stream = source.stream {
                bag.error(.dataFile, "only the training set streams; validation and test images are read into memory", at: stream.range,
                          help: "remove `stream` here")
            }
        }
        let trainInputs = data.train.inputs.range
        for layer in built {
            if layer.kind.vocabulary != nil, layer.inputs == [-1], trainData.inputs.isStreamed {
                bag.error(.layerGeometry, "\(layer.kind.name) `\(layer.name)` reads the images as indices, which a streamed set cannot check before training",
                          at: layer.range, help: "read the images into memory (leave out `stream`)")
                continue
            }
            if let vocab = layer.kind.vocabulary, layer.inputs == [-1] {
                checkIndices(trainData.inputs, below: vocab, at: trainInputs, layer: layer)
                if let validation { checkIndices(validation.inputs, below: vocab, at: trainInputs, layer: layer) }
                if let test, let range = data.test?.inputs.range { checkIndices(test.inputs, below: vocab, at: range, layer: layer) }
                // Indices must reach the table as written: normalizing them would make them fractions.
                let normalize = data.normalizeInputs
                if !normalize.isDefault, normalize.value != .none {
                    bag.error(.layerGeometry, "\(layer.kind.name) `\(layer.name)` reads integer indices, which `normalize: {inputs: \(normalize.value.rawValue)}` would turn into fractions",
                              at: normalize.range, notes: [DiagnosticNote("the embedding is here", at: layer.range)],
                              help: "leave the inputs unnormalized")
                }
            }
        }

        // An embedded column: the model's first op looks its slot up (Ops/ColumnEmbedding.swift), and the
        // layers the spec writes read its output, model.input.
        var network = built, networkInput = inputShape
        if let front = encoder?.columnEmbedding {
            if let clash = built.first(where: { $0.name == ColumnEmbedding.layerName }) {
                bag.error(.duplicateName, "`\(clash.name)` is the name of the op that embeds data.types' columns", at: clash.source.name,
                          help: "rename the layer")
                return nil
            }
            network = [front.layer(range: spec.data.train.inputs.range)] + built.map { layer in
                var layer = layer
                layer.inputs = layer.inputs.map { $0 + 1 }
                return layer
            }
            networkInput = [front.inputWidth]
        }

        // Training.
        let optimizer = Lowering.optimizer(train.optimizer)
        optimizer.rule.check(optimizer, train.optimizer, &bag)
        // A default batch size is clamped to the training set; a written one that exceeds it is a mistake.
        let rows = trainData.inputs.rows
        let batch = train.batchSize
        if !batch.isDefault, batch.value > rows {
            bag.error(.batchLargerThanData,
                      "batch_size \(batch.value) is larger than the training set, which has \(rows) sample\(rows == 1 ? "" : "s")",
                      at: batch.range, notes: [DiagnosticNote("the training inputs are here", at: trainInputs)],
                      help: "use a batch_size of at most \(rows), or omit it to train on the whole set per step")
        }
        let scheduleType = Ops.schedule(named: train.schedule.kind)
        scheduleType?.check(train.schedule, &bag)
        guard !bag.hasErrors else { return nil }

        let epochs = train.epochs.value
        var schedule = Schedule(epochs: epochs, batchSize: batch.isDefault ? min(batch.value, rows) : batch.value,
                                shuffle: train.shuffle, logEvery: train.logEvery.value)
        schedule.learningRate = LRSchedule.lower(train.schedule, epochs: epochs, hasValidation: validation != nil)
        schedule.warmup = train.warmup
        schedule.clip = train.clip.map(Lowering.clip) ?? .none
        schedule.validateEvery = train.validateEvery
        if let early = train.earlyStopping {
            schedule.earlyStopping = EarlyStopping(
                monitor: early.monitor?.value ?? EarlyStopping.defaultMonitor(hasValidation: validation != nil),
                patience: early.patience, minDelta: early.minDelta, restoreBest: early.restoreBest)
        }
        if let policy = train.checkpoint {
            // The folder is confined like data paths: a spec writes and prunes only inside its project.
            let written = policy.path?.value ?? "checkpoints/\(spec.name.value)"
            do {
                let folder = try FilePolicy.resolveOutputFolder(written, specPath: file.path, allowOutsideRoot: options.allowOutsideRoot)
                schedule.checkpoint = CheckpointPolicy(every: policy.every, keep: policy.keep, folder: folder, written: written)
            } catch {
                let at = policy.path?.range ?? spec.name.writtenRange ?? policy.range
                bag.error(.outputFolder, "the checkpoint folder " + error.message, at: at, help: error.help)
            }
        }
        if let tensorboard = train.tensorboard {
            do {
                let folder = try FilePolicy.resolveOutputFolder(tensorboard.path.value, specPath: file.path, allowOutsideRoot: options.allowOutsideRoot)
                schedule.tensorboard = TensorBoardPolicy(folder: folder, histogramEvery: tensorboard.histogramEvery)
            } catch {
                bag.error(.outputFolder, "the TensorBoard folder " + error.message, at: tensorboard.path.range, help: error.help)
            }
        }
        let monitors = [(train.earlyStopping?.monitor?.range, schedule.earlyStopping?.monitor),
                        (scheduleType?.monitorRange(train.schedule), schedule.learningRate.monitor)]
        for (range, monitor) in monitors {
            if monitor == "val_loss", validation == nil, let range {
                bag.error(.missingKey, "val_loss needs validation data", at: range,
                          help: "add `validation: {split: 0.2}` under `data:`, or monitor loss")
            }
        }
        if let phases = train.phases {
            let total = phases.value.reduce(0) { $0 + $1.epochs }
            if total != epochs {
                bag.error(.phaseEpochs, "the phases add up to \(total) epochs, but train.epochs is \(epochs)", at: phases.range,
                          notes: [DiagnosticNote("train.epochs is here", at: train.epochs.range)],
                          help: "make train.epochs \(total), or change the phases' epochs")
            }
            for phase in phases.value {
                var frozen: [Int] = []
                for reference in phase.freeze {
                    let name = reference.value
                    guard let index = network.firstIndex(where: { $0.name == name }) else {
                        let guess = Suggestions.guess(name, among: built.map(\.name), at: reference.range)
                        bag.error(.badReference, "no layer named `\(name)` to freeze", at: reference.range,
                                  help: guess.help,
                                  fixes: guess.fixes)
                        continue
                    }
                    frozen.append(index)
                }
                let phaseOptimizer = phase.optimizer.map(Lowering.optimizer) ?? optimizer
                schedule.phases.append(Phase(epochs: phase.epochs, optimizer: phaseOptimizer, frozen: frozen))
            }
        }
        guard !bag.hasErrors else { return nil }

        var ir = ModelIR(
            name: spec.name.value,
            seed: UInt64(spec.seed.value),
            train: trainData,
            inputNormalization: data.normalizeInputs.value,
            targetNormalization: data.normalizeTargets.value,
            inputShape: networkInput, layers: network, loss: loss, optimizer: optimizer, schedule: schedule)
        ir.validation = validation
        ir.test = test
        if loss.isClassification { ir.classes = names ?? (0..<ir.classWidth).map(String.init) }
        // A binary loss's targets written as names: class 1 is the second.
        if loss.isBinary, let names, names.count == 2 { ir.classes = names }
        if case .text(let windows, _) = data.train.inputs.origin { ir.textContext = windows.context.value }
        ir.pixelMax = read[.train]?.inputs.pixelMax
        ir.dataSummary = imageSummary(classes: ir.classes, validation: validation)
        if case .images(let source, _) = data.train.inputs.origin, let shown = imageSets[source.images.value]?.shown {
            if case .split? = data.validation, let (order, held) = drawnSplit { ir.sampleNames = order[held...].sorted().map { shown[$0] } } else { ir.sampleNames = shown }
        }
        ir.augmentations = augmentations()
        if trainData.inputs.isStreamed, let name = data.train.inputs.fileName?.value, let stream = streams[name] {
            ir.stream = drawnSplit.map { stream.subset(Array($0.order[$0.held...]).sorted()) } ?? stream
            // A streamed .npy file's rows are named by their place in it, as images by their paths: the
            // first hundred, which the run's table shows (a name per row of a huge file would not fit).
            if let rows = ir.stream as? NpyStream { ir.sampleNames = (0 ..< min(rows.count, 100)).map { "\(rows.shown) row \(rows.fileRow($0) + 1)" } }
        }
        // The names predict and evaluate read a CSV by: the training file's header, as selected.
        ir.inputColumns = inputColumns
        ir.targetColumns = targetColumns
        ir.encoder = encoder
        lintData(loss: loss, classes: ir.classes)
        return ir
    }

    /// A training, validation or test set: its inputs and targets, read and checked against the model,
    /// with the header names of the columns each reads (for predict and evaluate).
    mutating func dataset(_ set: DataSetSection, loss: Loss, classes: inout [String]?, outputWidth: Int, inputWidth: Int,
                          lastLayer: Layer, role: SetRole) -> (set: Dataset, inputColumns: [String]?, targetColumns: [String]?)? {
        let inputsValue = set.inputs, targetsValue = set.targets
        // A text's or a series' windows and their targets are cut together.
        let tables: (inputs: DataTable, targets: DataTable)?
        switch inputsValue.origin {
        case .text(let windows, _): tables = text(windows)
        case .series(let windows, _): tables = series(windows)
        case .images(let source, _): tables = images(source).map { ($0.inputs, $0.targets) }
        default: tables = table(inputsValue).flatMap { inputs in table(targetsValue).map { (inputs, $0) } }
        }
        guard let (inputTable, targetTable) = tables else { return nil }
        // A column of one file read as an input and as a target would train on the target.
        if case .file(let a, let selected) = inputsValue.origin, case .file(let b, _) = targetsValue.origin, a.value == b.value,
           let header = inputTable.header, let targetNames = targetTable.header {
            let both = targetNames.filter(header.contains)
            if !both.isEmpty {
                let names = both.map { "`\($0)`" }.joined(separator: ", ")
                if selected == nil {
                    let rest = header.filter { !targetNames.contains($0) }
                    bag.error(.inputWidth, "the inputs read all of \(a.value), the target column\(both.count == 1 ? "" : "s") \(names) too",
                              at: inputsValue.range, notes: [DiagnosticNote("the targets are here", at: targetsValue.range)],
                              help: "give the inputs `columns: [" + rest.joined(separator: ", ") + "]`, or the targets as `{column: …}`")
                } else {
                    bag.error(.inputWidth, "\(names) \(both.count == 1 ? "is" : "are") both an input and a target", at: inputsValue.range,
                              notes: [DiagnosticNote("the targets are here", at: targetsValue.range)],
                              help: "leave \(names) out of the inputs' columns")
                }
                return nil
            }
        }
        guard var inputs = inputMatrix(inputTable, at: inputsValue, training: role == .train, isSeries: set.isSeries) else { return nil }
        // A validation or test set of pixels read at another scale than the training set's (image files
        // beside a uint8 .npy) is brought to the training set's, as predict and evaluate bring theirs.
        if role != .train, let trained = read[.train]?.inputs.pixelMax, let source = inputTable.pixelMax {
            DataTable.rescalePixels(&inputs.values, from: source, to: trained)
        }
        // A .npy of several dimensions per sample must have model.input's, not a permutation of it
        // (Keras's [length, channels] for [channels, length] would be read silently wrong).
        let inputShape = spec.model.input.value
        if let shape = inputTable.npyShape, shape.count >= 2, inputShape.count >= 2, shape != inputShape {
            let transposed = shape.sorted() == inputShape.sorted()
            bag.error(.inputWidth, "\(inputsValue.fileName?.value ?? "the inputs") holds samples of shape \(shape), but model.input is \(inputShape)"
                          + (transposed ? ": the same values in another layout" : ""),
                      at: inputsValue.range, notes: [DiagnosticNote("model.input is declared here", at: spec.model.input.range)],
                      help: transposed ? "declare model.input \(shape) and put a `permute` layer first to reorder the axes, or save the array as \(inputShape)"
                                       : "make model.input \(shape), or save the array with the model's shape")
            return nil
        }
        let targets: DataMatrix?
        // A class loss on an [L, classes] output reads L class indices per row, one per position.
        let positions = ModelIR.positions(output: lastLayer.outputShape, loss: loss, targetColumns: targetTable.columns)
        if loss.targetsAreIndices(columns: targetTable.columns, positions: positions) {
            targets = labels(targetTable, at: targetsValue, classes: &classes, outputWidth: outputWidth / positions, lastLayer: lastLayer,
                             ignoring: loss.ignoreIndex)
        } else if loss.isBinary, targetTable.columns == 1, targetTable.firstText != nil {
            targets = binaryLabels(targetTable, at: targetsValue, classes: &classes)
        } else {
            targets = numeric(targetTable, at: targetsValue)
        }
        guard let targets else { return nil }
        var valid = checkInputs(inputs, targetRows: targets.rows, in: set, inputWidth: inputWidth)
        let isIndices = loss.targetsAreIndices(columns: targets.columns, positions: positions)
        if !isIndices, targets.columns != outputWidth {
            let unitsRange = lastLayer.source.width ?? lastLayer.range
            let shape = lastLayer.outputShape
            let perPosition = loss.isClassification && shape.count >= 2
                ? ", or \(shape.dropLast().reduce(1, *)) class indices per row, one per position of its \(shape) output" : ""
            bag.error(.outputWidth,
                      "\(lastLayer.name) outputs \(outputWidth) value\(outputWidth == 1 ? "" : "s") per sample, but the targets (line \(targetsValue.range.start.line)) have \(targets.columns)",
                      at: unitsRange, notes: [DiagnosticNote("the targets are here", at: targetsValue.firstRow)],
                      help: "make the last layer's output \(targets.columns) wide, or fix the targets" + perPosition)
            valid = false
        }
        if loss.function.targets == .classIndices, !isIndices {
            bag.error(.outputWidth, "\(loss.name) takes class indices, one per row", at: targetsValue.range,
                      help: "give one column of class indices, or use cross_entropy for probability rows")
            valid = false
        }
        for (value, matrix) in [(inputsValue, inputs), (targetsValue, targets)] {
            if let i = matrix.values.firstIndex(where: { !$0.isFinite }) {
                let r = i / max(matrix.columns, 1)
                bag.error(.invalidNumber, "row \(r + 1) holds a value beyond float32's range (±3.4e38)",
                          at: value.rowRange(r), notes: [DiagnosticNote("in the data here", at: value.range)],
                          help: "rescale the data")
                valid = false
            }
        }
        guard valid else { return nil }
        let read = Dataset(inputs: inputs, targets: targets)
        self.read[role] = ReadSet(inputs: inputTable, inputsSource: inputsValue, targets: targetTable, targetsSource: targetsValue, data: read)
        return (read, inputTable.header, targetTable.header)
    }

    /// A set's inputs as numbers: through the training encoder when there is one (fitted here, on the
    /// training rows a validation split leaves, for the training set), else the table's numbers.
    mutating func inputMatrix(_ table: DataTable, at source: DataSource, training: Bool, isSeries: Bool) -> DataMatrix? {
        if table.streamed { return DataMatrix(streamedRows: table.rows, columns: table.columns) }
        if training, needsEncoder(table) {
            var rows = Array(0 ..< table.rows)
            if case .split(let fraction)? = spec.data.validation {
                guard let (order, held) = splitOrder(rows: table.rows, fraction: fraction.value, at: fraction.range, inTimeOrder: isSeries) else { return nil }
                rows = order[held...].sorted()
            }
            guard let fitted = fitEncoder(table, at: source, rows: rows) else { return nil }
            encoder = fitted
            // Checked before any row is encoded: a column of a million distinct words would be a million
            // one-hot values per row.
            let (width, declared) = (fitted.modelWidth, IRBuilder.checkedProduct(spec.model.input.value) ?? 0)
            if width != declared {
                let range = spec.model.input.range
                bag.error(.inputWidth, "the columns encode to \(width) values per row, but model.input \(spec.model.input.value) (line \(range.start.line)) takes \(declared)",
                          at: source.firstRow, notes: [DiagnosticNote("model.input is declared here", at: range)],
                          help: "the values are \(fitted.summary): make model.input [\(width)]" + (width > 4096 ? ", or give a column of many categories an `embedding`, or leave it out" : ""),
                          fixes: spec.model.input.value.count == 1 ? [FixIt(range, "[\(width)]")] : [])
                return nil
            }
            guard fitted.width.multipliedReportingOverflow(by: table.rows).partialValue <= TextCorpus.maxValues else {
                bag.error(.dataFile, "\(table.rows) rows of \(fitted.width) encoded values are more than \(TextCorpus.maxValues) values", at: source.range,
                          help: "give columns of many categories an `embedding`, or read fewer rows")
                return nil
            }
        }
        if let encoder { return encode(table, with: encoder, at: source) }
        return numeric(table, at: source)
    }

    /// Whether inputs and targets read the same file, the inputs without a column selection.
    func sameFile(_ inputs: DataSource, _ targets: DataSource) -> Bool {
        guard case .file(let a, let columns) = inputs.origin, columns == nil, case .file(let b, _) = targets.origin else { return false }
        return a.value == b.value
    }

    /// The inputs against model.input's width, and the targets' row count against theirs (E0301,
    /// E0302): what the data must satisfy whatever the layers are. False when either fails.
    mutating func checkInputs(_ inputs: DataMatrix, targetRows: Int, in set: DataSetSection, inputWidth: Int) -> Bool {
        let inputsValue = set.inputs, targetsValue = set.targets
        let inputShape = spec.model.input.value, inputShapeRange = spec.model.input.range
        var valid = true
        // What the layers read: an encoded table's values (checked against model.input when the encoding
        // was fitted), an embedded column's vector in place of its slot.
        let width = encoder?.modelWidth ?? inputs.columns
        if width != inputWidth {
            bag.error(.inputWidth,
                      "each input row has \(width) value\(width == 1 ? "" : "s"), but model.input \(inputShape) (line \(inputShapeRange.start.line)) takes \(inputWidth)",
                      at: inputsValue.firstRow, notes: [DiagnosticNote("model.input is declared here", at: inputShapeRange)],
                      help: sameFile(inputsValue, targetsValue) && inputs.columns > inputWidth
                          ? "the inputs read the targets' file whole, the target column too: give the inputs `columns:`, the ones the model reads"
                          : "make model.input [\(inputs.columns)] or fix the rows")
            valid = false
        } else if encoder?.columnEmbedding != nil, inputShape.count != 1 {
            bag.error(.inputWidth, "an embedded column's vector joins the other values in one row, so model.input must be one axis, [\(width)]",
                      at: inputShapeRange, help: "write model.input [\(width)]", fixes: [FixIt(inputShapeRange, "[\(width)]")])
            valid = false
        }
        if inputs.rows != targetRows {
            bag.error(.rowCountMismatch,
                      "the targets have \(targetRows) row\(targetRows == 1 ? "" : "s"), but the inputs (line \(inputsValue.range.start.line)) have \(inputs.rows)",
                      at: targetsValue.range, notes: [DiagnosticNote("the inputs are here", at: inputsValue.range)],
                      help: "give one target row per input row")
            valid = false
        }
        return valid
    }

    /// Each image set's images and, for a classifier, their count per class: the training set (less a
    /// split's held-out images, counted apart), then the validation and test sets.
    func imageSummary(classes: [String]?, validation: Dataset?) -> [String] {
        var lines: [String] = []
        func counts(_ targets: DataMatrix) -> String {
            guard let classes, targets.columns == 1 else { return "" }
            var count = [Int](repeating: 0, count: classes.count)
            for y in targets.values { if let k = y.index(below: classes.count) { count[k] += 1 } }
            return ": " + zip(classes, count).map { "\($0) \($1)" }.joined(separator: ", ")
        }
        for role in [SetRole.train, .validation, .test] {
            guard let set = read[role], case .images(let source, _) = set.inputsSource.origin else { continue }
            let name = source.images.value
            if role == .train, case .split? = spec.data.validation, let validation {
                let trainRows = set.data.inputs.rows - validation.inputs.rows
                lines.append("\(name): \(set.data.inputs.rows) images, \(trainRows) for training and \(validation.inputs.rows) held out" + counts(set.data.targets))
            } else {
                lines.append("\(name): \(set.data.inputs.rows) images" + counts(set.data.targets))
            }
        }
        return lines
    }

    /// A streamed set's validation split: the held-out images decoded into memory (they are evaluated
    /// every epoch), the others left on disk (build() makes them ModelIR.stream).
    mutating func streamedSplit(_ set: Dataset, fraction: Located<Double>) -> (Dataset, Dataset?)? {
        guard let written = spec.data.train.inputs.fileName, let stream = streams[written.value],
              let (order, held) = splitOrder(rows: set.inputs.rows, fraction: fraction.value, at: fraction.range, inTimeOrder: false) else { return (set, nil) }
        let kept = order[held...].sorted(), out = order[..<held].sorted()
        var values = [Float](repeating: 0, count: out.count * set.inputs.columns)
        do throws(DataFileError) {
            try values.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<Float>) throws(DataFileError) in
                try stream.decode(out, into: buffer.baseAddress!)
            }
        } catch {
            bag.error(.dataFile, error.message, at: written.range, help: "replace or remove the file")
            return nil
        }
        let validation = Dataset(inputs: DataMatrix(rows: out.count, columns: set.inputs.columns, values: values), targets: set.targets.rows(out))
        return (Dataset(inputs: DataMatrix(streamedRows: kept.count, columns: set.inputs.columns), targets: set.targets.rows(kept)), validation)
    }

    /// `data.augment`, lowered against model.input, which must be [C, H, W].
    mutating func augmentations() -> [Augmentation] {
        let written = spec.data.augment, input = spec.model.input
        guard let first = written.first else { return [] }
        guard input.value.count == 3 else {
            bag.error(.inputWidth, "data.augment changes images, [channels, height, width], but model.input is \(input.value)", at: first.nameRange,
                      notes: [DiagnosticNote("model.input is declared here", at: input.range)],
                      help: "augment image data only: declare model.input [C, H, W] for it")
            return []
        }
        return written.compactMap { Augmentation.lower($0, shape: input.value, at: input.range, &bag) }
    }

    /// An image set (ImageSet.swift), read once: its listing, then every image decoded into model.input,
    /// which must be [1 or 3, H, W]. Files that do not decode are one error naming them; images of another
    /// size or channel count are a warning each (they are resized or converted, as stated).
    mutating func images(_ source: ImageSource) -> ImageRead? {
        let name = source.images.value, range = source.images.range
        if let read = imageSets[name] { return read }
        guard !failedImageSets.contains(name) else { return nil }
        failedImageSets.insert(name)
        let input = spec.model.input, shape = input.value
        guard shape.count == 3, shape[0] == 1 || shape[0] == 3 else {
            bag.error(.inputWidth, "images are read as [channels, height, width] with 1 (grayscale) or 3 (RGB) channels, but model.input is \(shape)",
                      at: input.range, notes: [DiagnosticNote("the images are read here", at: range)],
                      help: "declare model.input [1, H, W] or [3, H, W]; each image is resized to H × W")
            return nil
        }
        let listing: ImageListing
        do {
            if source.isList {
                let path = try FilePolicy.resolve(name, specPath: file.path, allowOutsideRoot: options.allowOutsideRoot)
                dataFiles.append(path)
                let table = try DataFiles.read(path, displayName: name)
                guard let header = table.header else {
                    bag.error(.dataFile, "\(name) has no header row", at: range,
                              help: "begin the list with a header such as `path,label`, so that no image is taken for one")
                    return nil
                }
                if let cell = header.first(where: { ImageFiles.isImageName($0) }) {
                    bag.error(.dataFile, "\(name)'s first row names an image (`\(Format.printable(cell))`), so it would be read as the header and that image dropped",
                              at: range, help: "begin the list with a header such as `path,label`")
                    return nil
                }
                guard table.columns >= 2 || source.path != nil && source.target != nil else {
                    bag.error(.dataFile, "\(name) has \(table.columns) column; a list of images needs a path column and a target column", at: range)
                    return nil
                }
                guard let paths = columns(source.path.map { [$0] } ?? [Located(.index(0), at: range)], of: table, name: name),
                      let targets = columns(source.target.map { [$0] } ?? [Located(.index(1), at: range)], of: table, name: name) else { return nil }
                listing = try ImageSet.list(table, csvPath: path, shown: name, pathColumn: paths[0], targetColumn: targets[0],
                                            allowOutsideRoot: options.allowOutsideRoot)
            } else {
                let path = try FilePolicy.resolveFolder(name, specPath: file.path, allowOutsideRoot: options.allowOutsideRoot)
                listing = try ImageSet.folder(path, shown: name, root: options.allowOutsideRoot ? nil : FilePolicy.folders(ofSpecAt: file.path).root)
            }
        } catch {
            bag.error(.dataFile, error.message, at: range, help: error.help)
            return nil
        }
        // Held in memory as float32 (unless streamed): bounded before any image is decoded, as a table's values are.
        let values = listing.entries.count.multipliedReportingOverflow(by: shape.reduce(1, *))
        guard source.stream != nil || !values.overflow && values.partialValue <= TextCorpus.maxValues else {
            bag.error(.dataFile, "\(name) holds \(listing.entries.count) images of \(shape.map(String.init).joined(separator: "×")) values, more than the \(TextCorpus.maxValues) (1 GiB of float32) dnnc holds in memory",
                      at: range, notes: [DiagnosticNote("model.input is declared here", at: input.range)],
                      help: "stream them from disk (`stream: true`), or train on fewer images or smaller ones (model.input's height and width)")
            return nil
        }
        dataFiles += listing.entries.map(\.path)
        if !listing.unread.isEmpty {
            bag.report(.unreadImageFiles, ImageSet.unreadSummary(listing.unread, in: name) + ": skipped, so the set has \(listing.entries.count) images",
                       at: range, help: "convert them to PNG or JPEG, or move them out of \(name)")
        }
        let read = ImageSet.read(listing, shape: shape, headersOnly: source.stream != nil)
        if !read.failures.isEmpty {
            let shown = read.failures.prefix(5).map { "\($0.shown): \($0.message)" }.joined(separator: "; ")
            bag.error(.dataFile, "\(read.failures.count) of the \(read.entries.count) images in \(name) cannot be decoded: " + shown
                          + (read.failures.count > 5 ? "; and \(read.failures.count - 5) more" : ""),
                      at: range, help: "replace or remove the files; dnnc reads PNG and JPEG")
            return nil
        }
        let (C, H, W) = (shape[0], shape[1], shape[2])
        let resized = read.sizes.indices.filter { read.sizes[$0].width != W || read.sizes[$0].height != H }
        if let first = resized.first {
            let size = read.sizes[first]
            bag.report(.imagesResized, "\(resized.count) of the \(read.entries.count) images in \(name) are not \(W)×\(H) (\(read.entries[first].shown) is \(size.width)×\(size.height)): each is resized bilinearly to model.input's height and width",
                        at: range, notes: [DiagnosticNote("model.input is declared here", at: input.range)],
                        help: "make the images \(W)×\(H), or declare model.input with their size")
        }
        let converted = read.sizes.indices.filter { read.sizes[$0].channels != C }
        if let first = converted.first {
            let gray = read.sizes[first].channels == 1
            bag.report(.imageChannels, "\(converted.count) of the \(read.entries.count) images in \(name) are \(gray ? "grayscale" : "RGB") (\(read.entries[first].shown)), but model.input has \(C) channel\(C == 1 ? "" : "s"): "
                            + (gray ? "each gray value is repeated in the 3 channels" : "each is converted to grayscale (luma, as PIL's convert(\"L\"))"),
                        at: range, notes: [DiagnosticNote("model.input is declared here", at: input.range)],
                        help: gray ? "declare model.input [1, \(H), \(W)] for gray images" : "declare model.input [3, \(H), \(W)] to keep the colors")
        }
        imageSets[name] = read
        if source.stream != nil { streams[name] = ImageStream(entries: read.entries, shape: shape, prefetch: source.prefetch) }
        failedImageSets.remove(name)
        return read
    }

    /// An inline matrix or a file, as a table of cells.
    mutating func table(_ source: DataSource) -> DataTable? {
        let written: Located<String>, selection: ColumnSelection?
        switch source.origin {
        case .inline(let m):
            return DataTable(rows: m.rows.count, columns: m.columns, numbers: m.rows.flatMap { $0.map { Optional($0) } },
                             texts: [], header: nil)
        case .file(let name, let selected):
            (written, selection) = (name, selected)
        case .text(let windows, let targets):
            return text(windows).map { targets ? $0.targets : $0.inputs }
        case .series(let windows, let targets):
            return series(windows).map { targets ? $0.targets : $0.inputs }
        case .images(let source, let targets):
            return images(source).map { targets ? $0.targets : $0.inputs }
        case .columnOfInlineInputs(let column):
            bag.error(.dataFile, "`targets: {column: …}` reads a column of the inputs' file, but the inputs are written inline", at: column.range,
                      help: "give the targets as rows, or read the inputs from a file")
            return nil
        }
        let name = written.value
        if let stream = source.stream {
            // Only the training inputs stream (a file of them, not a series); the header alone is read.
            guard case .file = spec.data.train.inputs.origin, source.range == spec.data.train.inputs.range else {
                bag.error(.dataFile, "only the training inputs stream; targets, series, validation and test data are read into memory", at: stream.range,
                          help: "remove `stream` here")
                return nil
            }
            guard selection == nil else {
                bag.error(.dataFile, "a streamed .npy file is read row by row whole: `columns` cannot pick among its values", at: stream.range,
                          help: "save the columns the model reads as their own .npy file")
                return nil
            }
            do {
                let path = try FilePolicy.resolve(name, specPath: file.path, allowOutsideRoot: options.allowOutsideRoot)
                dataFiles.append(path)
                let (table, rows) = try DataFiles.npyStream(path, displayName: name, prefetch: source.prefetch)
                streams[name] = rows
                return table
            } catch {
                bag.error(.dataFile, error.message, at: written.range, help: error.help)
                return nil
            }
        }
        let whole: DataTable
        do {
            let path = try FilePolicy.resolve(name, specPath: file.path, allowOutsideRoot: options.allowOutsideRoot)
            if let read = tables[path] {
                whole = read
            } else {
                dataFiles.append(path)
                whole = try DataFiles.read(path, displayName: name)
                tables[path] = whole
            }
        } catch {
            bag.error(.dataFile, error.message, at: written.range, help: error.help)
            return nil
        }
        let indices: [Int]
        switch selection {
        case nil:
            return whole
        case .only(let columns):
            guard let chosen = self.columns(columns, of: whole, name: name) else { return nil }
            indices = chosen
        case .excluding(let columns):
            guard let left = self.columns(columns, of: whole, name: name) else { return nil }
            indices = (0 ..< whole.columns).filter { !left.contains($0) }
            guard !indices.isEmpty else {
                bag.error(.dataFile, "excluding those columns leaves none of \(name)'s \(whole.columns)", at: columns[0].range)
                return nil
            }
        }
        var numbers: [Double?] = [], texts: [String] = []
        for r in 0..<whole.rows {
            for c in indices {
                numbers.append(whole.number(r * whole.columns + c))
                texts.append(whole.texts.isEmpty ? "" : whole.texts[r * whole.columns + c])
            }
        }
        return DataTable(rows: whole.rows, columns: indices.count, numbers: numbers, texts: texts,
                         header: whole.header.map { h in indices.map { h[$0] } }, rowLines: whole.rowLines,
                         columnFields: whole.columnFields.isEmpty ? [] : indices.map { whole.columnFields[$0] }, headerLine: whole.headerLine)
    }

    /// The indices (from 0) of written columns of a table: names, indices and ranges of either, both
    /// ends included. A column named twice, a name the header gives twice, or one it lacks is an error.
    mutating func columns(_ columns: [Located<DataColumn>], of whole: DataTable, name: String) -> [Int]? {
        func index(_ column: DataColumn, at range: SourceRange) -> Int? {
            switch column {
            case .index(let index):
                guard index < whole.columns else {
                    bag.error(.dataFile, "\(name) has \(whole.columns) columns, so there is no column \(index) (counted from 0)", at: range)
                    return nil
                }
                return index
            case .name(let wanted):
                guard let header = whole.header else {
                    bag.error(.dataFile, "\(name) has no header row, so columns must be numbers (from 0)", at: range)
                    return nil
                }
                if header.filter({ $0 == wanted }).count > 1 {
                    bag.error(.dataFile, "\(name)'s header names `\(wanted)` twice, so the column is ambiguous", at: range,
                              help: "give the columns distinct names, or select them by index (from 0)")
                    return nil
                }
                guard let index = header.firstIndex(of: wanted) else {
                    let guess = Suggestions.guess(wanted, among: header, at: range)
                    bag.error(.dataFile, "\(name) has no column `\(wanted)`", at: range,
                              help: guess.help ?? "its columns are " + header.map { "`\($0)`" }.joined(separator: ", "),
                              fixes: guess.fixes)
                    return nil
                }
                return index
            case .range(_, _, let text):
                // A header name that holds `..` is that column.
                if whole.header?.contains(text) == true { return index(.name(text), at: range) }
                return nil
            }
        }
        var indices: [Int] = []
        for column in columns {
            var found: [Int]
            if case .range(let from, let to, let text) = column.value, whole.header?.contains(text) != true {
                guard let a = index(from, at: column.range), let b = index(to, at: column.range) else { return nil }
                guard a <= b else {
                    bag.error(.dataFile, "the range `\(text)` runs backwards: column \(a) comes after column \(b) (counted from 0)", at: column.range,
                              help: "write the first column first")
                    return nil
                }
                found = Array(a ... b)
            } else {
                guard let k = index(column.value, at: column.range) else { return nil }
                found = [k]
            }
            // Reading one column twice is never what a spec means.
            if let twice = found.first(where: indices.contains) {
                let label = whole.header.map { "`\($0[twice])`" } ?? "column \(twice)"
                bag.error(.dataFile, "`columns` names \(label) twice", at: column.range, help: "list each column once")
                return nil
            }
            indices += found
        }
        return indices
    }

    /// A table of numbers only; a text cell is an error naming its row and column.
    mutating func numeric(_ table: DataTable, at value: DataSource) -> DataMatrix? {
        if let i = table.firstText {
            let name = value.fileName?.value ?? "the data"
            let r = i / table.columns, c = i % table.columns
            let text = table.texts.isEmpty ? "" : table.texts[i]
            bag.error(.dataFile, "\(table.place(r, c, name)): \(DataFiles.notANumber(text))",
                      at: value.fileName?.range ?? value.range)
            return nil
        }
        return DataMatrix(rows: table.rows, columns: table.columns, values: table.floats ?? table.numbers.map { Float($0!) })
    }

    /// The training text's vocabulary, checked against the model: classes as many as its characters, and
    /// the windows' targets per position when the output is [context, classes].
    mutating func textVocabulary(_ windows: TextWindows, lastLayer: Layer, loss: Loss) -> [Unicode.Scalar]? {
        if let classes = spec.data.classes {
            bag.error(.unknownKey, "a text's classes are its characters; data.classes cannot name others", at: classes.range,
                      help: "leave data.classes out")
            return nil
        }
        guard loss.isClassification else {
            bag.error(.outputWidth, "a text's targets are characters, classes; \(loss.name) is a regression loss", at: spec.train.loss.nameRange,
                      help: "use cross_entropy")
            return nil
        }
        guard let corpus = corpus(windows.file) else { return nil }
        let vocabulary = corpus.vocabulary
        let shape = lastLayer.outputShape, context = windows.context.value
        textTargetColumns = shape.count >= 2 && shape.dropLast().reduce(1, *) == context ? context : 1
        let classes = shape.count >= 2 && textTargetColumns > 1 ? shape.last! : lastLayer.outputSize
        if vocabulary.count > classes {
            bag.error(.outputWidth, "\(windows.file.value) has \(vocabulary.count) distinct characters, the classes, but \(lastLayer.name) scores \(classes)",
                      at: lastLayer.source.width ?? lastLayer.range, notes: [DiagnosticNote("the text is here", at: windows.file.range)],
                      help: "give the last layer \(vocabulary.count) units")
            return nil
        }
        textVocabulary = vocabulary
        return vocabulary
    }

    /// A corpus read once per file (training and validation may share it).
    var corpora: [String: TextCorpus] = [:]

    mutating func corpus(_ name: Located<String>) -> TextCorpus? {
        do {
            let path = try FilePolicy.resolve(name.value, specPath: file.path, allowOutsideRoot: options.allowOutsideRoot)
            if let read = corpora[path] { return read }
            dataFiles.append(path)
            let corpus = try TextCorpus.read(path, displayName: name.value)
            corpora[path] = corpus
            return corpus
        } catch {
            bag.error(.dataFile, error.message, at: name.range, help: error.help)
            return nil
        }
    }

    /// A series set's windows [rows, window·columns] and their target rows [rows, targets]: the window
    /// starting at row s reads rows s ..< s + window, and its target is row s + window + horizon − 1.
    mutating func series(_ windows: SeriesWindows) -> (inputs: DataTable, targets: DataTable)? {
        guard let table = table(windows.series), let rows = numeric(table, at: windows.series) else { return nil }
        let W = windows.window.value, H = windows.horizon, F = rows.columns
        var targetColumns = Array(0 ..< F)
        if let written = windows.targets {
            guard let chosen = columns(written, of: table, name: "the series") else { return nil }
            targetColumns = chosen
        }
        guard rows.rows >= W + H else {
            bag.error(.dataFile, "the series has \(rows.rows) row\(rows.rows == 1 ? "" : "s"); a window of \(W) and a target \(H) after it need \(W + H)",
                      at: windows.window.range, help: "use a smaller window, or a longer series")
            return nil
        }
        let starts = Swift.stride(from: 0, through: rows.rows - W - H, by: windows.stride)
        guard starts.underestimatedCount.multipliedReportingOverflow(by: W * F + targetColumns.count).partialValue <= TextCorpus.maxValues else {
            bag.error(.dataFile, "the series makes \(starts.underestimatedCount) windows of \(W) rows, more than \(TextCorpus.maxValues) values",
                      at: windows.window.range, help: "set a larger `stride`")
            return nil
        }
        var inputs: [Float] = [], targets: [Float] = []
        for s in starts {
            inputs += rows.values[s * F ..< (s + W) * F]
            let row = (s + W + H - 1) * F
            for c in targetColumns { targets.append(rows.values[row + c]) }
        }
        let count = inputs.count / max(W * F, 1)
        return (DataTable(rows: count, columns: W * F, numbers: [], floats: inputs, texts: [], header: nil),
                DataTable(rows: count, columns: targetColumns.count, numbers: [], floats: targets, texts: [], header: nil))
    }

    /// A text set's windows and the characters after them, in the training text's vocabulary.
    mutating func text(_ windows: TextWindows) -> (inputs: DataTable, targets: DataTable)? {
        guard let vocabulary = textVocabulary, let corpus = corpus(windows.file) else {
            bag.error(.dataFile, "a text set reads characters, so the training set must be a text too", at: windows.file.range,
                      help: "give data.train as `{text: …, context: …}`")
            return nil
        }
        let context = windows.context.value
        let ids: [Float]
        do { ids = try corpus.indices(in: vocabulary, displayName: windows.file.value) } catch {
            bag.error(.dataFile, error.message, at: windows.file.range, help: error.help)
            return nil
        }
        guard ids.count > context else {
            bag.error(.dataFile, "\(windows.file.value) has \(ids.count) characters; a window of \(context) and the character after it need \(context + 1)",
                      at: windows.context.range, help: "use a smaller context, or a longer text")
            return nil
        }
        let rows = TextCorpus.windowStarts(count: ids.count, context: context, stride: windows.stride).underestimatedCount
        guard rows.multipliedReportingOverflow(by: context + textTargetColumns).partialValue <= TextCorpus.maxValues else {
            bag.error(.dataFile, "\(windows.file.value) makes \(rows) windows of \(context) characters, more than \(TextCorpus.maxValues) values",
                      at: windows.context.range, help: "set a larger `stride`, or use a shorter text")
            return nil
        }
        return TextCorpus.windows(ids, context: context, stride: windows.stride, targetColumns: textTargetColumns)
    }

    /// The help for class indices that run from 1 to the output's width: they count from 1, where dnnc's
    /// (and PyTorch's) count from 0.
    func countsFromOne(_ indices: [Float], _ width: Int, _ ignoring: Int?) -> String? {
        let counted = indices.filter { $0 != ignoring.map(Float.init) }
        guard counted.min() == 1, counted.max() == Float(width) else { return nil }
        return "class indices count from 0, and these run from 1 to \(width): subtract 1 from each"
            + (spec.data.classes == nil ? "" : " (data.classes names them in that order, from index 0)")
    }

    /// A binary loss's targets written as two class names: the first (in data.classes, else in sorted
    /// order) is 0, the other 1.
    mutating func binaryLabels(_ table: DataTable, at value: DataSource, classes: inout [String]?) -> DataMatrix? {
        let names = classes ?? Array(Set(table.texts.enumerated().filter { table.number($0.offset) == nil }.map(\.element))).sorted()
        guard names.count == 2 else {
            bag.error(.classOutOfRange, "a binary loss takes two classes, but the targets name \(names.count): " + names.prefix(5).map { "`\($0)`" }.joined(separator: ", "),
                      at: spec.data.classes?.range ?? value.range, help: "use cross_entropy for more classes")
            return nil
        }
        classes = names
        var out: [Float] = []
        for (r, text) in table.texts.enumerated() {
            guard let k = names.firstIndex(of: text) else {
                bag.error(.classOutOfRange, "row \(r + 1): `\(text)` is neither of the classes `\(names[0])` and `\(names[1])`", at: value.rowRange(r),
                          help: Suggestions.didYouMean(text, among: names) ?? "give every row one of the two class names")
                return nil
            }
            out.append(Float(k))
        }
        return DataMatrix(rows: table.rows, columns: 1, values: out)
    }

    /// Class indices (a column, or one per position), or class names mapped to indices by `classes`
    /// (given, or the sorted distinct names); `ignoring` is the loss's ignore_index, which may stand
    /// anywhere.
    mutating func labels(_ table: DataTable, at value: DataSource, classes: inout [String]?, outputWidth: Int,
                         lastLayer: Layer, ignoring: Int?) -> DataMatrix? {
        let isText = table.firstText != nil
        var indices: [Float] = []
        indices.reserveCapacity(table.rows * table.columns)
        // Cell i's row and, with several columns (one per position), its column.
        let C = table.columns
        func place(_ i: Int) -> String { C == 1 ? "row \(i + 1)" : "row \(i / C + 1), column \(i % C + 1)" }
        if isText {
            let names = classes ?? Array(Set(table.texts)).sorted()
            classes = names
            for (r, text) in table.texts.enumerated() {
                guard let index = names.firstIndex(of: text) else {
                    bag.error(.classOutOfRange, "\(place(r)): class `\(text)` is not among data.classes", at: value.range,
                              help: Suggestions.didYouMean(text, among: names) ?? "add it to data.classes")
                    return nil
                }
                indices.append(Float(index))
            }
        } else {
            for r in 0 ..< table.rows * table.columns {
                let v = table.number(r)!
                if let ignoring, v == Double(ignoring) { indices.append(Float(ignoring)); continue }
                guard v >= 0, v == v.rounded(.towardZero) else {
                    bag.error(.classOutOfRange, "\(place(r)): class index \(Format.number(v)) is not a whole number from 0",
                              at: value.rowRange(r / C), help: ignoring == nil ? "to leave padded targets out, set the loss's ignore_index" : nil)
                    return nil
                }
                indices.append(Float(v))
            }
        }
        let classCount = max(outputWidth, classes?.count ?? 0)
        if let r = indices.firstIndex(where: { $0.index(below: outputWidth) == nil && $0 != ignoring.map(Float.init) }) {
            let unitsRange = lastLayer.source.width ?? lastLayer.range
            bag.error(.classOutOfRange,
                      "\(place(r)) is class \(indices[r].wholeNumber.map(String.init) ?? "\(indices[r])"), but \(lastLayer.name) has \(outputWidth) output\(outputWidth == 1 ? "" : "s") (classes 0 to \(outputWidth - 1))",
                      at: value.rowRange(r / C),
                      notes: [DiagnosticNote("the output layer is here", at: unitsRange)],
                      help: countsFromOne(indices, outputWidth, ignoring)
                          ?? indices.max()!.index(below: 1 << 24).map { "give the last layer \(max(classCount, $0 + 1)) units" } ?? "fix the class indices in the data")
            return nil
        }
        return DataMatrix(rows: table.rows, columns: table.columns, values: indices)
    }

    /// Holds out `fraction` of the rows, drawn by the seed's validation stream; a series' last rows (its
    /// latest windows), in time order.
    mutating func split(_ set: Dataset, fraction: Double, at range: SourceRange, inTimeOrder: Bool = false) -> (Dataset, Dataset?) {
        guard let (order, held) = splitOrder(rows: set.inputs.rows, fraction: fraction, at: range, inTimeOrder: inTimeOrder) else { return (set, nil) }
        func take(_ rows: ArraySlice<Int>) -> Dataset {
            Dataset(inputs: set.inputs.rows(rows.sorted()), targets: set.targets.rows(rows.sorted()))
        }
        return (take(order[held...]), take(order[..<held]))
    }

    mutating func checkIndices(_ inputs: DataMatrix, below vocab: Int, at range: SourceRange, layer: Layer) {
        if let bad = inputs.values.withUnsafeBufferPointer({ ModelIR.indexViolation(in: $0, width: inputs.columns, layers: [layer]) }) {
            bag.error(.classOutOfRange, "input " + bad.message(), at: range,
                      notes: [DiagnosticNote("the embedding is here", at: layer.range)], help: "raise vocab, or fix the data")
        }
    }
}

extension DataMatrix {
    /// The given rows, in the given order.
    func rows(_ indices: [Int]) -> DataMatrix {
        var values: [Float] = []
        values.reserveCapacity(indices.count * columns)
        for r in indices { values += self.row(r) }
        return DataMatrix(rows: indices.count, columns: columns, values: values)
    }
}
