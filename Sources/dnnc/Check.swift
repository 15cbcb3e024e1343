// `dnnc check FILE...`: everything but training; every file is checked, whatever fails.

import ArgumentParser
import DNNCore

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check specs without training: YAML, keys, types, values, shapes and data.")

    @Argument(help: "Spec files, or - for standard input.")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one spec file") }
    }

    func run() throws {
        var errors = 0, warnings = 0, unreadable = 0
        for path in files {
            guard let file = readSpec(path) else {
                unreadable += 1
                continue
            }
            let result = Compiler.compile(file)
            printDiagnostics(result)
            errors += result.diagnostics.all.filter { $0.severity == .error }.count
            warnings += result.diagnostics.all.filter { $0.severity == .warning }.count
        }
        let checked = files.count - unreadable
        Console.error("checked \(checked) file\(checked == 1 ? "" : "s"): \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s")")
        if unreadable > 0 { throw ExitCode(2) }
        if errors > 0 { throw ExitCode(1) }
    }
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
        abstract: "Print the reference of every key of the spec language, in Markdown.")

    func run() throws {
        Console.out(SchemaExport.reference())
    }
}
