// Hostile input, round two (issue 13): each class of failure is tested at the mechanism that closes
// it, with the example that was found and with others of its kind.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

/// The .npy header grammar: every malformed header is refused with a message, none traps, none is
/// half-read.
struct NpyHeaderGrammarTests {
    static func parse(_ text: String) -> Result<NpyHeader, DataFileError> {
        Result { () throws(DataFileError) in try NpyHeader.parse(text, file: "x.npy") }
    }

    @Test func numpysOwnHeadersParse() throws {
        for (text, shape) in [("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", [3, 2]),
                              ("{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }      \n", [4]),
                              ("{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": ()}", []),
                              ("{'shape':(0,5),'fortran_order':False,'descr':'<f4'}", [0, 5])] {
            #expect(try Self.parse(text).get().shape == shape, "\(text)")
        }
    }

    @Test(arguments: [
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (-3, 2), }", "negative dimension"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': )3, 2(, }", "expected"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2L), }", "after dimension 1"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (3), }", "a number rather than a tuple"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 2), }", "larger than"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), 'extra': 'x'}", "only descr"),
        ("{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (3,)}", "twice"),
        ("{'descr': '<f4', 'shape': (3,)}", "fortran_order"),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (3,)} trailing", "the end of the header"),
        ("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3,)}", "True, False"),
        ("", "expected `{`"),
    ])
    func malformedHeadersAreRefused(_ text: String, _ expected: String) {
        guard case .failure(let error) = Self.parse(text) else { Issue.record("accepted: \(text)"); return }
        #expect(error.message.contains(expected), "\(error.message)")
    }

    /// The header as read from a whole file: a negative row count no longer reads as an empty file.
    @Test func aNegativeRowCountIsAnErrorNotAnEmptyFile() {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 2), }"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        bytes += [UInt8](repeating: 0, count: 8)
        #expect(throws: DataFileError.self) { try DataFiles.npy(bytes, "x.npy") }
        #expect(throws: DataFileError.self) { try DataFiles.npyHeader(bytes, "x.npy", fileSize: nil) }
    }
}

/// Values used as indices: one rule, compared as floats, never converted before the check.
struct IndexRuleTests {
    @Test func onlyWholeNumbersInRangeAreIndices() {
        #expect(Float(2).index(below: 3) == 2)
        for bad: Float in [3, -1, 2.5, 1e30, .infinity, -.infinity, .nan, Float(Int64.max)] {
            #expect(bad.index(below: 3) == nil, "\(bad)")
        }
        #expect(Double(9.223372036854775807e18).index(below: Int.max) == nil)
    }

    @Test func embeddingInputsOutsideTheVocabularyAreFoundAtEveryEntryPoint() throws {
        let text = spec(replacing: "    - dense: {units: 10, activation: relu, name: fc1}", with: "    - embedding: {vocab: 8, dim: 3}\n    - flatten\n    - dense: {units: 10, activation: relu, name: fc1}")
        let ir = try model(text)
        #expect(ir.indexViolation(in: [0, 1, 7, 2]) == nil)
        for (values, row, column) in [([0, 1, 8, 2] as [Float], 1, 0), ([0, -1, 2, 2], 0, 1), ([5e7, 0, 1, 1], 0, 0)] {
            let bad = try #require(ir.indexViolation(in: values))
            #expect(bad.row == row && bad.column == column)
        }
        // The training data's check: an index of 1e30 in the spec is a located error, not a trap.
        let result = compile(text.replacingOccurrences(of: "[[0, 1], [2, 3], [4, 5], [6, 7]]", with: "[[0, 1], [2, 3], [4, 1e30], [6, 7]]"))
        #expect(result.diagnostics.all.contains { $0.code == .classOutOfRange && $0.message.contains("1e+30") })
        // Predictor: the library's entry point for predict and evaluate refuses it too.
        let trainer = Trainer(model: ir)
        let checkpoint = Checkpoint(tensors: Dictionary(uniqueKeysWithValues: trainer.network.checkpointTensors().map { ($0.name, $0.tensor) }),
                                    metadata: CheckpointMetadata(trainer))
        let predictor = try Predictor(model: ir, checkpoint: checkpoint)
        #expect(throws: IndexViolation.self) { try predictor.outputs([0, 11], rows: 1) }
        #expect(throws: IndexViolation.self) { try predictor.loss(inputs: [-1, 0], targets: [1], rows: 1) }
        #expect(try predictor.outputs([0, 7], rows: 1).count == 1)
    }

