// The verified model as a graph for Graphviz (DOT) or Mermaid: the input, each layer with its kind,
// activation and shapes, the loss, and an edge for every tensor that flows between them.

import DNNSyntax
import DNNModel
import DNNCheckpoint
import DNNRuntime

public enum GraphFormat: String, Sendable, CaseIterable {
    case dot, mermaid
}

public enum ModelGraph {
    public static func render(_ model: ModelIR, format: GraphFormat) -> String {
        // Nodes: the input, the layers, the loss; edges carry the shape that flows. A label is lines of
        // text, each escaped for the target language when it is written.
        var nodes: [(id: String, lines: [String])] = [("input", ["input", RunReport.shape(model.inputShape)])]
        // An edge for every value a step of the execution plan reads: skip connections and
        // concatenations are drawn as the interpreter runs them, not as a chain.
        let plan = model.plan
        var edges: [(from: String, to: String, label: String)] = []
        func id(_ value: ExecutionPlan.Value) -> String {
            switch value {
            case .input: "input"
            case .output(let s): "layer\(s)"
            }
        }
        for (s, step) in plan.steps.enumerated() {
            let layer = step.layer
            nodes.append((id(.output(of: s)), [layer.name, "\(layer.kind.name) \(RunReport.shape(layer.outputShape)), \(layer.activation.name)", "\(layer.parameterCount) params"]))
            for read in step.reads { edges.append((id(read.value), id(.output(of: s)), RunReport.shape(read.shape))) }
        }
        nodes.append(("loss", ["\(model.loss.name) loss"]))
        edges.append((id(plan.output), "loss", RunReport.shape(plan.steps.last?.layer.outputShape ?? model.inputShape)))
        switch format {
        case .dot:
            var out = "digraph \"\(Escape.dot(model.name))\" {\n  rankdir=TB;\n  node [shape=box, fontname=\"sans-serif\"];\n"
            for node in nodes { out += "  \(node.id) [label=\"\(node.lines.map(Escape.dot).joined(separator: "\\n"))\"];\n" }
            for edge in edges { out += "  \(edge.from) -> \(edge.to) [label=\"\(Escape.dot(edge.label))\"];\n" }
            return out + "}\n"
        case .mermaid:
            var out = "flowchart TB\n"
            for node in nodes { out += "  \(node.id)[\"\(node.lines.map(Escape.mermaid).joined(separator: "<br/>"))\"]\n" }
            for edge in edges { out += "  \(edge.from) -- \"\(Escape.mermaid(edge.label))\" --> \(edge.to)\n" }
            return out
        }
    }
}
