// Character-level text data (`data.train: {text, context, stride}`) and sampling from a text model
// (Generator, behind `dnnc generate`).

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

struct TextDataTests {
    /// A spec in a fresh folder beside `files` (name → bytes); the compile result and the folder.
    static func compiled(_ spec: String, files: [String: [UInt8]]) throws -> (CompileResult, URL) {
        let folder = try temporaryFolderForTests()
        for (name, bytes) in files { try Data(bytes).write(to: folder.appendingPathComponent(name)) }
        return (Compiler.compile(SourceFile(path: folder.appendingPathComponent("t.yaml").path, text: spec)), folder)
    }

    static func spec(data: String = "train: {text: corpus.txt, context: 4}", output: String = "- dense: {units: 4}", vocab: Int = 4,
                     loss: String = "cross_entropy", batch: Int = 4) -> String {
        """
        dnnc: 1
        seed: 3
        data:
          \(data)
        model:
          input: [4]
          layers:
            - embedding: {vocab: \(vocab), dim: 8}
            - gru: {units: 16, return_sequences: true}
            \(output)
        train: {loss: \(loss), optimizer: {adam: {lr: 0.02}}, epochs: 30, batch_size: \(batch), shuffle: false}
        """
    }

    static let corpus = Array("abcab\ncabc\n".utf8)

    @Test func windowsTakeTheNextCharacterOfEveryPositionOrOfTheWindow() throws {
        let (result, folder) = try Self.compiled(Self.spec(), files: ["corpus.txt": Self.corpus])
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try #require(result.model, "\(result.diagnostics.all.map(\.message))")
        // The vocabulary is the sorted code points: "\n" a b c.
        #expect(model.classes == ["\n", "a", "b", "c"] && model.textContext == 4 && model.positions == 4)
        // 11 characters, windows of 4 at every start whose targets are in the text: 7.
        #expect(model.train.inputs.rows == 7 && model.train.inputs.row(0).map(Int.init) == [1, 2, 3, 1])
        #expect(model.train.targets.row(0).map(Int.init) == [2, 3, 1, 2], "each position's next character")
        #expect(model.train.targets.row(6).map(Int.init) == [1, 2, 3, 0], "the last window ends at the text's end")
        // A [classes] output: the character after the window; a stride skips starts.
        let (last, other) = try Self.compiled(Self.spec(data: "train: {text: corpus.txt, context: 4, stride: 3}",
                                                        output: "- gru: {units: 4}", batch: 3), files: ["corpus.txt": Self.corpus])
        defer { try? FileManager.default.removeItem(at: other) }
        let next = try #require(last.model, "\(last.diagnostics.all.map(\.message))")
        #expect(next.positions == 1 && next.train.inputs.rows == 3 && next.train.targets.values.map(Int.init) == [2, 1, 0])
    }

    @Test func aTextsProblemsAreLocated() throws {
        func first(_ spec: String, _ files: [String: [UInt8]]) throws -> Diagnostic {
            let (result, folder) = try Self.compiled(spec, files: files)
            defer { try? FileManager.default.removeItem(at: folder) }
            return try #require(result.diagnostics.all.first)
        }
        // Not UTF-8: the line and column of the byte.
        let bad = try first(Self.spec(), ["corpus.txt": Array("ab\ncab".utf8) + [0xFF] + Array("c\n".utf8)])
        #expect(bad.message == "corpus.txt:2:4: the text is not valid UTF-8" && bad.range.start.line == 4)
        // A validation text with a character the training text lacks.
        let unknown = try first(Self.spec(data: "train: {text: corpus.txt, context: 4}\n  validation: {text: v.txt, context: 4}"),
                                ["corpus.txt": Self.corpus, "v.txt": Array("abc\nabd\n".utf8)])
        #expect(unknown.message == "v.txt:2:3: `d` is not a character of the training text")
        // Too short for one window and its next character: at context.
        let short = try first(Self.spec(data: "train: {text: corpus.txt, context: 11}"), ["corpus.txt": Self.corpus])
        #expect(short.message.hasPrefix("corpus.txt has 11 characters; a window of 11") && short.range.start.column == 38, "at context: \(short.range)")
        // More characters than the output scores: at its units.
        let narrow = try first(Self.spec(output: "- dense: {units: 3}"), ["corpus.txt": Self.corpus])
        #expect(narrow.message.hasSuffix("has 4 distinct characters, the classes, but dense_1 scores 3") && narrow.help == "give the last layer 4 units")
        // Characters are classes: a regression loss is refused.
        let regression = try first(Self.spec(loss: "mse"), ["corpus.txt": Self.corpus])
        #expect(regression.code == .outputWidth && regression.help == "use cross_entropy")
    }

