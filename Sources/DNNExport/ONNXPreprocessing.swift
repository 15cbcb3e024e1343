// The input encoding (DNNModel/Data/TabularEncoder.swift) as ONNX nodes, so that a deployment feeds raw
// rows: one graph input per column, named by its header, [N, 1]: float for a numeric column (NaN for an
// empty cell), string for a binary or categorical one (numbers written as Format.number writes them, "" for
// an empty cell). Strings become numbers through ai.onnx.ml's LabelEncoder (opset 2); a category the
// training rows never held goes to the unknown slot. The encoded columns are concatenated into `input`,
// which the normalization and the layers read as they read a plain model's input.

import DNNCore
import Foundation

extension GraphBuilder {
    /// The graph's names that a column's input may not take.
    static let reservedNames: Set<String> = ["input", "output", "probabilities", "class", "label", "class_names"]

    /// Adds the column inputs and the nodes that encode them; returns `input`, [N, encoder.width].
    mutating func encodeInputs(_ encoder: TabularEncoder, inputShape: [Int]) throws(ExportError) -> String {
        scope = "encoding"
        var parts: [String] = []
        for column in encoder.columns {
            guard !Self.reservedNames.contains(column.name), !column.name.contains("/") else {
                throw ExportError("the input column `\(column.name)` would name an ONNX input the graph uses itself; rename the column (its header) to export the model")
            }
            switch column.kind {
            case .numeric:
                graph.input.append(Self.valueInfo(column.name, elementType: .float, shape: [nil, 1]))
                var x = column.name
                let isMissing = node("IsNaN", [x], name: "encoding/\(column.name)")
                if let fill = column.fill {
                    let value = constant(fresh("encoding/\(column.name)/fill"), [Float(fill)], shape: [1])
                    x = node("Where", [isMissing, value, x], name: "encoding/\(column.name)")
                }
                parts.append(x)
                if column.indicator { parts.append(node("Cast", [isMissing], name: "encoding/\(column.name)", [Self.attribute("to", int: 1)])) }
            case .binary, .categorical:
                graph.input.append(Self.valueInfo(column.name, elementType: .string, shape: [nil, 1]))
                let K = column.categories.count
                var keys = column.categories
                // An empty cell: the fill (a binary column's may be a fraction, its mean), else
                // (categorical) the unknown slot.
                var fill: [Double] = []
                if let value = column.fill, !keys.contains("") {
                    keys.append("")
                    fill = [value]
                }
                if column.kind == .binary {
                    // 0 or 1; a value the training rows never held (or an empty cell without a fill) is NaN.
                    parts.append(labelEncoder(column.name, keys: keys, values: ([0, 1] + fill).map(Float.init), default: .nan))
                } else {
                    let slot = labelEncoder(column.name, keys: keys, values: (Array(0 ..< K) + fill.map(Int.init)).map(Int64.init), default: Int64(K))
                    if column.embedding != nil {
                        // The slot itself, which the model's column_embedding looks up.
                        parts.append(node("Cast", [slot], name: "encoding/\(column.name)", [Self.attribute("to", int: 1)]))
                    } else {
                        let slots = int64s(fresh("encoding/\(column.name)/slots"), Array(0 ... Int64(K)))
                        let hot = node("Equal", [slot, slots], name: "encoding/\(column.name)")
                        parts.append(node("Cast", [hot], name: "encoding/\(column.name)", [Self.attribute("to", int: 1)]))
                    }
                }
                if column.indicator {
                    parts.append(labelEncoder(column.name, keys: [""], values: [Float(1)], default: 0))
                }
            }
        }
        let flat = parts.count == 1 ? node("Identity", parts, name: "encoding", output: inputShape.count == 1 ? "input" : nil)
                                    : node("Concat", parts, name: "encoding", output: inputShape.count == 1 ? "input" : nil, [Self.attribute("axis", int: 1)])
        if inputShape.count > 1 {
            let shape = int64s(fresh("encoding/shape"), [-1] + inputShape.map(Int64.init))
            node("Reshape", [flat, shape], name: "encoding", output: "input")
        }
        return "input"
    }

    /// ai.onnx.ml LabelEncoder from a string column to int64 codes.
    mutating func labelEncoder(_ column: String, keys: [String], values: [Int64], default: Int64) -> String {
        node("LabelEncoder", [column], name: "encoding/\(column)", domain: "ai.onnx.ml",
             [Self.attribute("keys_strings", strings: keys), Self.attribute("values_int64s", ints: values.map(Int.init)),
              Self.attribute("default_int64", int: Int(`default`))])
    }

    /// ai.onnx.ml LabelEncoder from a string column to float codes.
    mutating func labelEncoder(_ column: String, keys: [String], values: [Float], default: Float) -> String {
        node("LabelEncoder", [column], name: "encoding/\(column)", domain: "ai.onnx.ml",
             [Self.attribute("keys_strings", strings: keys), Self.attribute("values_floats", floats: values),
              Self.attribute("default_float", float: `default`)])
    }
}
