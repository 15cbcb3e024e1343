// The `dnnc` command line: argument parsing, file reading and printing only; the work is in DNNCore.

import ArgumentParser
import DNNCore
import Foundation

@main
struct DNNC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dnnc",
        abstract: "A declarative model-spec compiler for neural networks.",
        discussion: """
            Exit codes: 0 success, 1 the spec has errors, 2 usage or I/O errors, 3 training failed (a \
            non-finite value, or a dead network with --fail-on-dead), 130 stopped by SIGINT (Ctrl-C), \
            143 stopped by SIGTERM.
            """,
        version: DNNCVersion.current,
        subcommands: [Run.self, Predict.self, Evaluate.self, Generate.self, Export.self, Check.self, SweepCommand.self, Summary.self, Graph.self, Resolve.self, Explain.self, Schema.self, Reference.self, SaveLoop.self, Compare.self, LSP.self]
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

/// What every command that reads specs may be told about reading them.
struct InputOptions: ParsableArguments {
    @Option(help: "The largest spec, in bytes, that dnnc reads (default 1 MiB).")
    var maxSpecSize: Int = YAMLLimits().maxSpecBytes

    @Flag(help: "Let a spec read data files outside its project (the git top level, or its folder).")
    var allowOutsideRoot = false

    var compileOptions: CompileOptions {
        var limits = YAMLLimits()
        limits.maxSpecBytes = maxSpecSize
        return CompileOptions(limits: limits, allowOutsideRoot: allowOutsideRoot)
    }

    func validate() throws {
        try requireCount(maxSpecSize, "--max-spec-size", 1 ... DataFiles.maxBytes)
    }
}

/// One rule for every count given on the command line: it lies in its range, or the command stops
/// with a usage error that names the option and the range (exit 2), before any work.
func requireCount(_ value: Int?, _ option: String, _ range: ClosedRange<Int>) throws {
    guard let value, !range.contains(value) else { return }
    throw ValidationError("\(option) must be from \(range.lowerBound) to \(range.upperBound), got \(value)")
}

/// Reads a spec from a path, or from stdin for `-`, at most `limit + 1` bytes (the parser reports a
/// spec over the limit); nil after printing an I/O error. Only regular files are read, so a FIFO or
/// a device cannot block or flood dnnc.
func readSpec(_ path: String, limit: Int = YAMLLimits().maxSpecBytes) -> SourceFile? {
    func bounded(_ handle: FileHandle) -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count <= limit, let chunk = try? handle.read(upToCount: min(1 << 16, limit + 1 - bytes.count)), !chunk.isEmpty {
            bytes += chunk
        }
        return bytes
    }
    if path == "-" {
        return SourceFile(path: "<stdin>", bytes: bounded(FileHandle.standardInput))
    }
    guard FileManager.default.fileExists(atPath: path) else {
        Console.error("dnnc: error: cannot read \(path): no such file")
        return nil
    }
    do {
        try FilePolicy.checkRegular(path, shown: path)
    } catch {
        Console.error("dnnc: error: \(error.message)")
        return nil
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
        Console.error("dnnc: error: cannot read \(path): permission denied or unreadable")
        return nil
    }
    defer { try? handle.close() }
    return SourceFile(path: path, bytes: bounded(handle))
}

/// Prints a file's diagnostics in source order to stderr, coloured on a terminal; errors only unless
/// `warnings` (commands that use a trained model leave the spec's lint to `check` and `run`).
func printDiagnostics(_ result: CompileResult, warnings: Bool = true) {
    let color = ColorChoice.auto.enabled(for: STDERR_FILENO)
    for diagnostic in result.diagnostics.sorted where warnings || diagnostic.severity == .error {
        Console.error(DiagnosticRenderer.text(diagnostic, in: result.file, color: color))
    }
}