    /// A model that has learnt "abc" repeated continues any prompt with it, the same text for a seed.
    @Test func generateContinuesWhatTheModelLearnt() throws {
        let text = Array(String(repeating: "abc", count: 30).utf8)
        let (result, folder) = try Self.compiled(Self.spec(output: "- dense: {units: 3}", vocab: 3), files: ["corpus.txt": text])
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = try #require(result.model, "\(result.diagnostics.all.map(\.message))")
        let trainer = Trainer(model: model)
        trainer.train { _ in }
        // Without metadata, the classes are the spec's: the training text's characters.
        let checkpoint = Checkpoint(tensors: Dictionary(uniqueKeysWithValues: trainer.network.checkpointTensors().map { ($0.name, $0.tensor) }),
                                    metadata: nil)
        let predictor = try Predictor(model: model, checkpoint: checkpoint, batch: 1)
        let greedy = try Generator(predictor: predictor, temperature: 0, topK: nil)
        #expect(try greedy.generate(prompt: "b", length: 8, seed: 0) == "cabcabca", "a short prompt is read at its last character")
        #expect(try greedy.generate(prompt: "cabcab", length: 3, seed: 0) == "cab", "past the context, the last 4")
        let sampled = try Generator(predictor: predictor, temperature: 1, topK: 1)
        #expect(try sampled.generate(prompt: "a", length: 6, seed: 9) == "bcabca", "top-k 1 is the most likely")
        let warm = try Generator(predictor: predictor, temperature: 5, topK: nil)
        #expect(try warm.generate(prompt: "a", length: 40, seed: 4) == (try warm.generate(prompt: "a", length: 40, seed: 4)))
        #expect(try warm.generate(prompt: "a", length: 40, seed: 4) != (try warm.generate(prompt: "a", length: 40, seed: 5)),
                "a high temperature draws other characters, as the seed says")
        #expect(throws: GenerationError.self) { try greedy.generate(prompt: "ax", length: 1, seed: 0) }
        #expect(throws: GenerationError.self) { try greedy.generate(prompt: "", length: 1, seed: 0) }
    }
}

/// Time series windows (`data.train: {series, window, horizon, targets, stride}`).
struct SeriesDataTests {
    static func spec(_ data: String, input: String = "[3, 2]") -> String {
        """
        dnnc: 1
        data:
          train:
            series: [[1, 10], [2, 20], [3, 30], [4, 40], [5, 50], [6, 60], [7, 70], [8, 80], [9, 90], [10, 100]]
        \(data)
        model:
          input: \(input)
          layers:
            - flatten
            - dense: {units: 1}
        train: {loss: mse, optimizer: {sgd: {lr: 0.001}}, epochs: 1, batch_size: 2}
        """
    }

    @Test func windowsReadConsecutiveRowsAndTheRowHorizonStepsOn() throws {
        let model = try model(Self.spec("    window: 3\n    horizon: 2\n    targets: [1]"))
        // Starts 0 ... 10 − 3 − 2 = 5: six windows; the first reads rows 0–2, its target row 0 + 3 + 2 − 1 = 4.
        #expect(model.train.inputs.rows == 6 && model.train.inputs.row(0).map(Int.init) == [1, 10, 2, 20, 3, 30])
        #expect(model.train.targets.values.map(Int.init) == [50, 60, 70, 80, 90, 100])
    }

    @Test func aSeriesSplitHoldsOutItsLastWindowsInTimeOrder() throws {
        let text = Self.spec("    window: 3\n    targets: [1]\n  validation: {split: 0.25}")
        let model = try model(text)
        // Seven windows, the last two held out.
        #expect(model.train.targets.values.map(Int.init) == [40, 50, 60, 70, 80])
        #expect(model.validation?.targets.values.map(Int.init) == [90, 100])
        #expect(!compile(text).diagnostics.all.contains { $0.code == .windowsSplitAtRandom })
    }

