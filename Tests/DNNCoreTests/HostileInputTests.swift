// Hostile and broken input to the front end, the data readers and the checkpoint reader: each is a
// located error, never a crash, a hang or an unbounded allocation.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

func compileBytes(_ bytes: [UInt8], options: CompileOptions = CompileOptions()) -> CompileResult {
    Compiler.compile(SourceFile(path: "hostile.yaml", bytes: bytes), options: options)
}

/// The only diagnostic's code and position.
func onlyError(_ result: CompileResult) -> (DiagnosticCode, Int, Int)? {
    guard let d = result.diagnostics.all.first else { return nil }
    return (d.code, d.range.start.line, d.range.start.column)
}

struct EncodingTests {
    @Test func utf16IsRefusedAtTheStart() {
        let result = compileBytes([0xFF, 0xFE] + Array("d\0n\0".utf8))
        #expect(onlyError(result)! == (.encoding, 1, 1))
    }

    @Test func invalidBytesArePlacedByLineAndColumn() {
        let result = compileBytes(Array("dnnc: 1\nna".utf8) + [0xC3] + Array("me: x\n".utf8))
        #expect(onlyError(result)! == (.encoding, 2, 3))
        #expect(result.diagnostics.all[0].message == "byte 10 (0xC3) is not valid UTF-8")
        // Overlong forms and surrogates are not UTF-8 either.
        #expect(onlyError(compileBytes(Array("a: ".utf8) + [0xC0, 0x80]))! == (.encoding, 1, 4))
        #expect(onlyError(compileBytes(Array("a: ".utf8) + [0xED, 0xA0, 0x80]))! == (.encoding, 1, 4))
    }

    @Test func nulAndControlCharactersAreRefused() {
        #expect(onlyError(compileBytes(Array("dnnc: 1\nseed: 1\0\n".utf8)))! == (.encoding, 2, 8))
        #expect(onlyError(compileBytes(Array("dnnc: 1\r\nname: \"a\u{1B}b\"\r\n".utf8)))! == (.encoding, 2, 9))
        #expect(onlyError(compileBytes(Array("dnnc: 1\nname: é\u{85}\n".utf8)))! == (.encoding, 2, 8))
        #expect(compileBytes(Array("dnnc: 1\nname: \"tab\there\"\n".utf8)).diagnostics.all.allSatisfy { $0.code != .encoding })
    }

    @Test func aByteOrderMarkIsAllowed() throws {
        let result = compileBytes([0xEF, 0xBB, 0xBF] + Array(baseSpec.utf8))
        #expect(result.model != nil, "\(result.diagnostics.all.map(\.message))")
    }
}

struct LimitTests {
    @Test func deepNestingStopsAtTheLimitWithoutReadingOn() {
        // libyaml's time grows with the square of the depth; the builder stops at depth 65.
        let result = compileBytes(Array(repeating: UInt8(ascii: "["), count: 200_000))
        #expect(onlyError(result)?.0 == .nestingTooDeep)
    }

    @Test func nodeCountAndSpecSizeAreBounded() {
        let many = "dnnc: 1\nx: [" + String(repeating: "0,", count: 300_000) + "0]\n"
        #expect(onlyError(compileBytes(Array(many.utf8)))?.0 == .tooManyNodes)
        var limits = YAMLLimits()
        limits.maxSpecBytes = 100
        #expect(onlyError(compileBytes(Array(baseSpec.utf8), options: CompileOptions(limits: limits)))! == (.specTooLarge, 1, 1))
    }

    @Test func aliasBombsAreStoppedByTheBudget() {
        var text = "a0: &a0 [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]\n"
        for k in 1...9 { text += "a\(k): &a\(k) [" + Array(repeating: "*a\(k - 1)", count: 10).joined(separator: ", ") + "]\n" }
        #expect(onlyError(compileBytes(Array(text.utf8)))?.0 == .aliasBudget)
    }

    @Test func mergeKeysAreRefused() {
        expectDiagnostic(spec(replacing: "{units: 1, name: fc2}", with: "{<<: {units: 1}, name: fc2}"), .mergeKey, at: "<<", onLineWith: "fc2")
    }

    @Test func numbersOnlyInYAML12CoreForms() {
        expectDiagnostic(spec(replacing: "seed: 3", with: "seed: 0755"), .invalidNumber, at: "0755", onLineWith: "seed")
        #expect(compile(spec(replacing: "seed: 3", with: "seed: 0755")).diagnostics.all[0].help == "write 755, or 0o755 for an octal number")
        #expect(compile(spec(replacing: "seed: 3", with: "seed: 0o17")).model?.seed == 15)
        for (text, help) in [("1_000", "YAML 1.2 numbers have no `_` separators; write 1000"),
                             ("1:30", "`1:30` is a YAML 1.1 base-60 number; YAML 1.2 reads it as text. Write the value in decimal"),
                             ("0x1p3", "hexadecimal floats are not YAML numbers; write the value in decimal")] {
            let result = compile(spec(replacing: "seed: 3", with: "seed: \(text)"))
            #expect(result.diagnostics.all.first?.code == .wrongType)
            #expect(result.diagnostics.all.first?.help == help)
        }
        for text in [".nan", ".inf", "1e999"] {
            expectDiagnostic(spec(replacing: "lr: 0.01", with: "lr: \(text)"), .invalidNumber, at: text, onLineWith: "lr")
        }
        expectDiagnostic(spec(replacing: "[6, 7]", with: "[6, .nan]"), .invalidNumber, at: ".nan", onLineWith: "inputs")
    }
}