    @Test func classIndicesOfAnySizeAreLocatedErrors() {
        let classifier = spec(replacing: "targets: [[1.6666667], [3.6666667], [1.0], [1.6666667]]", with: "targets: [[0], [1], [1e30], [9223372036854775807]]")
            .replacingOccurrences(of: "units: 1, name: fc2", with: "units: 2, name: fc2").replacingOccurrences(of: "loss: mse", with: "loss: cross_entropy")
        let result = compile(classifier)
        #expect(result.diagnostics.all.contains { $0.code == .classOutOfRange })
        #expect(result.model == nil)
    }
}

/// Every integer a spec (or --set) gives is bounded, so no product of them overflows.
struct BoundedCountTests {
    static func integerBounds(_ type: ValueType, path: String, into out: inout [(String, Bounds)]) {
        switch type {
        case .integer(let b): out.append((path, b))
        case .dims(let b): out.append((path, b))
        case .record(let r): for f in r.fields { integerBounds(f.type, path: path + "." + f.name, into: &out) }
        case .list(let item, _): integerBounds(item, path: path + "[]", into: &out)
        case .oneOf(let types): for t in types { integerBounds(t, path: path, into: &out) }
        case .choice(let catalog): for kind in catalog.kinds { for f in kind.params { integerBounds(f.type, path: path + "." + kind.name + "." + f.name, into: &out) } }
        default: break
        }
    }

    @Test func everyIntegerKeyHasAnUpperBound() {
        var found: [(String, Bounds)] = []
        Self.integerBounds(.record(Language.spec), path: "", into: &found)
        #expect(found.count > 20)
        // The version is compared, never multiplied; the seed only seeds a generator.
        for (path, bounds) in found where path != ".dnnc" && path != ".seed" {
            #expect(bounds.max != nil && bounds.max! <= Double(Int32.max), "\(path) has no upper bound")
        }
    }

    @Test func hugeCountsAreRangeErrorsEverywhere() throws {
        let huge = spec(replacing: "epochs: 10", with: "epochs: 9223372036854775807")
        #expect(compile(huge).diagnostics.all.contains { $0.code == .outOfRange })
        let overflow = spec(replacing: "epochs: 10", with: "epochs: 99999999999999999999")
        #expect(compile(overflow).diagnostics.all.contains { $0.message.contains("too large") })
        #expect(throws: OverrideError.self) {
            try Compiler.compile(SourceFile(path: "t.yaml", text: baseSpec), overrides: [try Override("train.epochs=9223372036854775807")])
        }
        #expect(throws: OverrideError.self) {
            try Sweep.checkSize(try (0..<4).map { _ in try Sweep.vary("train.epochs=1,2,3,4,5,6,7,8,9,10") }, seeds: 1)
        }
        #expect(throws: OverrideError.self) { try Sweep.checkSize([try Sweep.vary("train.epochs=1,2")], seeds: 999_999) }
        #expect((try? Sweep.checkSize([try Sweep.vary("train.epochs=1,2")], seeds: 100)) != nil)
    }
}

/// Everything read from a checkpoint is checked against the spec before it is used.
struct CraftedCheckpointTests {
    static let classifier = spec(replacing: "targets: [[1.6666667], [3.6666667], [1.0], [1.6666667]]", with: "targets: [[0], [1], [2], [1]]")
        .replacingOccurrences(of: "units: 1, name: fc2", with: "units: 3, name: fc2").replacingOccurrences(of: "loss: mse", with: "loss: cross_entropy")
        .replacingOccurrences(of: "  train:\n", with: "  normalize: {inputs: standard}\n  train:\n")