    @Test func aSeriesProblemsAreLocated() throws {
        expectDiagnostic(Self.spec("    window: 3\n    targets: [2]"), .dataFile, at: "2", onLineWith: "targets: [2]")
        let named = compile(Self.spec("    window: 3\n    targets: [load]")).diagnostics.all.first
        #expect(named?.message == "the series has no header row, so columns must be numbers (from 0)")
        expectDiagnostic(Self.spec("    window: 10", input: "[10, 2]"), .dataFile, at: "10", onLineWith: "window: 10")
        // The model's input must hold a window.
        expectDiagnostic(Self.spec("    window: 4\n    targets: [1]"), .inputWidth, at: "[[1, 10], [2, 20]", onLineWith: "series:")
    }
}

/// Integer token sequences from files: an int64 .npy of [N, L], and CSV rows with a header.
struct TokenFileTests {
    static func npy(_ rows: [[Int64]]) -> [UInt8] {
        var header = "{'descr': '<i8', 'fortran_order': False, 'shape': (\(rows.count), \(rows[0].count)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        for v in rows.joined() { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        return bytes
    }

    @Test func tokensFromNpyAndCsvFeedAnEmbedding() throws {
        let tokens: [[Int64]] = [[1, 2, 0, 0], [3, 1, 2, 0], [2, 2, 3, 1]]
        let csv = "t0,t1,t2,t3,label\n1,2,0,0,a\n3,1,2,0,b\n2,2,3,1,a\n"
        for data in ["inputs: {file: x.npy}\n    targets: {file: y.csv, columns: [label]}",
                     "inputs: {file: y.csv, columns: [t0, t1, t2, t3]}\n    targets: {file: y.csv, columns: [label]}"] {
            let spec = """
                dnnc: 1
                data:
                  train:
                    \(data)
                model:
                  input: [4]
                  layers:
                    - embedding: {vocab: 4, dim: 3, padding_index: 0}
                    - gru: {units: 4}
                    - dense: {units: 2}
                train: {loss: cross_entropy, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
                """
            let (result, folder) = try TextDataTests.compiled(spec, files: ["x.npy": Self.npy(tokens), "y.csv": Array(csv.utf8)])
            defer { try? FileManager.default.removeItem(at: folder) }
            let model = try #require(result.model, "\(result.diagnostics.all.map(\.message))")
            #expect(model.train.inputs.values.map(Int.init) == tokens.joined().map(Int.init) && model.classes == ["a", "b"])
        }
        // A token beyond the table is an error at the data, naming the row and column.
        let (bad, folder) = try TextDataTests.compiled("""
            dnnc: 1
            data: {train: {inputs: {file: x.npy}, targets: [[0], [1], [0]]}}
            model: {input: [4], layers: [{embedding: {vocab: 3, dim: 2}}, {flatten: {}}, {dense: {units: 2}}]}
            train: {loss: cross_entropy, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
            """, files: ["x.npy": Self.npy(tokens)])
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(bad.diagnostics.all.first?.code == .classOutOfRange)
    }
}

/// specs/sequence/arithmetic-lm.yaml's trained checkpoint (what `dnnc run` of the spec saves, committed
/// beside it) completes "a+b=" prompts of the test lines with the sum at the rate its README states.
struct ArithmeticModelTests {
    @Test func generateCompletesSumsAtTheStatedRate() throws {
        let spec = try Repo.file("specs/sequence/arithmetic-lm.yaml")
        let result = Compiler.compile(SourceFile(path: Repo.path("specs/sequence/arithmetic-lm.yaml"), bytes: spec.bytes))
        let model = try #require(result.model, "\(result.diagnostics.all.map(\.message))")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Repo.path("specs/sequence/arithmetic-lm.safetensors")))
        let checkpoint = try Checkpoint.decode(Array(bytes))
        try checkpoint.check(for: model, force: false)
        let generator = try Generator(predictor: try Predictor(model: model, checkpoint: checkpoint, batch: 1), temperature: 0, topK: nil)
        let lines = try String(contentsOfFile: Repo.path("specs/sequence/arithmetic-test.txt"), encoding: .utf8)
            .split(separator: "\n").prefix(100)
        var correct = 0
        for line in lines {
            let parts = line.split(separator: "=")
            let answer = try generator.generate(prompt: parts[0] + "=", length: parts[1].count + 1, seed: 0)
            if answer == parts[1] + "\n" { correct += 1 }
        }
        // specs/sequence/README.md: 71 of the first 100 test prompts.
        #expect(correct >= 70, "\(correct) of 100 sums completed")
    }
}

