// The verified model as a graph for Graphviz (DOT) or Mermaid: the input, each layer with its kind,
// activation and shapes, the loss, and an edge for every tensor that flows between them.

public enum GraphFormat: String, Sendable, CaseIterable {
    case dot, mermaid
}

public enum ModelGraph {
    public static func render(_ model: ModelIR, format: GraphFormat) -> String {
        // Nodes: the input, the layers, the loss; edges carry the shape that flows.
        var nodes: [(id: String, label: String)] = [("input", "input\\n\(RunReport.shape(model.inputShape))")]
        var edges: [(from: String, to: String, label: String)] = []
        var previous = "input", shape = model.inputShape
        for (index, layer) in model.layers.enumerated() {
            let id = "layer\(index)"
            nodes.append((id, "\(layer.name)\\n\(layer.kind.name) \(RunReport.shape(layer.outputShape)), \(layer.activation.name)\\n\(layer.parameterCount) params"))
            edges.append((previous, id, RunReport.shape(shape)))
            previous = id
            shape = layer.outputShape
        }
        nodes.append(("loss", "\(model.loss.name) loss"))
        edges.append((previous, "loss", RunReport.shape(shape)))
        switch format {
        case .dot:
            var out = "digraph \"\(escape(model.name))\" {\n  rankdir=TB;\n  node [shape=box, fontname=\"sans-serif\"];\n"
            for node in nodes { out += "  \(node.id) [label=\"\(escape(node.label))\"];\n" }
            for edge in edges { out += "  \(edge.from) -> \(edge.to) [label=\"\(escape(edge.label))\"];\n" }
            return out + "}\n"
        case .mermaid:
            var out = "flowchart TB\n"
            for node in nodes {
                out += "  \(node.id)[\"\(node.label.replacingOccurrences(of: "\\n", with: "<br/>").replacingOccurrences(of: "\"", with: "#quot;"))\"]\n"
            }
            for edge in edges { out += "  \(edge.from) -- \"\(edge.label)\" --> \(edge.to)\n" }
            return out
        }
    }

    /// Escapes a DOT string's quotes; `\n` stays a DOT line break.
    static func escape(_ s: String) -> String { s.replacingOccurrences(of: "\"", with: "\\\"") }
}