    @Test func metadataThatWouldTrapOrGiveNaNIsRefused() throws {
        let ir = try model(Self.classifier)
        let good = CheckpointMetadata(Trainer(model: ir))
        try good.check(for: ir)
        var cases: [(CheckpointMetadata, String)] = []
        var m = good
        m.inputNormalizer = Normalizer(kind: .standard, shift: [], scale: [])
        cases.append((m, "columns"))
        m = good
        m.inputNormalizer.scale[0] = 1e-300
        cases.append((m, "finite"))
        m = good
        m.inputNormalizer = Normalizer(kind: .minmax, shift: [0, 0], scale: [1, 1])
        cases.append((m, "`minmax`"))
        m = good
        m.targetNormalizer = Normalizer(kind: .standard, shift: [], scale: [])
        cases.append((m, "`standard`"))
        m = good
        m.classes = ["a", "b", "c", "d", "e"]
        cases.append((m, "5 classes"))
        m = good
        m.classes = ["a", "a", "b"]
        cases.append((m, "distinct"))
        for (metadata, expected) in cases {
            #expect(throws: CheckpointError.self) { try metadata.check(for: ir) }
            do { try metadata.check(for: ir) } catch { #expect(error.description.contains(expected), "\(error.description)") }
        }
        // A regression's empty target statistics (the case that trapped predict and broke the ONNX file).
        let regression = try model(baseSpec.replacingOccurrences(of: "  train:\n", with: "  normalize: {targets: standard}\n  train:\n"))
        var r = CheckpointMetadata(Trainer(model: regression))
        try r.check(for: regression)
        r.targetNormalizer = Normalizer(kind: .standard, shift: [], scale: [])
        #expect(throws: CheckpointError.self) { try r.check(for: regression) }
    }

    /// A training state with valid checksums but impossible contents: refused by --resume at once.
    @Test(arguments: [
        ("\"phase\":[-1,0]", "\"phase\":[7,0]", "phase"),
        ("\"epochs_run\":1", "\"epochs_run\":-4", "epochs run"),
        ("\"epochs_run\":1", "\"epochs_run\":1000000000000000", "epochs run"),
        ("\"next_epoch\":1", "\"next_epoch\":99", "resumes at epoch 99"),
        ("\"steps\":4", "\"steps\":5", "steps"),
        ("\"best_epoch\":0", "\"best_epoch\":-3", "early-stopping"),
    ])
    func impossibleTrainingStatesAreRefused(_ old: String, _ new: String, _ expected: String) throws {
        let ir = try model(baseSpec)
        let trainer = Trainer(model: ir)
        trainer.train(TrainingOptions(stopWhenDead: false, watchHealth: false, stopRequested: nil, checkpointEvery: nil)) { _ in }
        // One epoch's state: a fresh trainer trained for one epoch.
        let one = Trainer(model: { var m = ir; m.schedule.epochs = 1; return m }())
        one.train(TrainingOptions(stopWhenDead: false, watchHealth: false)) { _ in }
        var (tensors, metadata) = one.checkpointState()
        #expect(metadata[Trainer.stateKey]!.contains(old), "\(metadata[Trainer.stateKey]!)")
        metadata[Trainer.stateKey] = metadata[Trainer.stateKey]!.replacingOccurrences(of: old, with: new)
        let bytes = SafeTensors.encode(tensors, metadata: metadata)
        let resumed = Trainer(model: { var m = ir; m.schedule.epochs = 1; return m }())
        #expect(throws: CheckpointError.self) { try resumed.resume(from: bytes) }
        do { try resumed.resume(from: bytes) } catch { #expect(error.description.contains(expected), "\(error.description)") }
        tensors.removeAll()
    }

    @Test func overlappingOrGappedTensorsAreRefused() throws {
        func file(_ header: String, data: Int) -> [UInt8] {
            var h = Array(header.utf8)
            while h.count % 8 != 0 { h.append(0x20) }
            var out = withUnsafeBytes(of: UInt64(h.count).littleEndian) { Array($0) } + h
            out += [UInt8](repeating: 0, count: data)
            return out
        }
        let overlap = file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, data: 12)
        #expect(throws: CheckpointError.self) { try SafeTensors.decode(overlap) }
        let gap = file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8)
        #expect(throws: CheckpointError.self) { try SafeTensors.decode(gap) }
        let skipped = file(#"{"a":{"dtype":"F32","shape":["x",2],"data_offsets":[0,8]}}"#, data: 8)
        #expect(throws: CheckpointError.self) { try SafeTensors.decode(skipped) }
        let fine = file(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: 8)
        #expect(try SafeTensors.decode(fine).count == 2)
    }
}

/// What dnnc writes: inside the project, only over regular files, never over an input.
struct OutputPolicyTests {
    static func project() throws -> URL {
        let folder = try temporaryFolderForTests()
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("specs"), withIntermediateDirectories: true)
        return folder
    }

