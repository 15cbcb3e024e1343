// Tables as people have them: column types inferred or declared, empty cells filled, the encoding fitted
// on the training rows only and stored in the checkpoint, and the data lint at the CSV's header cells.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

/// A spec and its CSV files in a fresh folder, compiled from there.
struct TableFolder {
    let url: URL

    init(_ files: [String: String]) throws {
        url = try temporaryFolderForTests()
        for (name, text) in files { try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    }

    func compile(_ spec: String) -> CompileResult {
        Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path, text: spec))
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

struct TabularTests {
    /// city (text), garage (yes/no), area (numbers with one empty cell), price (the target).
    static let houses = """
        city,garage,area,price
        Paris,yes,50,300
        Lyon,no,70,200
        Paris,yes,,480
        Nice,no,40,150
        Lyon,yes,60,260
        Nice,YES,90,400

        """.replacingOccurrences(of: "YES", with: "yes")

    static func spec(input: Int, data: String = "") -> String {
        """
        dnnc: 1
        data:
          train:
            inputs: {file: houses.csv}
            targets: {column: price}
        \(data)
        model:
          input: [\(input)]
          layers:
            - dense: {units: 1}
        train: {loss: mse, optimizer: {sgd: {lr: 0.001}}, epochs: 1}
        """
    }

    @Test func typesAreInferredAndEmptyCellsFilledFromTheTrainingRows() throws {
        let folder = try TableFolder(["houses.csv": Self.houses])
        defer { folder.remove() }
        let result = folder.compile(Self.spec(input: 7, data: "  missing: {strategy: median, indicator: true}"))
        let model = try #require(result.model, "\(result.diagnostics.all.map(\.message))")
        let encoder = try #require(model.encoder)
        #expect(encoder.columns.map(\.kind) == [.categorical, .binary, .numeric])
        #expect(encoder.columns[0].categories == ["Lyon", "Nice", "Paris"])
        #expect(encoder.columns[1].categories == ["no", "yes"])
        // The median of 50, 70, 40, 60, 90; the indicator only where training had empty cells.
        #expect(encoder.columns[2].fill == 60 && encoder.columns[2].indicator && !encoder.columns[0].indicator)
        #expect(encoder.width == 7)
        // Row 3 (Paris, yes, empty): one-hot Paris, unknown slot 0, 1, the median, and its indicator.
        #expect(Array(model.train.inputs.row(2)) == [0, 0, 1, 0, 1, 60, 1])
        #expect(Array(model.train.inputs.row(1)) == [1, 0, 0, 0, 0, 70, 0])
        #expect(encoder.scaled == [false, false, false, false, false, true, false])
    }

    @Test func eachStrategyFillsAsDocumented() throws {
        let folder = try TableFolder(["houses.csv": Self.houses])
        defer { folder.remove() }
        func fill(_ missing: String) throws -> Double? {
            let result = folder.compile(Self.spec(input: 6, data: "  missing: \(missing)"))
            return try #require(result.model, "\(result.diagnostics.all.map(\.message))").encoder?.columns[2].fill
        }
        #expect(try fill("mean") == 62)
        #expect(try fill("median") == 60)
        // Every value once: the smallest of the most frequent, as scikit-learn's SimpleImputer.
        #expect(try fill("most_frequent") == 40)
        #expect(try fill("{constant: -1}") == -1)
        #expect(try fill("{columns: {area: {constant: 5}}}") == 5)
    }

    @Test func anEmptyCellIsALocatedErrorUnlessAStrategyFillsIt() throws {
        let folder = try TableFolder(["houses.csv": Self.houses])
        defer { folder.remove() }
        let result = folder.compile(Self.spec(input: 6))
        let error = try #require(result.diagnostics.all.first)
        #expect(error.code == .dataFile && error.message == "houses.csv:4:3: the `area` cell is empty", "\(error.message)")
        #expect(error.help?.contains("`data.missing`") == true)
    }