/// Data laid out otherwise than the model reads it is an error, never reshaped silently.
struct DataLayoutTests {
    @Test func anNpyInAnotherLayoutAndInputsThatHoldTheTargetAreRefused() throws {
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 3), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8)
        for v in 0 ..< 24 { withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { npy += $0 } }
        let layout = """
            dnnc: 1
            data: {train: {inputs: {file: x.npy}, targets: [[0], [1]]}}
            model: {input: [3, 4], layers: [{conv1d: {filters: 1, kernel: 2}}, {flatten: {}}, {dense: {units: 1}}]}
            train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
            """
        let (result, folder) = try TextDataTests.compiled(layout, files: ["x.npy": npy])
        defer { try? FileManager.default.removeItem(at: folder) }
        let error = try #require(result.diagnostics.all.first)
        #expect(error.code == .inputWidth && error.message == "x.npy holds samples of shape [4, 3], but model.input is [3, 4]: the same values in another layout")
        #expect(error.help?.contains("`permute`") == true)
        // The same file flattened by the model is fine.
        let flat = layout.replacingOccurrences(of: "{input: [3, 4], layers: [{conv1d: {filters: 1, kernel: 2}}, {flatten: {}},", with: "{input: [12], layers: [")
        let (fine, other) = try TextDataTests.compiled(flat, files: ["x.npy": npy])
        defer { try? FileManager.default.removeItem(at: other) }
        #expect(fine.model != nil, "\(fine.diagnostics.all.map(\.message))")

        // Inputs that read the targets' file whole.
        let csv = Array("a,b,species\n1,2,x\n2,1,y\n".utf8)
        let whole = """
            dnnc: 1
            data: {train: {inputs: {file: t.csv}, targets: {file: t.csv, columns: [species]}}}
            model: {input: [2], layers: [{dense: {units: 2}}]}
            train: {loss: cross_entropy, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
            """
        let (target, third) = try TextDataTests.compiled(whole, files: ["t.csv": csv])
        defer { try? FileManager.default.removeItem(at: third) }
        let leak = try #require(target.diagnostics.all.first)
        #expect(leak.message == "the inputs read all of t.csv, the target column `species` too"
                && leak.help == "give the inputs `columns: [a, b]`, or the targets as `{column: …}`")
    }
}

/// Columns by name, index, range or exclusion, and the target as one column of the inputs' file.
struct ColumnSelectionTests {
    static let csv = Array("id,a,b,c,species\n1,0.5,1,2,x\n2,1.5,0,1,y\n3,0.1,2,2,x\n".utf8)

    static func inputs(_ inputs: String, targets: String = "{column: species}", input: Int = 3) throws -> CompileResult {
        let spec = """
            dnnc: 1
            data: {train: {inputs: \(inputs), targets: \(targets)}}
            model: {input: [\(input)], layers: [{dense: {units: 2}}]}
            train: {loss: cross_entropy, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
            """
        let (result, folder) = try TextDataTests.compiled(spec, files: ["t.csv": csv])
        try? FileManager.default.removeItem(at: folder)
        return result
    }

    @Test func everyWayOfNamingTheInputsReadsTheSameColumns() throws {
        for written in ["{file: t.csv, columns: [a, b, c]}", "{file: t.csv, columns: [a..c]}", "{file: t.csv, columns: [1..3]}",
                        "{file: t.csv, columns: {exclude: [id, species]}}", "{file: t.csv, columns: [a, 2..3]}"] {
            let model = try #require(try Self.inputs(written).model, "\(written)")
            #expect(model.train.inputs.values == [0.5, 1, 2, 1.5, 0, 1, 0.1, 2, 2], "\(written)")
            #expect(model.inputColumns == ["a", "b", "c"] && model.targetColumns == ["species"] && model.classes == ["x", "y"])
        }
        // {column} alone: the inputs read every other column, id included.
        let all = try #require(try Self.inputs("{file: t.csv}", input: 4).model)
        #expect(all.inputColumns == ["id", "a", "b", "c"])
    }

