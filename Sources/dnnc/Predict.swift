// `dnnc predict` and `dnnc evaluate`: a trained checkpoint used on new rows, a batch at a time.

import ArgumentParser
import DNNCore
import Foundation

/// What `predict` and `evaluate` share: the spec, its checkpoint and --force.
struct TrainedModelOptions: ParsableArguments {
    @Argument(help: "The spec file (YAML) the model was trained from.")
    var spec: String

    @Option(help: "The .safetensors file written by `dnnc run --save` (or a checkpoint).")
    var weights: String

    @Flag(help: "Use a checkpoint written for another spec when its tensors have this model's names and shapes.")
    var force = false

    @OptionGroup var input: InputOptions

    /// Compiles the spec (exit 1 on errors) and reads the checkpoint for it (exit 2 when unusable).
    func load() throws -> (ModelIR, Checkpoint) {
        guard let file = readSpec(spec, limit: input.maxSpecSize) else { throw ExitCode(2) }
        let (_, model) = try compileOrExit(file, [], input.compileOptions, warnings: false)
        return (model, try readCheckpoint(weights, for: model, force: force))
    }
}

/// Reads a checkpoint for `model`; a missing or damaged file is exit 2 ("… is not a usable
/// checkpoint"), and so is one that does not fit the model ("cannot <verb> …").
func readCheckpoint(_ path: String, for model: ModelIR, force: Bool, verb: String = "use") throws -> Checkpoint {
    do { try FilePolicy.checkRegular(path, shown: path) } catch { throw Console.fail(error.message) }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw Console.fail("cannot read \(path): no such file or not readable")
    }
    let checkpoint: Checkpoint
    do { checkpoint = try Checkpoint.decode(Array(data)) } catch {
        throw Console.fail("\(path) is not a usable checkpoint: \(error)")
    }
    do { try checkpoint.check(for: model, force: force) } catch {
        throw Console.fail("cannot \(verb) \(path): \(error)")
    }
    return checkpoint
}

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a trained model on new inputs.",
        discussion: """
            Inputs are rows of the model's input values: CSV (a header row is allowed) or .npy, or CSV on \
            standard input; or, for a model of [C, H, W] images, a PNG or JPEG file or a folder of them, \
            which writes a CSV row per image: its path, its class and each class's probability. Outputs are in the targets' original units. A classifier writes the class, \
            and with --proba one probability per class after it. The rows stream through in batches, so a \
            file of any length runs in bounded memory.
            """)

    @OptionGroup var model: TrainedModelOptions

    @Option(help: "The inputs: a .csv or .npy file, - for CSV on standard input, or an image file or folder.")
    var input = "-"

    @Option(help: "Write the outputs to this file (.csv or .npy) instead of CSV on standard output.")
    var output: String?

    @Flag(help: "For a classifier, also write each class's probability.")
    var proba = false

    @Flag(help: "Write the output layer's values as they are (a classifier's scores instead of its class).")
    var raw = false

    @Option(help: "Rows per batch.")
    var batchSize = 1024

    func validate() throws {
        try requireCount(batchSize, "--batch-size", 1 ... 1 << 20)
        if model.spec == "-" && input == "-" {
            throw ValidationError("the spec and the inputs cannot both come from standard input: give --input FILE")
        }
        if let output, !(output.lowercased().hasSuffix(".csv") || output.lowercased().hasSuffix(".npy")) {
            throw ValidationError("--output \(output): give a .csv or .npy file name")
        }
    }

    func run() throws {
        let (ir, checkpoint) = try model.load()
        if proba && raw { throw Console.fail("--proba and --raw exclude each other") }
        // A binary loss with one output: its class (a name when the targets were names) and, with --proba,
        // the probability of class 1. Without names and --proba, the output as before.
        let binary = ProbabilityOfOne(ir.loss).flatMap { ir.outputWidth == 1 && !raw && (proba || ir.classes != nil) ? $0 : nil }
        if proba && !ir.loss.isClassification && binary == nil {
            throw Console.fail("--proba is for classifiers; this model's loss, \(ir.loss.name), is a regression's")
        }
        try checkOutputs([("--output", output)], inputs: [model.spec, model.weights, input] + ir.dataFiles)
        let predictor: Predictor
        do { predictor = try Predictor(model: ir, checkpoint: checkpoint, batch: min(batchSize, 1024)) } catch {
            throw Console.fail("cannot use \(model.weights): \(error)")
        }
        // An image file, or a folder when the model reads images ([1 or 3, H, W]).
        let readsImages = ir.inputShape.count == 3 && (ir.inputShape[0] == 1 || ir.inputShape[0] == 3) && ir.encoder == nil
        if input != "-", ImageFiles.isImageName(input) || readsImages && FileManager.default.isFolder(input) {
            return try predictImages(ir, predictor)
        }
        let reader: RowReader
        do {
            reader = try RowReader(path: input == "-" ? nil : input, displayName: input == "-" ? "<stdin>" : input, width: predictor.inputWidth,
                                   columns: ir.inputColumns, encoder: predictor.encoder)
        } catch {
            throw Console.fail(error.description)
        }
        let classes = predictor.classes ?? []
        let classifier = ir.loss.isClassification && !raw
        // A class per position (ModelIR.positions) of V classes each; one position for most models.
        let P = ir.positions, V = ir.classWidth
        let width = binary != nil ? (proba ? 2 : 1) : classifier ? P * (1 + (proba ? V : 0)) : predictor.outputWidth
        var header: [String] = []
        if binary != nil {
            header = ["class"] + (proba ? ["p_" + (classes.count == 2 ? classes[1] : "1")] : [])
        } else if classifier {
            for position in 0 ..< P {
                let suffix = P == 1 ? "" : "_\(position)"
                header += ["class" + suffix]
                if proba { header += (0 ..< V).map { "p" + suffix + "_" + (($0 < classes.count) ? classes[$0] : String($0)) } }
            }
        } else {
            header = predictor.outputWidth == 1 ? ["prediction"] : (0 ..< predictor.outputWidth).map { "prediction_\($0)" }
        }
        let format: RowWriter.Format = output?.lowercased().hasSuffix(".npy") == true ? .npy : .csv
        let writer: RowWriter
        do { writer = try RowWriter(path: output, format: format, width: width, header: header) } catch {
            throw Console.fail(error.description)
        }
        var rows: [Float] = [], noted = false
        try writeRows(writer) {
            while true {
                let n = try reader.next(maxRows: batchSize, into: &rows)
                if n == 0 { break }
                // (Said once: the first batch that has something to say.)
                if let note = predictor.matchPixels(&rows, readAs: reader.pixelMax, from: input), !noted {
                    Console.error(note)
                    noted = true
                }
                let outputs: [Float]
                do throws(IndexViolation) { outputs = try predictor.outputs(rows, rows: n) } catch {
                    throw DataFileError(message: reader.place(ofBatchRow: error.row, column: error.column) + ": " + error.description,
                                        help: "an embedding's input is a whole number from 0 to vocab − 1")
                }
                if let binary {
                    var out: [Float] = []
                    for r in 0 ..< n {
                        let p = binary.probability(outputs[r])
                        out.append(p > 0.5 ? 1 : 0)
                        if proba { out.append(p) }
                    }
                    try writer.write(out[...]) { column, value in
                        guard column == 0 else { return "\(value)" }
                        return classes.count == 2 ? classes[Int(value)] : String(Int(value))
                    }
                } else if classifier {
                    var out: [Float] = []
                    out.reserveCapacity(n * width)
                    for i in 0 ..< n * P {
                        let row = outputs[i * V ..< (i + 1) * V]
                        var best = row.startIndex
                        for i in row.indices where row[i] > row[best] { best = i }
                        out.append(Float(best - row.startIndex))
                        if proba { out += predictor.probabilities(row) }
                    }
                    try writer.write(out[...]) { column, value in
                        guard column % (width / P) == 0, let k = value.index(below: V) else { return "\(value)" }
                        return k < classes.count ? classes[k] : String(k)
                    }
                } else {
                    try writer.write(outputs[...]) { _, value in "\(value)" }
                }
            }
            try writer.finish()
            predictor.encoder?.unseenNote(reader.unseen).map(Console.error)
        }
    }
}