    @Test func badTypesAndStrategiesAreErrorsAtTheirKeys() throws {
        let folder = try TableFolder(["houses.csv": Self.houses, "mixed.csv": "a,b,y\n1,2,3\nx,3,4\n2,4,5\n"])
        defer { folder.remove() }
        func messages(_ data: String, _ spec: String? = nil) -> [String] {
            folder.compile(spec ?? Self.spec(input: 6, data: data)).diagnostics.all.filter { $0.severity == .error }.map(\.message)
        }
        #expect(messages("  missing: median\n  types: {cty: categorical}") == ["data.types names `cty`, which is not an input column of houses.csv"])
        #expect(messages("  missing: {columns: {city: mean}}") == ["`city` is categorical, which has no mean"])
        // A text constant for all columns fits neither a yes/no column without that value nor a numeric one.
        #expect(messages("  missing: {constant: none}") == ["`none` is neither of `garage`'s values, `no` and `yes`",
                                                            "`area` is numeric, so its empty cells take a number, not `none`"])
        #expect(messages("  missing: median\n  types: {city: binary}") == ["`city` is binary, but its training cells hold 3 distinct values: `Lyon`, `Nice`, `Paris`"])
        // A numeric column with a stray word: a bad cell, not a category.
        let mixed = Self.spec(input: 2).replacingOccurrences(of: "houses.csv", with: "mixed.csv").replacingOccurrences(of: "column: price", with: "column: y")
        #expect(messages("", mixed) == ["mixed.csv:3:1: `x` is not a number"])
        #expect(messages("", mixed.replacingOccurrences(of: "model:", with: "  types: {a: categorical}\nmodel:")).contains { $0.contains("model.input [2]") })
    }

    @Test func aColumnOfManyWordsIsRefusedBeforeItIsEncoded() throws {
        // 20,000 distinct words would be 20,001 one-hot values per row: refused from the fitted encoding,
        // with no row encoded; a header naming a column twice cannot be read by name.
        var rows = "id,x,y\n"
        for i in 0 ..< 20_000 { rows += "u\(i),\(i % 7),\(i % 3)\n" }
        let folder = try TableFolder(["big.csv": rows, "twice.csv": "a,a,y\nx,1,2\ny,2,3\n"])
        defer { folder.remove() }
        let spec = Self.spec(input: 2).replacingOccurrences(of: "houses.csv", with: "big.csv").replacingOccurrences(of: "column: price", with: "column: y")
        let error = try #require(folder.compile(spec).diagnostics.all.first)
        #expect(error.code == .inputWidth && error.message.hasPrefix("the columns encode to 20002 values per row, but model.input [2]"))
        #expect(error.help?.contains("give a column of many categories an `embedding`") == true)
        let twice = folder.compile(spec.replacingOccurrences(of: "big.csv", with: "twice.csv")).diagnostics.all.map(\.message)
        #expect(twice == ["twice.csv's header names `a` twice, and the inputs' columns are read by their names"])
    }

    @Test func theEncodingIsFittedOnTheRowsASplitLeavesForTraining() throws {
        // 40 rows; `Rare` is in one row only. Whichever side it falls on, the vocabulary holds it only
        // when that row trains.
        var rows = "kind,x,y\n"
        for i in 0 ..< 40 { rows += "\(i == 17 ? "Rare" : ["a", "b"][i % 2]),\(Double(i % 7)),\(Double(i % 5))\n" }
        let folder = try TableFolder(["houses.csv": rows])
        defer { folder.remove() }
        for seed in 0 ..< 6 {
            let spec = Self.spec(input: 1).replacingOccurrences(of: "column: price", with: "column: y")
                .replacingOccurrences(of: "dnnc: 1\n", with: "dnnc: 1\nseed: \(seed)\n")
                .replacingOccurrences(of: "model:", with: "  validation: {split: 0.25}\nmodel:")
            let result = folder.compile(spec)
            // The width tells the vocabulary: a, b (+ Rare) and unknown, then x.
            let width = try #require(result.diagnostics.all.first { $0.code == .inputWidth }?.message)
            let trainsOnRare = width.hasPrefix("the columns encode to 5 values")
            #expect(trainsOnRare || width.hasPrefix("the columns encode to 4 values"), "\(width)")
            let order = try #require({ var b = Builder(spec: result.resolved!, file: result.file, options: CompileOptions()); return b.splitOrder(rows: 40, fraction: 0.25, at: .none, inTimeOrder: false) }())
            #expect(trainsOnRare == order.order[order.held...].contains(17), "seed \(seed)")
        }
    }

    @Test func theEncodingTravelsInTheCheckpointAndMustFitTheSpec() throws {
        let folder = try TableFolder(["houses.csv": Self.houses])
        defer { folder.remove() }
        let model = try #require(folder.compile(Self.spec(input: 7, data: "  missing: {strategy: median, indicator: true}")).model)
        let trainer = Trainer(model: model)
        let strings = CheckpointMetadata(trainer).strings
        let read = try #require(try CheckpointMetadata.read(strings))
        #expect(read.encoder == model.encoder)
        try read.check(for: model)
        // Another vocabulary's width, or a model without an encoding, is refused.
        var other = read
        other.encoder?.columns[0].categories.append("Zurich")
        #expect(throws: CheckpointError.self) { try other.check(for: model) }
        #expect(TabularEncoder(json: "[{\"name\":\"a\",\"kind\":\"binary\",\"categories\":[\"x\"],\"fill\":null,\"indicator\":false}]") == nil)
        #expect(TabularEncoder(json: "[{\"name\":\"a\",\"kind\":\"categorical\",\"categories\":[\"b\",\"a\"],\"fill\":null,\"indicator\":false}]") == nil)
    }

    @Test func anUnseenCategoryGoesToTheUnknownSlotAndIsCounted() throws {
        let encoder = TabularEncoder(columns: [TabularEncoder.Column(name: "city", kind: .categorical, categories: ["Lyon", "Paris"], fill: 1)])
        var out: [Float] = [], unseen = [0]
        for cell in [TableCell.text("Paris"), .text("Rome"), .missing, .number(3)] { try encoder.encode({ _ in cell }, into: &out, unseen: &unseen) }
        #expect(out == [0, 1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 1])
        #expect(unseen == [2] && encoder.unseenNote(unseen) == "note: categories the training rows never held went to the unknown slot: 2 in `city`")
    }

    @Test func theDataLintPointsAtTheHeaderCell() throws {
        var rows = "id,constant,copy,empty,x,y\n"
        for i in 0 ..< 12 { rows += "r\(i),7,\(i % 3),\(i == 4 ? "3" : ""),\(Double(i) / 10),\(i % 3)\n" }
        let folder = try TableFolder(["t.csv": rows])
        defer { folder.remove() }
        let spec = """
            dnnc: 1
            data:
              train:
                inputs: {file: t.csv}
                targets: {column: y}
              missing: median
            model:
              input: [17]
              layers:
                - dense: {units: 3}
            train: {loss: cross_entropy, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
            """
        let result = folder.compile(spec)
        let found = result.diagnostics.all.filter { $0.severity == .warning }
        let byCode = Dictionary(found.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(Set(found.map(\.code)) == [.idLikeColumn, .constantColumn, .leakingColumn, .mostlyMissing], "\(found.map(\.message))")
        let id = try #require(byCode[.idLikeColumn]), copy = try #require(byCode[.leakingColumn])
        #expect(id.otherFile?.path.hasSuffix("/t.csv") == true && id.range.start == SourceLocation(line: 1, column: 1) && id.range.end.column == 3)
        #expect(copy.range.start.column == 13 && copy.message.hasPrefix("`copy` equals the target"))
        #expect(id.notes.first?.range?.start.line == 4)
        let text = DiagnosticRenderer.text(id, in: result.file)
        #expect(text.contains("t.csv:1:1: warning[W0361]") && text.contains(" 1 | id,constant,copy,empty,x,y\n   | ^^\n"), "\(text)")
        // A line's suppression on the spec's file reference silences it.
        let silenced = folder.compile(spec.replacingOccurrences(of: "inputs: {file: t.csv}", with: "inputs: {file: t.csv}  # dnnc: disable=W0361,W0362,W0363,W0366"))
        #expect(silenced.diagnostics.all.filter { $0.severity == .warning }.isEmpty)
    }

    /// The lint compares cells as their texts compare (a number's shortest form), without making the
    /// texts: 0 and -0 are one value, a quoted "1" is the number 1, and 1.5 and 1.50 are one value.
    @Test func theDataLintComparesCellsAsTheirTexts() throws {
        var rows = "zero,one,half,x,y\n"
        for i in 0 ..< 12 { rows += "\(i % 2 == 0 ? "0" : "-0.0"),\(i % 3 == 0 ? "\"1\"" : "1"),\(i % 2 == 0 ? "1.5" : "1.50"),\(i),\(i % 2)\n" }
        let folder = try TableFolder(["t.csv": rows])
        defer { folder.remove() }
        let spec = """
            dnnc: 1
            data:
              train:
                inputs: {file: t.csv, columns: [zero, one, half, x]}
                targets: {file: t.csv, columns: [y]}
              types: {one: categorical}
            model:
              input: [5]
              layers:
                - dense: {units: 2}
            train: {loss: cross_entropy, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
            """
        let found = folder.compile(spec).diagnostics.all.filter { $0.severity == .warning }
        #expect(found.filter { $0.code == .constantColumn }.map(\.message).sorted()
                == ["`half` holds one value (`1.5`) in every training row, which tells the model nothing",
                    "`one` holds one value (`1`) in every training row, which tells the model nothing",
                    "`zero` holds one value (`0`) in every training row, which tells the model nothing"], "\(found.map(\.message))")
        #expect(Builder.distinctCount([0, -0.0, .nan, -.nan, 1, 1, 2.5]) == 4)
        #expect(Builder.distinctCount((0 ..< 5000).map { Double($0 % 977) }) == 977)
    }
}
