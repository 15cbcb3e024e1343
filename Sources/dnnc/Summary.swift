// `dnnc summary` and `dnnc graph`: the verified model without training, as a table or as a graph.

import ArgumentParser
import DNNCore

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the per-layer table of a spec's model (shapes, parameters, multiply-adds) without training.")

    @Argument(help: "The spec file (YAML), or - for standard input.")
    var spec: String

    @OptionGroup var overrides: SpecOverrides
    @OptionGroup var input: InputOptions

    func run() throws {
        guard let file = readSpec(spec, limit: input.maxSpecSize) else { throw ExitCode(2) }
        let (_, model) = try compileOrExit(file, try overrides.parsed(), input.compileOptions)
        Console.out(RunReport.summary(model))
    }
}

struct Graph: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a spec's model as a graph: Graphviz DOT or Mermaid.")

    @Argument(help: "The spec file (YAML), or - for standard input.")
    var spec: String

    @Option(help: "dot or mermaid.")
    var format: GraphFormat = .dot

    @OptionGroup var overrides: SpecOverrides
    @OptionGroup var input: InputOptions

    func run() throws {
        guard let file = readSpec(spec, limit: input.maxSpecSize) else { throw ExitCode(2) }
        let (_, model) = try compileOrExit(file, try overrides.parsed(), input.compileOptions)
        Console.out(ModelGraph.render(model, format: format))
    }
}

extension GraphFormat: ExpressibleByArgument {}