    @Test func checkpointFoldersStayInsideTheProject() throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        let spec = root.appendingPathComponent("specs/s.yaml").path
        for bad in ["../../victim", "/", "/tmp/x", "checkpoints/../../../x", "nowhere/../../.."] {
            #expect(throws: DataFileError.self, "\(bad)") { try FilePolicy.resolveOutputFolder(bad, specPath: spec, allowOutsideRoot: false) }
        }
        let inside = try FilePolicy.resolveOutputFolder("checkpoints/run", specPath: spec, allowOutsideRoot: false)
        #expect(inside == (FilePolicy.canonical(root.path)! + "/specs/checkpoints/run"))
        #expect(try FilePolicy.resolveOutputFolder("../ck", specPath: spec, allowOutsideRoot: false).hasSuffix("/ck"))
        // A link out of the project is followed before the check.
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("specs/out").path, withDestinationPath: "/tmp")
        #expect(throws: DataFileError.self) { try FilePolicy.resolveOutputFolder("out/ck", specPath: spec, allowOutsideRoot: false) }
        // Through the compiler: a located E0312 at `path`, and at `name` for the default folder.
        let text = baseSpec + "  checkpoint: {every: 1, path: ../../victim}\n"
        let result = Compiler.compile(SourceFile(path: spec, text: text))
        let d = try #require(result.diagnostics.all.first { $0.code == .outputFolder })
        #expect(d.range.start.line == 18)
        let named = Compiler.compile(SourceFile(path: spec, text: baseSpec.replacingOccurrences(of: "seed: 3", with: "seed: 3\nname: ../../../../x") + "  checkpoint: {every: 1}\n"))
        #expect(named.diagnostics.all.first { $0.code == .outputFolder }?.range.start.line == 3)
    }

    /// The resolved folder is used, but `resolve` writes the folder as the spec did: relative.
    @Test func resolveKeepsTheCheckpointFolderRelative() throws {
        let resolved = try #require(Resolver.resolve(compile(baseSpec + "  checkpoint: {every: 1}\n")))
        #expect(resolved.contains("path: checkpoints/test"), "\(resolved)")
    }

    @Test func outputsReplaceOnlyRegularFilesThatAreNotInputs() throws {
        let root = try Self.project()
        defer { try? FileManager.default.removeItem(at: root) }
        let input = root.appendingPathComponent("train.csv").path
        _ = FileManager.default.createFile(atPath: input, contents: Data("1,2\n".utf8))
        #expect(throws: DataFileError.self) { try FilePolicy.checkOutputs([("-o", input)], inputs: [input]) }
        #expect(throws: DataFileError.self) { try FilePolicy.checkOutputs([("--save", "/dev/null")], inputs: []) }
        #expect(throws: DataFileError.self) { try FilePolicy.checkOutputs([("--save", root.path)], inputs: []) }
        let fifo = root.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(throws: DataFileError.self) { try FilePolicy.checkOutputs([("--plot", fifo)], inputs: []) }
        #expect(throws: CheckpointError.self) { try SafeTensors.writeAtomically([1, 2, 3], to: fifo) }
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO, "the FIFO is still a FIFO")
        let out = root.appendingPathComponent("out.csv").path
        #expect(throws: DataFileError.self) { try FilePolicy.checkOutputs([("--save", out), ("--plot", out)], inputs: []) }
        try FilePolicy.checkOutputs([("--save", out)], inputs: [input])
    }

    @Test func ignoreFilePatternsFollowGitignore() {
        let ignore = IgnoreFile(folder: "/p", text: "# comment\nTests/dnncTests/Corpus/\nbroken-*.yaml\n**/data/*.yml\n!broken-keep.yaml\nbench\n")
        #expect(ignore.excludes("/p/Tests/dnncTests/Corpus", isFolder: true))
        #expect(ignore.excludes("/p/Tests/dnncTests/Corpus/a.yaml", isFolder: false))
        #expect(!ignore.excludes("/p/Tests/dnncTests/other.yaml", isFolder: false))
        #expect(ignore.excludes("/p/specs/deep/broken-1.yaml", isFolder: false))
        #expect(!ignore.excludes("/p/specs/broken-keep.yaml", isFolder: false))
        #expect(ignore.excludes("/p/a/b/data/x.yml", isFolder: false) && ignore.excludes("/p/data/x.yml", isFolder: false))
        #expect(ignore.excludes("/p/bench/specs/w1.yaml", isFolder: false))
        #expect(!ignore.excludes("/elsewhere/bench/x.yaml", isFolder: false))
    }
}

