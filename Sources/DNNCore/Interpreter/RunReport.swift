// What `dnnc run` prints: the model summary, a line per logged epoch, and the predictions, as text
// or as JSON lines. Pure functions of their inputs, so the same run prints the same bytes.

import Foundation

public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case jsonl
}

public enum RunReport {
    /// The model summary: per layer name, kind, output shape, activation and parameter count; the total.
    public static func summary(_ model: ModelIR) -> String {
        var rows: [[String]] = [["layer", "kind", "output", "activation", "params"]]
        for layer in model.layers {
            rows.append([layer.name, layer.kind.name, shape(layer.outputShape), layer.activation.name,
                         String(layer.parameterCount)])
        }
        rows.append(["total", "", "", "", String(model.parameterCount)])
        var out = "model \(model.name): input \(shape(model.inputShape)), \(model.layers.count) layer\(model.layers.count == 1 ? "" : "s"), seed \(model.seed)\n"
        out += table(rows, rightAligned: [4])
        let s = model.schedule
        out += "train: \(model.train.inputs.rows) samples, batch \(min(s.batchSize, model.train.inputs.rows)), \(s.epochs) epochs, "
        out += "\(optimizerDescription(model.optimizer)), loss \(lossDescription(model.loss))"
        out += s.shuffle ? ", shuffled\n" : "\n"
        return out
    }

    public static func logLine(_ log: EpochLog, format: LogFormat, epochs: Int) -> String {
        switch format {
        case .text:
            let width = String(max(epochs - 1, 0)).count
            let epoch = String(repeating: " ", count: max(0, width - String(log.epoch).count)) + String(log.epoch)
            return "epoch \(epoch)  cost \(Format.c("%#.6g", log.cost))\n"
        case .jsonl:
            return JSONValue.object([("epoch", .int(log.epoch)), ("cost", .float(Float(log.cost))),
                                     ("lr", .number(log.learningRate))]).compact + "\n"
        }
    }

    /// The predictions for the first `limit` rows, beside their inputs and targets.
    public static func predictions(inputs: DataMatrix, predictions: DataMatrix, targets: DataMatrix,
                                   format: LogFormat, limit: Int = 20) -> String {
        switch format {
        case .jsonl:
            let rows = (0..<predictions.rows).map { r in JSONValue.array(predictions.row(r).map { .float($0) }) }
            return JSONValue.object([("predictions", .array(rows))]).compact + "\n"
        case .text:
            let shown = min(limit, predictions.rows)
            var rows: [[String]] = [["input", "prediction", "target"]]
            for r in 0..<shown {
                rows.append([vector(inputs.row(r)), vector(predictions.row(r)), vector(targets.row(r))])
            }
            var out = "predictions (\(shown) of \(predictions.rows) rows):\n"
            out += table(rows, rightAligned: [])
            return out
        }
    }

    static func vector<C: Collection>(_ values: C) -> String where C.Element == Float {
        "[" + values.map { Format.c("%.6g", Double($0)) }.joined(separator: ", ") + "]"
    }

    static func shape(_ dims: [Int]) -> String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }

    static func optimizerDescription(_ o: Optimizer) -> String {
        switch o {
        case .sgd(let lr, let momentum, let nesterov):
            var s = "sgd lr \(Format.number(lr))"
            if momentum != 0 { s += " momentum \(Format.number(momentum))" + (nesterov ? " nesterov" : "") }
            return s
        case .adam(let lr, let b1, let b2, let eps):
            return "adam lr \(Format.number(lr)) betas (\(Format.number(b1)), \(Format.number(b2))) eps \(Format.number(eps))"
        }
    }

    static func lossDescription(_ l: Loss) -> String {
        switch l {
        case .mse: "mse"
        case .sse: "sse"
        case .mae: "mae"
        case .huber(let delta): "huber delta \(Format.number(Double(delta)))"
        }
    }

    /// Columns padded to their widest cell, two spaces apart, indented by two.
    static func table(_ rows: [[String]], rightAligned: Set<Int>) -> String {
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
}
