// The `dnnc` command line: argument parsing, file reading and printing only; the work is in DNNCore.

import ArgumentParser
import DNNCore
import Foundation

@main
struct DNNC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dnnc",
        abstract: "A declarative model-spec compiler for neural networks.",
        discussion: "Exit codes: 0 success, 1 the spec has errors, 2 usage or I/O errors.",
        version: DNNCVersion.current,
        subcommands: [Run.self, Check.self, SweepCommand.self, Summary.self, Graph.self, Resolve.self, Explain.self, Schema.self, Reference.self]
    )

    /// Parses and runs a command, mapping every failure to dnnc's exit codes: a spec error is 1
    /// (thrown as ExitCode(1) after the diagnostics are printed), usage and I/O errors are 2.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            Console.error(fullMessage(for: error))
            Foundation.exit(2)
        }
    }
}

/// Writes to the standard streams without buffering surprises between them.
enum Console {
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }

    /// `dnnc: error: message` on stderr, then exit 2.
    static func fail(_ message: String) -> ExitCode {
        error("dnnc: error: \(message)")
        return ExitCode(2)
    }
}

/// Reads a spec from a path, or from stdin for `-`; nil after printing an I/O error.
func readSpec(_ path: String) -> SourceFile? {
    if path == "-" {
        return SourceFile(path: "<stdin>", bytes: Array(FileHandle.standardInput.readDataToEndOfFile()))
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        Console.error("dnnc: error: cannot read \(path): no such file")
        return nil
    }
    guard !isDirectory.boolValue else {
        Console.error("dnnc: error: cannot read \(path): it is a directory")
        return nil
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        Console.error("dnnc: error: cannot read \(path): permission denied or unreadable")
        return nil
    }
    return SourceFile(path: path, bytes: Array(data))
}

/// Prints a file's diagnostics in source order to stderr, coloured on a terminal.
func printDiagnostics(_ result: CompileResult) {
    let color = ColorChoice.auto.enabled(for: STDERR_FILENO)
    for diagnostic in result.diagnostics.sorted {
        Console.error(DiagnosticRenderer.text(diagnostic, in: result.file, color: color))
    }
}
