// `dnnc check PATH...`: everything but training, for CI; every file is checked, whatever fails.
// Findings go to stdout in the chosen format, the summary line and I/O errors to stderr.

import ArgumentParser
import DNNCore
import Foundation

enum CheckFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif, github
}

enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
    case auto, always, never

    /// Whether to colour text written to `stream` (a file descriptor): `auto` colours a terminal,
    /// unless NO_COLOR is set or TERM is dumb.
    func enabled(for stream: Int32) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .auto:
            let env = ProcessInfo.processInfo.environment
            return isatty(stream) == 1 && env["NO_COLOR"] == nil && env["TERM"] != "dumb"
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check specs without training: YAML, keys, types, values, shapes, data and lint rules.",
        discussion: """
            Exit codes: 0 no finding at or above --fail-on, 1 findings, 2 usage or I/O errors (after \
            every other file was checked). A folder is searched recursively: every *.yaml and *.yml \
            directly in it, and those deeper down that have a top-level `dnnc:` key.

            A `.dnncignore` file in the folder or above it (up to the git top level) excludes files \
            and folders, one pattern a line as in .gitignore: `broken-*.yaml` or `fixtures/` match a \
            name at any depth, `tests/corpus` a path from the ignore file's folder, `**` any folders, \
            `!pattern` re-includes; `#` starts a comment. Files and folders named on the command line \
            are always checked.
            """)

    @Argument(help: "Spec files, folders, or - for standard input.")
    var paths: [String]

    @Option(help: "text, json, sarif or github (the default under GitHub Actions, else text).")
    var format: CheckFormat?

    @Option(help: "The lowest severity that makes the exit code 1: error or warning.")
    var failOn: Severity = .error

    @Option(help: "Colour the text format: auto (on a terminal), always or never.")
    var color: ColorChoice = .auto

    @Flag(help: "Print only the summary line.")
    var quiet = false

    @OptionGroup var input: InputOptions

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one spec file or folder") }
    }

    func run() throws {
        var ioErrors = 0
        var results: [CompileResult] = []
        for path in paths {
            for file in specFiles(path, ioErrors: &ioErrors) {
                guard let source = readSpec(file, limit: input.maxSpecSize) else {
                    ioErrors += 1
                    continue
                }
                results.append(Compiler.compile(source, options: input.compileOptions))
            }
        }
        if !quiet { Console.out(render(results)) }
        let all = results.flatMap(\.diagnostics.all)
        let errors = all.filter { $0.severity == .error }.count + results.reduce(0) { $0 + $1.diagnostics.omittedErrors }
        let warnings = all.count - all.filter { $0.severity == .error }.count + results.reduce(0) { $0 + $1.diagnostics.omittedWarnings }
        Console.error("checked \(plural(results.count, "file")): \(plural(errors, "error")), \(plural(warnings, "warning"))")
        if ioErrors > 0 { throw ExitCode(2) }
        if all.contains(where: { $0.severity >= failOn }) || results.contains(where: { $0.diagnostics.omittedErrors > 0 }) {
            throw ExitCode(1)
        }
    }

    /// The files a path stands for: itself, or the specs found under a folder.
    private func specFiles(_ path: String, ioErrors: inout Int) -> [String] {
        var isDirectory: ObjCBool = false
        guard path != "-", FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
              isDirectory.boolValue else { return [path] }
        let found = SpecDiscovery.specs(under: path)
        if found.isEmpty {
            Console.error("dnnc: error: no spec files (*.yaml, *.yml) under \(path)")
            ioErrors += 1
        }
        return found
    }

    private func render(_ results: [CompileResult]) -> String {
        let format = self.format ?? (ProcessInfo.processInfo.environment["GITHUB_ACTIONS"] == "true" ? .github : .text)
        switch format {
        case .text:
            let colored = color.enabled(for: STDOUT_FILENO)
            return results.map { result in
                result.diagnostics.sorted.map { DiagnosticRenderer.text($0, in: result.file, color: colored) + "\n" }.joined()
                    + (result.model?.dataSummary ?? []).map { "\(result.file.path): data: \(Format.printable($0))\n" }.joined()
                    + (result.diagnostics.omitted > 0
                        ? "\(result.file.path): \(result.diagnostics.omitted) more diagnostic\(result.diagnostics.omitted == 1 ? "" : "s") not shown (dnnc shows the first \(DiagnosticBag.limit) of a file)\n\n"
                        : "")
            }.joined()
        case .json: return DiagnosticFormats.json(results)
        case .sarif: return DiagnosticFormats.sarif(results)
        case .github: return DiagnosticFormats.github(results)
        }
    }
}

extension Severity: ExpressibleByArgument {}

func plural(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the JSON Schema (draft 2020-12) of the spec language, for editors.")

    func run() throws {
        Console.out(SchemaExport.jsonSchema().pretty + "\n")
    }
}

struct Reference: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the reference of the spec language, or of its diagnostics, in Markdown.")

    @Flag(help: "Print the reference of every diagnostic code, with examples, instead.")
    var diagnostics = false

    func run() throws {
        Console.out(diagnostics ? ExplanationDocs.markdown() : SchemaExport.reference())
    }
}
