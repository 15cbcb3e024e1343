// What `dnnc run` prints: the model summary, a line per logged epoch, and the predictions, as text
// or as JSON lines. Pure functions of their inputs, so the same run prints the same bytes.

import Foundation
import DNNSyntax
import DNNModel
import DNNCheckpoint

public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case jsonl
}

public enum RunReport {
    /// The model summary, as Keras's model.summary(): per layer its name, kind, input and output
    /// shapes, activation, parameters and multiply-adds per sample; then the totals.
    public static func summary(_ model: ModelIR) -> String {
        var rows: [[String]] = [["layer", "kind", "input", "output", "activation", "params", "mult-adds"]]
        let steps = model.plan.steps
        for step in steps {
            let layer = step.layer
            rows.append([Format.printable(layer.name), layer.kind.name, shape(step.reads.first?.shape ?? []), shape(layer.outputShape),
                         layer.activation.name, String(layer.parameterCount), String(step.multiplyAdds)])
        }
        rows.append(["total", "", "", "", "", String(model.parameterCount), String(steps.reduce(0) { $0 + $1.multiplyAdds })])
        var out = "model \(Format.printable(model.name)): input \(shape(model.inputShape)), \(model.layers.count) layer\(model.layers.count == 1 ? "" : "s"), seed \(model.seed)\n"
        out += table(rows, rightAligned: [5, 6])
        let s = model.schedule
        out += "train: \(model.train.inputs.rows) samples, batch \(min(s.batchSize, model.train.inputs.rows)), \(s.epochs) epochs, "
        out += "\(optimizerDescription(model.optimizer)), loss \(model.loss.summary)"
        out += s.shuffle ? ", shuffled\n" : "\n"
        return out
    }