    @Test func aColumnBothInputAndTargetAndBadRangesAreLocated() throws {
        let both = try #require(try Self.inputs("{file: t.csv, columns: [b..species]}").diagnostics.all.first)
        #expect(both.message == "`species` is both an input and a target" && both.help == "leave `species` out of the inputs' columns")
        let backwards = try #require(try Self.inputs("{file: t.csv, columns: [c..a]}").diagnostics.all.first)
        #expect(backwards.message.hasPrefix("the range `c..a` runs backwards"))
        let twice = try #require(try Self.inputs("{file: t.csv, columns: [a..c, b]}").diagnostics.all.first)
        #expect(twice.message == "`columns` names `b` twice")
        let inline = try #require(try Self.inputs("[[1, 2, 3]]").diagnostics.all.first)
        #expect(inline.message == "`targets: {column: …}` reads a column of the inputs' file, but the inputs are written inline")
    }
}

/// A binary loss whose targets are two class names.
struct BinaryClassNameTests {
    @Test func twoNamesAreClassesZeroAndOneAndAThirdIsAnError() throws {
        func compiled(_ targets: String, classes: String = "") throws -> CompileResult {
            let spec = """
                dnnc: 1
                data: {train: {inputs: {file: t.csv, columns: [a]}, targets: {file: t.csv, columns: [y]}}\(classes)}
                model: {input: [1], layers: [{dense: {units: 1}}]}
                train: {loss: bce_with_logits, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
                """
            let (result, folder) = try TextDataTests.compiled(spec, files: ["t.csv": Array("a,y\n\(targets)".utf8)])
            try? FileManager.default.removeItem(at: folder)
            return result
        }
        let sorted = try #require(try compiled("1,yes\n2,no\n3,yes\n").model)
        #expect(sorted.classes == ["no", "yes"] && sorted.train.targets.values == [1, 0, 1])
        // data.classes decides which is 1.
        let declared = try #require(try compiled("1,yes\n2,no\n3,yes\n", classes: ", classes: [yes, no]").model)
        #expect(declared.classes == ["yes", "no"] && declared.train.targets.values == [0, 1, 0])
        let three = try #require(try compiled("1,yes\n2,no\n3,maybe\n").diagnostics.all.first)
        #expect(three.message == "a binary loss takes two classes, but the targets name 3: `maybe`, `no`, `yes`" && three.help == "use cross_entropy for more classes")
        #expect(ProbabilityOfOne(sorted.loss)?.probability(0) == 0.5)
    }
}

struct ClassesFromOneTests {
    @Test func indicesFromOneGetAHelpThatSaysSo() throws {
        let text = """
            dnnc: 1
            data:
              train: {inputs: [[0], [1], [2]], targets: [[1], [2], [3]]}
            model: {input: [1], layers: [{dense: {units: 3}}]}
            train: {loss: cross_entropy, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
            """
        #expect(compile(text).diagnostics.all.first?.help == "class indices count from 0, and these run from 1 to 3: subtract 1 from each")
        // Indices from 0 beyond the output still get the width.
        let beyond = text.replacingOccurrences(of: "[[1], [2], [3]]", with: "[[0], [2], [3]]")
        #expect(compile(beyond).diagnostics.all.first?.help == "give the last layer 4 units")
    }
}

struct BinaryAreaTests {
    /// scikit-learn 1.x on these scores (ties at 0.4 across both labels): roc_auc_score 0.76,
    /// average_precision_score 0.7428571428571429.
    @Test func rocAndPrAreasMatchScikitLearn() throws {
        let labels: [Float] = [0, 1, 1, 0, 1, 0, 0, 1, 1, 0]
        let scores: [Float] = [0.1, 0.9, 0.4, 0.4, 0.35, 0.8, 0.2, 0.7, 0.4, 0.05]
        let (roc, pr) = try #require(Metrics.areas(scores, labels))
        #expect(abs(roc - 0.76) < 1e-12 && abs(pr - 0.7428571428571429) < 1e-12, "\(roc) \(pr)")
        #expect(Metrics.areas(scores, [Float](repeating: 1, count: 10)) == nil, "no negative: no curve")
    }
}