extension Predict {
    /// `--input` an image file, or a folder of them at any depth: each read as training read its images
    /// (ImageFiles.swift), a batch at a time, into one CSV row: its path, then a classifier's class and
    /// every class's probability, or the outputs.
    func predictImages(_ ir: ModelIR, _ predictor: Predictor) throws {
        let shape = ir.inputShape
        guard shape.count == 3, shape[0] == 1 || shape[0] == 3, ir.encoder == nil else {
            throw Console.fail("\(input) is an image, but the model reads \(shape), not [1 or 3, height, width] images")
        }
        if output?.lowercased().hasSuffix(".npy") == true { throw Console.fail("predictions for images are CSV (path, class, probabilities): give --output a .csv name") }
        let folder = FileManager.default.isFolder(input)
        let found = folder ? ImageSet.images(under: input) : (read: [input], unread: [])
        let inside = { (relative: String) in (input.hasSuffix("/") ? input : input + "/") + relative }
        let files = folder ? found.read.map(inside) : [input]
        let unread = found.unread.map(inside)
        guard !files.isEmpty else {
            throw Console.fail("\(input) holds no images (.png, .jpg or .jpeg files)" + (unread.isEmpty ? "" : "; " + ImageSet.unreadSummary(unread, in: input)))
        }
        if !unread.isEmpty {
            Console.error("dnnc: warning: " + ImageSet.unreadSummary(unread, in: input) + ": skipped, with no row in the predictions; convert them to PNG or JPEG")
        }
        let classes = predictor.classes ?? [], V = ir.classWidth
        let classifier = ir.loss.isClassification && ir.positions == 1 && !raw
        let header = ["path"] + (classifier ? ["class"] + (0 ..< V).map { "p_" + ($0 < classes.count ? classes[$0] : String($0)) }
                                            : predictor.outputWidth == 1 ? ["prediction"] : (0 ..< predictor.outputWidth).map { "prediction_\($0)" })
        let writer: RowWriter
        do { writer = try RowWriter(path: output, format: .csv, width: header.count, header: header.map(Escape.csv)) } catch {
            throw Console.fail(error.description)
        }
        try writeRows(writer) {
            for start in stride(from: 0, to: files.count, by: batchSize) {
                let batch = Array(files[start ..< min(start + batchSize, files.count)])
                var entries: [ImageEntry] = []
                for path in batch {
                    guard let canonical = FilePolicy.canonical(path) else { throw DataFileError(message: "cannot read \(path): no such file", help: nil) }
                    try FilePolicy.checkRegular(canonical, shown: path)
                    entries.append(ImageEntry(path: canonical, shown: path, target: .missing))
                }
                let read = ImageSet.read(ImageListing(entries: entries, classes: nil), shape: shape)
                if let failure = read.failures.first { throw DataFileError(message: "\(failure.shown): \(failure.message)", help: nil) }
                let n = batch.count
                var pixels = read.inputs.floats!
                if let note = predictor.matchPixels(&pixels, readAs: ImageFiles.pixelMax, from: input), start == 0 { Console.error(note) }
                let outputs = try predictor.outputs(pixels, rows: n)
                var out: [Float] = []
                for r in 0 ..< n {
                    out.append(Float(r))
                    let row = outputs[r * predictor.outputWidth ..< (r + 1) * predictor.outputWidth]
                    if classifier {
                        var best = row.startIndex
                        for i in row.indices where row[i] > row[best] { best = i }
                        out.append(Float(best - row.startIndex))
                        out += predictor.probabilities(row)
                    } else {
                        out += row
                    }
                }
                try writer.write(out[...]) { column, value in
                    if column == 0 { return Escape.csv(batch[Int(value)]) }
                    if column == 1, classifier { return Escape.csv(Int(value) < classes.count ? classes[Int(value)] : String(Int(value))) }
                    return "\(value)"
                }
            }
            try writer.finish()
        }
    }