    /// `epoch N  cost C`, with the layers that have dead units; or one JSON object with every layer's
    /// health when the trainer watched it (grammar/README.md documents the fields).
    public static func logLine(_ log: EpochLog, format: LogFormat, epochs: Int) -> String {
        switch format {
        case .text:
            let width = String(max(epochs - 1, 0)).count
            let epoch = String(repeating: " ", count: max(0, width - String(log.epoch).count)) + String(log.epoch)
            let dead = log.layers.filter { $0.dead > 0 }.map { "\($0.name): \($0.dead)/\($0.units) units dead" }
                + log.layers.flatMap { layer in layer.stuck.map { "\(layer.name): \($0.description)" } }
            var line = "epoch \(epoch)  cost \(Format.c("%#.6g", log.cost))"
            if let validation = log.validationLoss { line += "  val_loss \(Format.c("%#.6g", validation))" }
            for metric in log.metrics { line += "  \(metric.name) \(Format.c("%.4g", metric.value))" }
            return line + (dead.isEmpty ? "" : "  (" + dead.joined(separator: ", ") + ")") + "\n"
        case .jsonl:
            var fields: [(String, JSONValue)] = [("epoch", .int(log.epoch)), ("cost", .float(Float(log.cost))),
                                                 ("lr", .number(log.learningRate))]
            if let validation = log.validationLoss { fields.append(("val_loss", .float(Float(validation)))) }
            for metric in log.metrics { fields.append((metric.name, .number(metric.value))) }
            if !log.layers.isEmpty {
                fields.append(("layers", .array(log.layers.map { layer in
                    .object([("name", .string(layer.name)), ("units", .int(layer.units)), ("dead", .int(layer.dead)),
                             ("grad_norm", .float(Float(layer.gradientNorm))), ("weight_norm", .float(Float(layer.weightNorm))),
                             ("update_ratio", .float(Float(layer.updateRatio)))]
                            + (layer.stuck.isEmpty ? [] : [("stuck", .array(layer.stuck.map { .string($0.description) }))]))
                })))
            }
            return JSONValue.object(fields).compact + "\n"
        }
    }

    /// Warnings for layers whose gradients vanish or explode in a logged epoch, at the layer in the
    /// spec; `firstCost` is the first logged epoch's cost, against which a loss counts as converged
    /// (LayerHealth.vanishes).
    public static func healthDiagnostics(_ log: EpochLog, firstCost: Double, model: ModelIR? = nil) -> [(layer: String, diagnostic: Diagnostic)] {
        gradientDiagnostics(log, firstCost: firstCost, model: model) + log.layers.flatMap { layer in
            let range = model?.layers.first { $0.name == layer.name }?.range ?? .none
            return layer.stuck.map { part in
                switch part.kind {
                case .gate:
                    (layer.name + " " + part.part, Diagnostic(.saturatedGate,
                        "epoch \(log.epoch): the \(part.part) of layer `\(layer.name)` is \(part.state) for every training sample: it no longer depends on its input and passes almost no gradient",
                        at: range, help: "normalize the layer's inputs, or lower the learning rate"))
                case .head:
                    (layer.name + " " + part.part, Diagnostic(.collapsedHead,
                        "epoch \(log.epoch): \(part.part) of layer `\(layer.name)` is \(part.state) for every query of every training sample",
                        at: range, help: "give the sequence positions (position_embedding) and keys that differ; fewer heads may do"))
                }
            }
        }
    }

    /// Vanishing or exploding gradients, at most one per layer.
    static func gradientDiagnostics(_ log: EpochLog, firstCost: Double, model: ModelIR?) -> [(layer: String, diagnostic: Diagnostic)] {
        log.layers.compactMap { layer in
            let range = model?.layers.first { $0.name == layer.name }?.range ?? .none
            if layer.vanishes(cost: log.cost, firstCost: firstCost) {
                return (layer.name, Diagnostic(.vanishingGradients,
                                  "epoch \(log.epoch): the gradients of layer `\(layer.name)` vanish: norm \(Format.c("%.3g", layer.gradientNorm)) against weights of norm \(Format.c("%.3g", layer.weightNorm)) (below \(Format.number(LayerHealth.vanishingRatio)) of them)",
                                  at: range))
            }
            if layer.explodes {
                return (layer.name, Diagnostic(.explodingGradients,
                                  "epoch \(log.epoch): the gradients of layer `\(layer.name)` explode: each step moves its parameters by \(Format.c("%.3g", layer.updateRatio)) times their size",
                                  at: range, help: "lower the learning rate"))
            }
            return nil
        }
    }

    /// The health warnings as `dnnc run` prints them, one line each, with the layer they are about.
    public static func healthWarnings(_ log: EpochLog, firstCost: Double, model: ModelIR? = nil) -> [(layer: String, text: String)] {
        healthDiagnostics(log, firstCost: firstCost, model: model).map { ($0.layer, line($0.diagnostic)) }
    }

    /// A diagnostic of a run on one line: `warning: message; help`.
    public static func line(_ d: Diagnostic) -> String {
        "\(d.severity.rawValue): \(d.message)" + (d.help.map { "; \($0)" } ?? "")
    }

    /// The error of a run that reached a non-finite value, at the layer it came from (the output layer
    /// for the loss).
    public static func divergence(_ fault: Fault, model: ModelIR) -> Diagnostic {
        let range = model.layers.first { $0.name == fault.layer }?.range ?? model.layers.last?.range ?? .none
        return Diagnostic(.trainingDiverged, "training diverged: \(fault.description)", at: range,
                          help: "lower the learning rate, or normalize the inputs and targets")
    }

    /// The predictions for the first `limit` rows, beside their inputs and targets. For a classifier
    /// (`classes` given), the predicted class with its probability, and the target class; with a class
    /// per position (`positions` > 1), the predicted and the target class of every position.
    /// `predictions(n, body)` hands the first n rows' predictions (every row's for nil) to `body` in
    /// order, in one piece or a batch at a time (Trainer.trainingPredictions): jsonl's record of every
    /// row's outputs is written as they come, a few thousand rows at a time, so that neither it nor the
    /// outputs are ever held whole (1.4 million rows of 10 classes made a string of 170 MB).
    public static func predictions(inputs: DataMatrix, predictions: (_ upTo: Int?, _ body: (DataMatrix) -> Void) -> Void, targets: DataMatrix,
                                   format: LogFormat, classes: [String]? = nil, outputActivation: Activation = .identity,
                                   positions: Int = 1, binary: ProbabilityOfOne? = nil, limit: Int = 20,
                                   names: [String]? = nil, write: (String) -> Void) {
        switch format {
        case .jsonl:
            // {"predictions":[[…],…]}, written value by value: a tree of JSONValues for every output of
            // every row would take gigabytes for a language model's [rows, positions · classes].
            var out = "{\"predictions\":[", first = true
            // The batches are written as `predictions` hands them over; Swift lets a closure that calls the
            // non-escaping `write` go to `predictions` only this way.
            withoutActuallyEscaping(write) { write in predictions(nil) { batch in
                for r in 0 ..< batch.rows {
                    out += first ? "[" : ",["
                    first = false
                    for (k, v) in batch.row(r).enumerated() { out += (k == 0 ? "" : ",") + JSONValue.float(v).compact }
                    out += "]"
                    if out.utf8.count >= 1 << 16 {
                        write(out)
                        out = ""
                    }
                }
            } }
            write(out + "]}\n")
        case .text:
            let shown = min(limit, inputs.rows)
            var rows: [[String]] = [["input", "prediction", "target"]]
            // A sample is shown by its name where it has one (an image's path), else by its values.
            func sample(_ r: Int) -> String {
                if let names, r < names.count { return Format.printable(names[r]) }
                return inputs.isStreamed ? "row \(r + 1)" : vector(inputs.row(r))
            }
            var r = 0
            predictions(shown) { batch in
                for b in 0 ..< batch.rows where r < shown {
                    defer { r += 1 }
                    let row = batch.row(b)
                    if let classes, let binary, classes.count == 2 {
                        // A binary loss's one output: the probability of the second class.
                        let p = binary.probability(row.first!)
                        let one = p > 0.5
                        rows.append([sample(r), "\(name(one ? 1 : 0, classes)) (p \(Format.c("%.3f", Double(one ? p : 1 - p))))",
                                     name(Int(targets.values[r]), classes)])
                    } else if let classes, positions > 1 {
                        let V = batch.columns / positions
                        let best = (0 ..< positions).map { i in Format.printable(name(Metrics.argmax(row.dropFirst(i * V).prefix(V)), classes)) }
                        let labels = targets.row(r).map { $0.index(below: classes.count).map { Format.printable(name($0, classes)) } ?? Format.number(Double($0)) }
                        rows.append([sample(r), words(best), words(labels)])
                    } else if let classes {
                        let probabilities = Metrics.probabilities(row, after: outputActivation)
                        let best = Metrics.argmax(row)
                        let label = targets.columns == 1 ? Int(targets.values[r]) : Metrics.argmax(targets.row(r))
                        rows.append([sample(r), "\(name(best, classes)) (p \(Format.c("%.3f", Double(probabilities[best]))))",
                                     name(label, classes)])
                    } else {
                        rows.append([sample(r), vector(row), vector(targets.row(r))])
                    }
                }
            }
            write("predictions (\(shown) of \(inputs.rows) rows):\n" + table(rows, rightAligned: []))
        }
    }

    /// The test set's loss and metrics: `test (N rows): loss …  accuracy …`, or `{"test": {...}}`.
    public static func testLine(rows: Int, loss: Double, metrics: [Metric], format: LogFormat) -> String {
        switch format {
        case .text:
            var line = "test (\(rows) row\(rows == 1 ? "" : "s")): loss \(Format.c("%#.6g", loss))"
            for metric in metrics { line += "  \(metric.name) \(Format.c("%.4g", metric.value))" }
            return line + "\n"
        case .jsonl:
            let fields: [(String, JSONValue)] = [("rows", .int(rows)), ("loss", .float(Float(loss)))] + metrics.map { ($0.name, .number($0.value)) }
            return JSONValue.object([("test", .object(fields))]).compact + "\n"
        }
    }

    static func name(_ index: Int, _ classes: [String]) -> String { index < classes.count ? classes[index] : String(index) }

    /// `[a, b, c]`, or the first six and the count, as `vector` shows numbers.
    static func words(_ values: [String]) -> String { listed(count: values.count) { values[$0] } }

    /// `[1, 2, 3]`, or for long rows the first six values and the count: `[0, 0, 5, 13, 9, 1, … 64 values]`.
    static func vector<C: Collection>(_ values: C) -> String where C.Element == Float {
        let head = Array(values.prefix(8))
        return listed(count: values.count) { Format.c("%.6g", Double(head[$0])) }
    }

    /// `count` items as `[a, b, c]`, or past 8 the first six and the count; `item(i)` writes the i-th shown.
    static func listed(count: Int, _ item: (Int) -> String) -> String {
        let shown = (0 ..< (count > 8 ? 6 : count)).map(item)
        return "[" + shown.joined(separator: ", ") + (count > 8 ? ", … \(count) values" : "") + "]"
    }

    package static func shape(_ dims: [Int]) -> String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }

    static func optimizerDescription(_ o: Optimizer) -> String {
        var s = "\(o.name) lr \(Format.number(o.lr))" + o.rule.describe(o)
        if o.weightDecay != 0 { s += " weight_decay \(Format.number(o.weightDecay))" }
        return s
    }

    /// Columns padded to their widest cell, two spaces apart, indented by two.
    package static func table(_ rows: [[String]], rightAligned: Set<Int>) -> String {
        let widths = rows[0].indices.map { c in rows.map { $0[c].count }.max()! }
        var out = ""
        for row in rows {
            var cells: [String] = []
            for (c, cell) in row.enumerated() {
                let pad = String(repeating: " ", count: widths[c] - cell.count)
                cells.append(rightAligned.contains(c) ? pad + cell : cell + pad)
            }
            var line = "  " + cells.joined(separator: "  ")
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }

    /// `epoch 1234/5000 [#####...............]  25%  cost 0.0123  ETA 0:03  8123 steps/s`
    public static func progressLine(epoch: Int, epochs: Int, cost: Double, seconds: Double, steps: Int) -> String {
        let done = Double(epoch + 1) / Double(max(epochs, 1))
        let filled = Int((done * 20).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled)
        let eta = done > 0 ? seconds / done - seconds : 0
        let rate = seconds > 0 ? Double(steps) / seconds : 0
        let width = String(epochs).count
        let epochText = String(repeating: " ", count: max(0, width - String(epoch + 1).count)) + String(epoch + 1)
        return "epoch \(epochText)/\(epochs) [\(bar)] \(Format.c("%3.0f", done * 100))%  cost \(Format.c("%#.6g", cost))"
            + "  ETA \(clock(eta))  \(Format.c("%.0f", rate)) steps/s"
    }

    /// m:ss, or h:mm:ss from an hour.
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        let (h, m, r) = (s / 3600, (s % 3600) / 60, s % 60)
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, r) : String(format: "%d:%02d", m, r)
    }
}

/// The diagnostics of a run as it trains, as `dnnc run` reports them and `dnnc explain` shows them:
/// each layer's first gradient warning (vanishing or exploding), and the error of a run that diverged.
public struct TrainingDiagnostics {
    let model: ModelIR
    private var warned = Set<String>()

    public init(model: ModelIR) { self.model = model }

    /// The warnings of a logged epoch about layers not warned about before; `firstCost` is the
    /// first epoch's cost.
    public mutating func after(_ log: EpochLog, firstCost: Double) -> [Diagnostic] {
        RunReport.healthDiagnostics(log, firstCost: firstCost, model: model).filter { warned.insert($0.layer).inserted }.map(\.diagnostic)
    }

    /// The error a run ended with, if it reached a non-finite value.
    public func end(_ result: TrainingResult) -> Diagnostic? {
        guard case .nonFinite(let fault) = result.end else { return nil }
        return RunReport.divergence(fault, model: model)
    }
}