struct FilePolicyTests {
    /// A project (a folder with .git) holding a spec and a data file, and a file outside it.
    static func project() throws -> (root: URL, outside: URL) {
        let base = try temporaryFolderForTests()
        let root = base.appendingPathComponent("project")
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("specs"), withIntermediateDirectories: true)
        try "0,1\n1,0\n".write(to: root.appendingPathComponent("specs/x.csv"), atomically: true, encoding: .utf8)
        let outside = base.appendingPathComponent("secret.csv")
        try "0,1\n1,0\n".write(to: outside, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("specs/link.csv").path,
                                                   withDestinationPath: outside.path)
        return (root, outside)
    }

    func compileIn(_ root: URL, inputs: String, allow: Bool = false) -> CompileResult {
        let text = """
            dnnc: 1
            data: {train: {inputs: \(inputs), targets: [[1], [0]]}}
            model: {input: [2], layers: [dense: {units: 1}]}
            train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
            """
        return Compiler.compile(SourceFile(path: root.appendingPathComponent("specs/s.yaml").path, text: text),
                                options: CompileOptions(allowOutsideRoot: allow))
    }

    @Test func dataStaysInsideTheProject() throws {
        let (root, outside) = try Self.project()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        #expect(compileIn(root, inputs: "{file: x.csv}").model != nil)
        for (inputs, start) in [("{file: \(outside.path)}", "`\(outside.path)` is an absolute path"),
                                ("{file: ../../secret.csv}", "`../../secret.csv` leads to"),
                                ("{file: link.csv}", "`link.csv` leads to")] {
            let result = compileIn(root, inputs: inputs)
            #expect(result.diagnostics.all.first?.code == .dataFile)
            #expect(result.diagnostics.all.first?.message.hasPrefix(start) == true, "\(result.diagnostics.all.first?.message ?? "")")
            #expect(compileIn(root, inputs: inputs, allow: true).model != nil, "--allow-outside-root lets \(inputs) through")
        }
    }

    @Test func onlyRegularFilesAreRead() throws {
        let (root, _) = try Self.project()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let fifo = root.appendingPathComponent("specs/pipe.csv").path
        #expect(mkfifo(fifo, 0o644) == 0)
        let result = compileIn(root, inputs: "{file: pipe.csv}")
        #expect(result.diagnostics.all.first?.message == "cannot read pipe.csv: it is a FIFO, not a regular file")
        try FileManager.default.createDirectory(atPath: root.appendingPathComponent("specs/dir.csv").path, withIntermediateDirectories: true)
        #expect(compileIn(root, inputs: "{file: dir.csv}").diagnostics.all.first?.message == "cannot read dir.csv: it is a directory, not a regular file")
    }
}

func temporaryFolderForTests() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dnnc-hostile-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

struct CheckpointReaderTests {
    static let good = SafeTensors.encode([("a", Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6]))])

    func message(_ bytes: [UInt8]) -> String? {
        do {
            _ = try SafeTensors.decode(bytes)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func aChecksumCatchesAFlippedBit() {
        var damaged = Self.good
        damaged[damaged.count - 3] ^= 0x10
        #expect(message(damaged)?.hasPrefix("the data does not match its checksum") == true)
        #expect(message(Self.good) == nil)
    }

    @Test func aChecksumCatchesAChangedMetadataValue() throws {
        let bytes = SafeTensors.encode([("w", Tensor(shape: [1], values: [1]))], metadata: ["dnnc_input_normalization": "{\"shift\":[8.18]}"])
        #expect(message(bytes) == nil)
        // 8.18 → 8.19 inside the header's JSON, which still parses.
        var damaged = bytes
        let at = try #require((0 ..< bytes.count - 4).first { Array(bytes[$0 ..< $0 + 4]) == Array("8.18".utf8) })
        damaged[at + 3] = UInt8(ascii: "9")
        #expect(message(damaged)?.hasPrefix("its metadata does not match its checksum") == true)
    }

    @Test func headersThatLieAreRefusedBeforeAllocating() {
        var huge = Self.good
        for k in 0..<8 { huge[k] = 0xFF }
        #expect(message(huge)?.hasPrefix("the header length") == true)
        let header = Array(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,24]}}"#.utf8)
        var lying: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { lying += $0 }
        lying += header + [UInt8](repeating: 0, count: 24)
        #expect(message(lying) == "tensor `a` has shape [4611686018427387904, 4] but 24 bytes of data")
        #expect(message(Array(Self.good.prefix(7))) == "the file is too short to be safetensors")
    }

    @Test func nonFiniteWeightsAreRefusedOnLoad() throws {
        let ir = try model(baseSpec)
        let network = Trainer(model: ir).network
        var tensors = try SafeTensors.decode(SafeTensors.encode(network.checkpointTensors()))
        tensors["fc1.weight"]!.values[3] = .nan
        #expect(throws: CheckpointError.self) { try network.load(tensors) }
    }

    @Test func anAbsurdLearningRateStopsWithinTheStep() throws {
        let ir = try model(spec(replacing: "lr: 0.01", with: "lr: 1e30"))
        let result = Trainer(model: ir).train { _ in }
        guard case .nonFinite(let fault) = result.end else {
            Issue.record("expected a non-finite stop, got \(result.end)")
            return
        }
        #expect(fault.epoch == 0 && fault.step <= 2)
        #expect(result.lastFiniteParameters.allSatisfy { $0.isFinite })
    }
}

struct DiagnosticLimitTests {
    @Test func aFileKeepsItsFirstDiagnosticsAndCountsTheRest() {
        let text = "dnnc: 1\n" + (0..<1000).map { "unknown\($0): 1\n" }.joined()
        let result = compile(text)
        #expect(result.diagnostics.all.count == DiagnosticBag.limit)
        #expect(result.diagnostics.all.count + result.diagnostics.omittedErrors == 1003, "1000 unknown keys and 3 missing sections")
        #expect(result.diagnostics.hasErrors && result.model == nil)
    }
}
