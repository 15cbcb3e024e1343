// The code paths the fuzzers drive, one function each: bytes in, no result out. A crash, a trap or a
// hang here is the bug. They live in the library so that `swift test` replays the committed corpus
// and every input that ever crashed, without the fuzzer (fuzz/README.md).

public enum FuzzTargets {
    /// The spec front end as `dnnc check` runs it: compile, lint, render every diagnostic.
    public static func spec(_ bytes: [UInt8]) {
        let result = Compiler.compile(SourceFile(path: "fuzz.yaml", bytes: bytes))
        for diagnostic in result.diagnostics.all {
            _ = DiagnosticRenderer.text(diagnostic, in: result.file)
        }
        _ = DiagnosticFormats.sarif([result])
        if result.model != nil { _ = Resolver.resolve(result) }
    }

    /// The CSV reader.
    public static func csv(_ bytes: [UInt8]) {
        _ = try? DataFiles.csv(bytes, "fuzz.csv")
    }

    /// The .npy reader.
    public static func npy(_ bytes: [UInt8]) {
        _ = try? DataFiles.npy(bytes, "fuzz.npy")
    }

    /// The checkpoint reader.
    public static func checkpoint(_ bytes: [UInt8]) {
        _ = try? SafeTensors.decode(bytes)
    }
}