/// Strings from a spec reach generated code only through their language's escaping function.
struct InjectionTests {
    static let hostile = ["x\"\"\"; import os; os.system(\"touch /tmp/pwned\"); \"\"\"", "a\\", "q\"uote", "new\nline", "é ✓ 𝔁", "#35;<b>&"]

    static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: InjectionTests.python != nil, "python3 is not installed: Python's own parser cannot read the literals back"))
    func pythonLiteralsReadBackAsTheOriginalText() throws {
        let python = try #require(Self.python)
        let program = Self.hostile.map { "print(repr(" + Escape.python($0) + "))\nprint(repr(\"\"\"" + Escape.pythonBody($0) + "\"\"\"))" }.joined(separator: "\n")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", "import ast, sys; src = sys.stdin.read(); tree = ast.parse(src); assert all(isinstance(n, ast.Expr) for n in tree.body); exec(src)"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(program.utf8))
        try input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/pwned"))
        #expect(text.split(separator: "\n").count == 2 * Self.hostile.count)
        for s in Self.hostile { #expect(Escape.pythonBody(s).unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 }) }
    }

    @Test func htmlTextCannotOpenMarkup() {
        #expect(Escape.html("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
    }

    @Test func graphLabelsCannotCloseTheirQuotes() throws {
        for name in Self.hostile where !name.contains("\n") {
            let dot = Escape.dot(name), mermaid = Escape.mermaid(name)
            // Unescaped quotes would end the label: in DOT every quote follows an odd run of backslashes.
            var backslashes = 0
            for c in dot {
                if c == "\"" { #expect(backslashes % 2 == 1, "\(dot)") }
                backslashes = c == "\\" ? backslashes + 1 : 0
            }
            #expect(!mermaid.contains("\"") && !mermaid.contains("<"))
        }
        let ir = try model(baseSpec.replacingOccurrences(of: "name: fc1", with: "name: \"a\\\\\\\"b\""))
        let dot = ModelGraph.render(ir, format: .dot)
        #expect(dot.contains("a\\\\\\\"b"), "\(dot)")
    }

    @Test func controlCharactersNeverReachATerminal() {
        let result = compile(baseSpec + "  \"\\e]0;pwned\\a\\e[2J\": 1\n")
        let text = result.diagnostics.all.map { DiagnosticRenderer.text($0, in: result.file) }.joined()
        #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(text)")
        #expect(text.contains("\\u{1B}]0;pwned"))
        // Names with control characters (a NUL disabled checkpoints) are refused where they stand.
        for escape in ["\\0", "\\e", "\\a", "\\u2028"] {
            let named = compile(baseSpec.replacingOccurrences(of: "seed: 3", with: "seed: 3\nname: \"run\(escape)x\""))
            #expect(named.diagnostics.all.contains { $0.range.start.line == 3 && $0.message.contains("control character") }, "\(escape)")
        }
        #expect(Format.printable("a\u{1B}[2Jb\u{9B}c") == "a\\u{1B}[2Jb\\u{9B}c")
    }
}

/// CSV: one stated header rule, no row dropped, duplicate names refused, numbers as the spec reads them.
struct CSVRuleTests {
    func read(_ text: String) throws(DataFileError) -> DataTable { try DataFiles.csv(Array(text.utf8), "t.csv") }

    @Test func aFirstRowWithANumberIsDataNeverAHeader() throws {
        let t = try read("1,2\n3,4\n")
        #expect(t.header == nil && t.rows == 2)
        // `1,` was taken for a header, dropping the row: now it is a data row with an empty field.
        let empty = try read("1,\n3,4\n")
        #expect(empty.header == nil && empty.rows == 2 && empty.number(1) == nil)
        // A typo beside numbers stays data, reported at its cell by the spec's check.
        let typo = try read("1.5,2.O\n3,4\n")
        #expect(typo.header == nil && typo.rows == 2 && typo.texts[1] == "2.O")
        let named = try read("a,b\n1,2\n")
        #expect(named.header == ["a", "b"] && named.rows == 1 && named.rowLines == [2])
    }

    /// The fast path for short decimals gives strtod's Double, bit for bit.
    @Test func theFastDecimalPathAgreesWithStrtod() {
        var rng = RandomStream(seed: 7, stream: 0)
        var checked = 0
        for _ in 0 ..< 20_000 {
            let digits = 1 + rng.index(below: 17), point = rng.index(below: digits + 1)
            var text = rng.index(below: 3) == 0 ? "-" : ""
            for k in 0 ..< digits {
                if k == point && k > 0 { text += "." }
                text += String(rng.index(below: 10))
            }
            let bytes = Array(text.utf8)
            guard let fast = DataFiles.exactDecimal(bytes[...]) else { continue }
            #expect(fast.bitPattern == strtod(text, nil).bitPattern, "\(text)")
            #expect(DataFiles.decimal(bytes[...])?.bitPattern == strtod(text, nil).bitPattern)
            checked += 1
        }
        #expect(checked > 10_000)
        #expect(DataFiles.exactDecimal(Array("1.2345678901234567".utf8)[...]) == nil, "16 digits go to strtod")
        #expect(DataFiles.decimal(Array("1.2345678901234567".utf8)[...]) == 1.2345678901234567)
    }

    /// The streaming reader of predict and evaluate follows the same header rule and number grammar.
    @Test func theRowReaderFollowsTheSameRules() throws {
        let folder = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("r.csv").path
        try "1,\n2,3\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: DataFileError.self, "`1,` is a data row with an empty cell, not a header") {
            try RowReader(path: path, displayName: "r.csv", width: 2)
        }
        try "a,b\n2,0x1p3\n".write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try RowReader(path: path, displayName: "r.csv", width: 2)
        #expect(reader.header == ["a", "b"])
        var rows: [Float] = []
        #expect(throws: DataFileError.self, "a hex float is not a number") { _ = try reader.next(maxRows: 10, into: &rows) }
    }

    @Test func hexFloatsAndSpecialWordsAreNotNumbers() throws {
        let t = try read("0x1p3,1e3\n")
        #expect(t.number(0) == nil && t.number(1) == 1000)
        #expect(throws: DataFileError.self) { try read("1,inf\n") }
        #expect(throws: DataFileError.self) { try read("1,NaN\n") }
        #expect(throws: DataFileError.self) { try read("1,1e400\n") }
    }

    @Test func quotesLineBreaksAndLongFields() throws {
        let t = try read("\"a, b\",c\r\n1,2\r\n\r\n3,\"4\"\n")
        #expect(t.header == ["a, b", "c"] && t.rows == 2 && t.rowLines == [2, 4])
        #expect(t.number(3) == nil, "a quoted field is text")
        #expect(throws: DataFileError.self) { try read(String(repeating: "1", count: 5000) + ",2\n") }
        #expect(throws: DataFileError.self) { try read("\"open,1\n") }
    }

    /// Every record of `bytes`, as (line, cells as text, quoted flags), the input handed over `chunk` bytes at a time.
    static func records(_ bytes: [UInt8], chunk: Int) throws(DataFileError) -> [String] {
        var rest = bytes[...]
        let first = Array(rest.prefix(chunk))
        rest = rest.dropFirst(chunk)
        var records = CSVRecords(name: "t.csv", bytes: first) {
            defer { rest = rest.dropFirst(chunk) }
            return Array(rest.prefix(chunk))
        }
        var out: [String] = []
        while let line = try records.next() {
            out.append("\(line):" + (0 ..< records.count).map { "\(records.cells[$0].quoted ? "q" : "")[\(String(decoding: records.cell($0), as: UTF8.self))]" }.joined())
        }
        return out
    }

    /// The tokenizer gives the same records and the same errors however its input is cut into chunks
    /// (RowReader reads 64 KiB at a time, so a quote, a `""` or a CR LF can straddle two reads).
    @Test func recordsDoNotDependOnHowTheInputArrives() throws {
        let text = "\u{FEFF}a , \"b,\"\"c\"\"\"\r\n\r\n  \n1,\"x\ny\"  \r2,3\n\"\",4"
        let whole = try Self.records(Array(text.utf8), chunk: Int.max)
        #expect(whole == ["1:[a]q[b,\"c\"]", "4:[1]q[x\ny]", "6:[2][3]", "7:q[][4]"])
        for chunk in 1 ... 7 { #expect(try Self.records(Array(text.utf8), chunk: chunk) == whole, "chunks of \(chunk)") }
        var rng = RandomStream(seed: 11, stream: 0)
        let alphabet = Array("a1 ,\"\r\n\t".utf8)
        for _ in 0 ..< 2000 {
            let bytes = (0 ..< rng.index(below: 24)).map { _ in alphabet[rng.index(below: alphabet.count)] }
            let expected: Result<[String], DataFileError> = Result { () throws(DataFileError) in try Self.records(bytes, chunk: Int.max) }
            for chunk in [1, 2, 5] {
                let got: Result<[String], DataFileError> = Result { () throws(DataFileError) in try Self.records(bytes, chunk: chunk) }
                #expect(got == expected, "\(String(decoding: bytes, as: UTF8.self).debugDescription) in chunks of \(chunk)")
            }
        }
    }

    @Test func malformedQuotingIsALocatedError() {
        let cases: [(String, String)] = [
            ("a,b\n1,x\"y\"\n", "t.csv:2:2: a quote inside a field"),
            ("a,b\n1,\"x\"y\n", "t.csv:2:2: text after the closing quote"),
            ("a,b\n1,\"x\n", "t.csv:2:2: a quoted field is not closed"),
        ]
        for (text, message) in cases {
            #expect(throws: DataFileError.self) { try read(text) }
            do { _ = try read(text) } catch { #expect(error.message == message, "\(text.debugDescription)") }
        }
        do { _ = try DataFiles.csv(Array("a,b\n1,".utf8) + [0xC3, 0x28] + Array("\n".utf8), "t.csv"); Issue.record("not UTF-8, read") } catch {
            #expect(error.message == "t.csv:2:2: the field is not UTF-8 text")
        }
    }

    /// `run` and `predict`/`evaluate` read the same file the same way: quoted commas, CR LF, a byte
    /// order mark (issue 14 found `run` and `predict` splitting the same file differently).
    @Test func runAndPredictReadTheSameCells() throws {
        let folder = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("r.csv").path
        let text = "\u{FEFF}\"x, first\",x2,label\r\n1,2,\"cat, big\"\r\n3,4,dog\r\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let table = try read(text)
        #expect(table.header == ["x, first", "x2", "label"] && table.rows == 2 && table.texts[2] == "cat, big")
        let reader = try RowReader(path: path, displayName: "r.csv", width: 3, names: [2: ["cat, big": 0, "dog": 1]])
        #expect(reader.header == table.header)
        var rows: [Float] = []
        #expect(try reader.next(maxRows: 10, into: &rows) == 2)
        #expect(rows == [1, 2, 0, 3, 4, 1])
        #expect(reader.batchLines == table.rowLines)
    }

    @Test func duplicateColumnNamesAreRefused() throws {
        let folder = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "a,b,t\n1,2,0\n3,4,1\n".write(to: folder.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
        let text = baseSpec.replacingOccurrences(of: "inputs:  [[0, 1], [2, 3], [4, 5], [6, 7]]", with: "inputs: {file: d.csv, columns: [a, a]}")
            .replacingOccurrences(of: "targets: [[1.6666667], [3.6666667], [1.0], [1.6666667]]", with: "targets: {file: d.csv, columns: [t]}")
            .replacingOccurrences(of: "batch_size: 1", with: "batch_size: 1")
        let result = Compiler.compile(SourceFile(path: folder.appendingPathComponent("s.yaml").path, text: text))
        #expect(result.diagnostics.all.contains { $0.message.contains("twice") }, "\(result.diagnostics.all.map(\.message))")
        try "a,a,t\n1,2,0\n".write(to: folder.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
        let ambiguous = Compiler.compile(SourceFile(path: folder.appendingPathComponent("s.yaml").path,
                                                    text: text.replacingOccurrences(of: "columns: [a, a]", with: "columns: [a]")))
        #expect(ambiguous.diagnostics.all.contains { $0.message.contains("twice") }, "\(ambiguous.diagnostics.all.map(\.message))")
    }
}

/// Reports and sweeps stay bounded whatever the class or variant count.
struct BoundedReportTests {
    @Test func tenThousandClassesPrintABoundedReport() throws {
        let text = baseSpec.replacingOccurrences(of: "targets: [[1.6666667], [3.6666667], [1.0], [1.6666667]]", with: "targets: [[0], [9999], [5], [17]]")
            .replacingOccurrences(of: "units: 1, name: fc2", with: "units: 10000, name: fc2").replacingOccurrences(of: "loss: mse", with: "loss: cross_entropy")
            .replacingOccurrences(of: "epochs: 10", with: "epochs: 1")
        let ir = try model(text)
        let trainer = Trainer(model: ir)
        trainer.train(TrainingOptions(stopWhenDead: false, watchHealth: false)) { _ in }
        let report = Metrics.classificationReport(ir, trainer: trainer)
        #expect(report.count < 5_000, "\(report.count) characters")
        #expect(report.contains("not printed for 10000 classes"))
        #expect(report.contains("the 20 with the most samples"))
    }
}

/// Smaller findings of the adversarial pass, each where it was found.
struct LocatedFindingTests {
    @Test func anAliasErrorPointsAtTheAlias() throws {
        let text = spec(replacing: "inputs:  [[0, 1], [2, 3], [4, 5], [6, 7]]", with: "inputs:  &rows [[0, 1], [2, 3], [4, 5], [6, 7]]")
            .replacingOccurrences(of: "epochs: 10", with: "epochs: *rows")
        let d = try #require(compile(text).diagnostics.all.first { $0.code == .wrongType })
        #expect(d.range.start.line == 15 && d.range.start.column == 11, "\(d.range)")
    }

    @Test func aLineSeparatorIsRefusedWhereItStands() throws {
        let text = "dnnc: 1 # a\u{2028}b\n" + baseSpec.dropFirst("dnnc: 1\n".count)
        let d = try #require(compile(text).diagnostics.all.first)
        #expect(d.code == .encoding && d.range.start.line == 1 && d.range.start.column == 12, "\(d.range) \(d.message)")
    }

    @Test func overflowingNumbersAreNamedAsSuch() {
        for (key, value) in [("epochs: 10", "epochs: 1e400"), ("lr: 0.01", "lr: 1e400")] {
            let d = compile(spec(replacing: key, with: value)).diagnostics.all.first
            #expect(d?.code == .invalidNumber, "\(value): \(d?.message ?? "")")
            #expect(d?.message.contains("found the number") == false)
        }
    }

    @Test func classIndicesGetNoNormalizationAdvice() throws {
        let text = baseSpec.replacingOccurrences(of: "targets: [[1.6666667], [3.6666667], [1.0], [1.6666667]]", with: "targets: [[0], [999], [5], [17]]")
            .replacingOccurrences(of: "units: 1, name: fc2", with: "units: 1000, name: fc2").replacingOccurrences(of: "loss: mse", with: "loss: cross_entropy")
        #expect(!compile(text).diagnostics.all.contains { $0.code == .unscaledTargets })
        let regression = spec(replacing: "[[1.6666667], [3.6666667], [1.0], [1.6666667]]", with: "[[1000], [3000], [1.0], [1.6666667]]")
        #expect(compile(regression).diagnostics.all.contains { $0.code == .unscaledTargets })
    }

    @Test func duplicateBlockNamesAndEmptyNamesAreRefused() {
        let blocks = baseSpec.replacingOccurrences(of: "  layers:\n", with: "  blocks:\n    - {name: b, layers: [{dense: {units: 2}}]}\n    - {name: b, layers: [{dense: {units: 3}}]}\n  layers:\n    - block: {use: b}\n")
        #expect(compile(blocks).diagnostics.all.contains { $0.code == .duplicateName && $0.range.start.line == 11 })
        let empty = baseSpec.replacingOccurrences(of: "name: fc1", with: "name: \"\"")
        #expect(compile(empty).diagnostics.all.contains { $0.message.contains("empty") })
    }
}