    /// Runs `body`, which writes rows to `writer`: an error abandons the file (nothing is left half
    /// written) and ends the command with the error's message.
    func writeRows(_ writer: RowWriter, _ body: () throws -> Void) throws {
        do { try body() } catch {
            writer.abandon()
            switch error {
            case let error as DataFileError: throw Console.fail(error.description)
            case let error as CheckpointError: throw Console.fail(error.description)
            case let error as IndexViolation: throw Console.fail(error.description)
            default: throw error
            }
        }
    }
}

extension FileManager {
    func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The loss and metrics of a trained model on labelled data.",
        discussion: """
            --data holds each row's inputs followed by its targets (CSV or .npy), or only the inputs when \
            --targets names the targets' file; for a model of images, --data may be a folder with one \
            subfolder of images per class, as training reads one. A classifier's target is its class index or name. The loss \
            is computed as training computes it (on normalized targets, penalties included); the metrics \
            are in the targets' units, as `dnnc run` logs them.
            """)

    @OptionGroup var model: TrainedModelOptions

    @Option(help: "The labelled rows: a .csv or .npy file, or for a model of images a folder of class subfolders.")
    var data: String

    @Option(help: "The targets, when --data holds only the inputs.")
    var targets: String?

    @Option(help: "text, or json: one JSON object.")
    var format: EvaluateFormat = .text

    enum EvaluateFormat: String, ExpressibleByArgument { case text, json }

    func run() throws {
        let (ir, checkpoint) = try model.load()
        let predictor: Predictor
        do { predictor = try Predictor(model: ir, checkpoint: checkpoint) } catch {
            throw Console.fail("cannot use \(model.weights): \(error)")
        }
        let I = predictor.inputWidth, T = ir.targetWidth
        var names: [String: Int] = [:]
        let classifier = ir.loss.targetsAreIndices(columns: T, positions: ir.positions), V = ir.classWidth
        let ignored = ir.loss.ignoreIndex.map(Float.init)
        // Class names stand for their index: a classifier's, or a binary loss's two.
        if classifier || (ir.loss.isBinary && predictor.classes?.count == 2) {
            for (k, name) in (predictor.classes ?? []).enumerated() { names[name] = k }
        }
        var inputs: [Float] = [], labels: [Float] = []
        // The largest value a pixel read has (1 for image files, 255 for a uint8 .npy), nil for other data.
        var pixelMax: Float? = nil
        // Checks one batch where it was read: embedding indices in the inputs, class indices in the labels.
        func check(_ x: [Float], _ y: [Float], rows n: Int, inputsFrom xr: RowReader, labelsFrom yr: RowReader,
                   labelColumn yOffset: Int) throws(DataFileError) {
            for r in 0 ..< n {
                let row = Array(x[r * I ..< (r + 1) * I])
                if let bad = ir.indexViolation(in: row) {
                    throw DataFileError(message: xr.place(ofBatchRow: r, column: bad.column) + ": " + bad.description,
                                        help: "an embedding's input is a whole number from 0 to vocab − 1")
                }
                if classifier, let c = (0 ..< T).first(where: { y[r * T + $0].index(below: V) == nil && y[r * T + $0] != ignored }) {
                    let label = y[r * T + c]
                    throw DataFileError(message: yr.place(ofBatchRow: r, column: yOffset + c) + ": the class \(Format.number(Double(label))) is not one of the model's classes 0 to \(V - 1)",
                                        help: (predictor.classes?.isEmpty == false ? "give a class name (" + predictor.classes!.prefix(10).joined(separator: ", ") + ") or its index" : "give a class index") + " in each row")
                }
            }
        }
        let readsImages = ir.inputShape.count == 3 && (ir.inputShape[0] == 1 || ir.inputShape[0] == 3) && ir.encoder == nil
        do throws(DataFileError) {
            if readsImages, FileManager.default.isFolder(data) {
                // A folder of class subfolders, as training reads one: each subfolder's name is its images' class.
                guard targets == nil else { throw DataFileError(message: "--targets is for rows; a folder's classes are its subfolders' names", help: nil) }
                let listing = try ImageSet.folder(data, shown: data, root: nil)
                if !listing.unread.isEmpty {
                    Console.error("dnnc: warning: " + ImageSet.unreadSummary(listing.unread, in: data) + ": skipped, so they are not evaluated; convert them to PNG or JPEG")
                }
                let read = ImageSet.read(listing, shape: ir.inputShape)
                if let failure = read.failures.first { throw DataFileError(message: "\(failure.shown): \(failure.message)", help: nil) }
                for entry in listing.entries {
                    guard case .text(let name) = entry.target, let k = names[name] else {
                        throw DataFileError(message: "\(entry.shown): its folder's name is not one of the model's classes (" + (predictor.classes ?? []).prefix(10).joined(separator: ", ") + ")",
                                            help: "name each subfolder after a class the model was trained on")
                    }
                    labels.append(Float(k))
                }
                inputs = read.inputs.floats ?? []
                pixelMax = ImageFiles.pixelMax
            } else if let targets {
                let x = try RowReader(path: data, displayName: data, width: I, columns: ir.inputColumns, encoder: predictor.encoder)
                pixelMax = x.pixelMax
                defer { predictor.encoder?.unseenNote(x.unseen).map(Console.error) }
                let y = try RowReader(path: targets, displayName: targets, width: T, names: names.isEmpty ? [:] : Dictionary(uniqueKeysWithValues: (0 ..< T).map { ($0, names) }),
                                      columns: ir.targetColumns)
                var bx: [Float] = [], by: [Float] = []
                while true {
                    let n = try x.next(maxRows: 4096, into: &bx), m = try y.next(maxRows: n == 0 ? 1 : n, into: &by)
                    guard n == m else {
                        let (short, long, rows) = n > m ? (targets, data, y.rowsRead) : (data, targets, x.rowsRead)
                        throw DataFileError(message: "\(short) ends after \(rows) row\(rows == 1 ? "" : "s"), but \(long) has more", help: "give one target row per input row")
                    }
                    if n == 0 { break }
                    try check(bx, by, rows: n, inputsFrom: x, labelsFrom: y, labelColumn: 0)
                    inputs += bx
                    labels += by
                }
            } else {
                // A header names the inputs and the targets both; without one, the inputs come first.
                let both = ir.inputColumns.flatMap { inputs in ir.targetColumns.map { inputs + $0 } }
                // The targets' place in the row read: after the input columns (before they are encoded).
                let C = predictor.encoder?.columns.count ?? I
                let reader = try RowReader(path: data, displayName: data, width: I + T, names: names.isEmpty ? [:] : Dictionary(uniqueKeysWithValues: (C ..< C + T).map { ($0, names) }),
                                           columns: both, encoder: predictor.encoder)
                pixelMax = reader.pixelMax
                defer { predictor.encoder?.unseenNote(reader.unseen).map(Console.error) }
                var batch: [Float] = [], bx: [Float] = [], by: [Float] = []
                while true {
                    let n = try reader.next(maxRows: 4096, into: &batch)
                    if n == 0 { break }
                    bx.removeAll(keepingCapacity: true)
                    by.removeAll(keepingCapacity: true)
                    for r in 0 ..< n {
                        bx += batch[r * (I + T) ..< r * (I + T) + I]
                        by += batch[r * (I + T) + I ..< (r + 1) * (I + T)]
                    }
                    try check(bx, by, rows: n, inputsFrom: reader, labelsFrom: reader, labelColumn: I)
                    inputs += bx
                    labels += by
                }
            }
        } catch {
            throw Console.fail(error.description)
        }
        let rows = inputs.count / I
        guard rows > 0 else { throw Console.fail("\(data) holds no rows") }
        predictor.matchPixels(&inputs, readAs: pixelMax, from: data).map(Console.error)
        let loss: Double
        let outputs: DataMatrix
        do {
            loss = try predictor.loss(inputs: inputs, targets: labels, rows: rows)
            outputs = DataMatrix(rows: rows, columns: predictor.outputWidth, values: try predictor.outputs(inputs, rows: rows))
        } catch {
            throw Console.fail("\(data): " + error.message())
        }
        let metrics = Metrics.measure(ir, predictions: outputs, targets: DataMatrix(rows: rows, columns: T, values: labels))
        switch format {
        case .text:
            var text = "rows: \(rows)\nloss (\(ir.loss.name)): \(Format.c("%.6g", loss))\n"
            for m in metrics { text += "\(m.name): \(Format.c("%.6g", m.value))\n" }
            Console.out(text)
        case .json:
            let pairs: [(String, JSONValue)] = [("rows", .int(rows)), ("loss", .number(loss))] + metrics.map { ($0.name, .number($0.value)) }
            Console.out(JSONValue.object(pairs).compact + "\n")
        }
    }
}
