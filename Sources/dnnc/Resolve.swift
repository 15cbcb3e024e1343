// `dnnc resolve SPEC`: the spec with every default written out and marked `# default`.

import ArgumentParser
import DNNCore

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a spec with every default made explicit, each marked `# default`.")

    @Argument(help: "The spec file (YAML), or - for standard input.")
    var spec: String

    @OptionGroup var input: InputOptions

    func run() throws {
        guard let file = readSpec(spec, limit: input.maxSpecSize) else { throw ExitCode(2) }
        let result = Compiler.compile(file, options: input.compileOptions)
        guard let resolved = Resolver.resolve(result) else {
            printDiagnostics(result)
            throw ExitCode(1)
        }
        Console.out(resolved)
    }
}
