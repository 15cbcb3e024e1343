// Pictures and tables: the SVG plots parse as XML with a point per value; the summary counts
// multiply-adds; the graph lists every layer, and Graphviz renders it when it is installed.

import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

/// Counts elements by name in an XML document; nil when it does not parse.
final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var attributes: [String: [[String: String]]] = [:]

    static func count(_ xml: String) -> ElementCounter? {
        let counter = ElementCounter()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = counter
        return parser.parse() ? counter : nil
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        counts[name, default: 0] += 1
        self.attributes[name, default: []].append(attributes)
    }
}

struct ReportTests {
    @Test func theCostCurveIsSVGWithAPointPerEpoch() throws {
        let costs = (0..<137).map { 20 * pow(0.9, Double($0)) } + [0]
        let svg = Plot.costCurve(costs, title: "a <run> & more")
        let parsed = try #require(ElementCounter.count(svg), "the SVG should parse as XML")
        #expect(parsed.counts["svg"] == 1 && parsed.counts["polyline"] == 1)
        let points = try #require(parsed.attributes["polyline"]?.first?["points"]).split(separator: " ")
        #expect(points.count == costs.count)
        // Log scale: equal ratios are equal steps; the cost axis is labelled in decades.
        let ys = points.map { Double($0.split(separator: ",")[1])! }
        #expect(abs((ys[1] - ys[0]) - (ys[2] - ys[1])) < 0.02)
        #expect(svg.contains(">1e1</text>") && svg.contains(">epoch</text>") && svg.contains("cost (log scale)"))
    }

    @Test func theValidationLossIsDrawnBesideTheCost() throws {
        let svg = Plot.costCurve([4, 2, 1, 0.5], validation: [(0, 0.9), (2, 0.4), (3, 0.45)], title: "v")
        let parsed = try #require(ElementCounter.count(svg))
        let lines = try #require(parsed.attributes["polyline"])
        #expect(lines.map { $0["class"] } == ["cost", "validation"])
        #expect(lines[1]["points"]?.split(separator: " ").count == 3)
    }

    @Test func theSweepPlotHasADotPerRunAndAMedianPerVariant() throws {
        let svg = Plot.sweep([("relu", [20, 1e-12, 3e-11, 20]), ("prelu", [1e-12, 2e-12, 5e-13])], title: "sweep")
        let parsed = try #require(ElementCounter.count(svg))
        #expect(parsed.counts["circle"] == 7)
        #expect(parsed.attributes["line"]?.filter { _ in true }.count ?? 0 >= 2)
        #expect(svg.contains(">relu</text>") && svg.contains(">prelu</text>"))
        #expect([20, 1e-12, 3e-11, 20].median == (3e-11 + 20) / 2)
    }

    @Test func theSummaryCountsParametersAndMultiplyAdds() throws {
        let summary = RunReport.summary(try model(baseSpec))
        #expect(summary.contains("  layer  kind   input  output  activation  params  mult-adds\n"))
        #expect(summary.contains("  fc1    dense  [2]    [10]    relu            30         20\n"))
        #expect(summary.contains("  total                                        41         30\n"))
    }

    @Test func theGraphNamesEveryLayerAndGraphvizRendersIt() throws {
        let ir = try model(baseSpec)
        let dot = ModelGraph.render(ir, format: .dot)
        #expect(dot.hasPrefix("digraph \"test\" {\n"))
        #expect(dot.contains("layer0 [label=\"fc1\\ndense [10], relu\\n30 params\"];"))
        #expect(dot.contains("layer1 -> loss [label=\"[1]\"];"))
        let mermaid = ModelGraph.render(ir, format: .mermaid)
        #expect(mermaid.hasPrefix("flowchart TB\n") && mermaid.contains("  layer0 -- \"[10]\" --> layer1\n"))

        // A graph model's edges are its layers' inputs: the residual digits model's skip connections
        // (issue 14 found `graph` drawing it as a chain).
        let path = Repo.path("specs/digits/residual.yaml")
        let residual = try #require(compile(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self), path: path).model)
        let drawn = ModelGraph.render(residual, format: .dot)
        for (index, layer) in residual.layers.enumerated() {
            for source in layer.inputs {
                #expect(drawn.contains("  \(source < 0 ? "input" : "layer\(source)") -> layer\(index) "), "\(layer.name) reads \(source)")
            }
        }
        let sum = try #require(residual.layers.firstIndex { $0.name == "res1.sum" })
        let stem = try #require(residual.layers.firstIndex { $0.name == "stem" })
        #expect(drawn.contains("  layer\(stem) -> layer\(sum) [label=\"[48]\"];"), "the skip connection around res1")
        #expect(drawn.components(separatedBy: " -> ").count - 1 == residual.layers.reduce(0) { $0 + $1.inputs.count } + 1)

        // Graphviz, where installed (.ci/run installs it): the DOT must render to SVG with a node per layer.
        let dotPath = ["/usr/bin/dot", "/usr/local/bin/dot"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let dotPath else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: dotPath)
        process.arguments = ["-Tsvg"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(dot.utf8))
        try input.fileHandleForWriting.close()
        let svg = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let parsed = try #require(ElementCounter.count(svg))
        #expect(parsed.attributes["g"]?.filter { $0["class"] == "node" }.count == ir.layers.count + 2)
    }

    @Test func classProbabilitiesFollowTheOutputActivation() {
        let logits: [Float] = [1, 2, 3]
        let softmax = Metrics.probabilities(logits, after: .identity)
        #expect(abs(softmax.reduce(0, +) - 1) < 1e-6)
        #expect(abs(softmax[2] - 0.66524096) < 1e-6)
        // A softmax layer's outputs are probabilities already; log_softmax's are their logarithms.
        #expect(Metrics.probabilities(softmax, after: .softmax(axis: -1)) == softmax)
        let logs = softmax.map { Float(log(Double($0))) }
        for (p, q) in zip(Metrics.probabilities(logs, after: .logSoftmax(axis: -1)), softmax) { #expect(abs(p - q) < 1e-6) }
    }
}
