// The resolved spec: the checked tree as typed values with their ranges, layer names and blocks decided
// once, and the IR keeping where each layer's parts are written.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel

@Suite struct ResolvedSpecTests {
    static let blocks = """
    dnnc: 1
    name: residual
    data:
      train:
        inputs: [[0, 1], [1, 0], [1, 1], [0, 0]]
        targets: [[1], [1], [0], [0]]
      normalize: {inputs: standard}
    model:
      input: [2]
      init: {weights: he_uniform}
      blocks:
        - name: res
          layers:
            - dense: {units: 2, activation: relu}
            - dense: {units: 2, name: out}
            - add: {inputs: [input, out]}
      layers:
        - dense: {units: 2}
        - block: {use: res}
        - block: {use: res, name: second, inputs: [dense_1]}
        - dense: {units: 1, weights: zeros, bias: false}
    train:
      loss: mse
      optimizer: {sgd: {lr: 0.1}}
      epochs: 3
    """

    /// The text a range covers, on its line.
    static func text(_ range: SourceRange, in source: String) -> String {
        let line = Array(source.split(separator: "\n", omittingEmptySubsequences: false)[range.start.line - 1].unicodeScalars)
        return String(String.UnicodeScalarView(line[(range.start.column - 1)..<min(range.end.column - 1, line.count)]))
    }

    @Test func namesAndBlocksAreDecidedOnceWithTheirRanges() throws {
        let result = compile(Self.blocks)
        let spec = try #require(result.resolved)
        #expect(!result.diagnostics.hasErrors)
        let entries = try #require(spec.model.layers)
        #expect(entries.map(\.name.value) == ["dense_1", "block_1.dense_1", "block_1.out", "block_1.add_1",
                                              "second.dense_1", "second.out", "second.add_1", "dense_2"])
        #expect(entries.map(\.name.isDefault) == [true, true, false, true, true, false, true, true])
        // A written name's range is its value; a default's, the kind's name.
        #expect(Self.text(entries[2].name.range, in: Self.blocks) == "out")
        #expect(Self.text(entries[0].name.range, in: Self.blocks) == "dense")
        // `input` in a block is the instance's input; the instance's name stands for its last layer.
        #expect(entries[3].inputs?.map(\.name) == ["dense_1", "block_1.out"])
        #expect(entries[4].inputs?.map(\.name) == ["dense_1"])
        #expect(entries[7].inputs == nil)
        #expect(spec.model.blocks.map(\.name.value) == ["block_1", "second"])
        #expect(spec.model.blocks.map(\.writtenInput) == ["dense_1", "dense_1"])
        #expect(spec.model.blocks.map(\.entries) == [1..<4, 4..<7])
        #expect(spec.model.itemEntries == [0, nil, nil, 7])
        // The shared layer keys are typed once.
        #expect(entries[7].weights?.value == .zeros)
        #expect(entries[7].bias.map { $0.value == nil } == true)
        #expect(entries[1].activation?.value.name == "relu")
        #expect(spec.model.initWeights.value == .heUniform && !spec.model.initWeights.isDefault)
        #expect(spec.model.initBias.value == .zeros && spec.model.initBias.isDefault)
        // The sections: defaults say they are defaults, written values where they are.
        #expect(spec.name.value == "residual" && !spec.name.isDefault)
        #expect(spec.train.batchSize.value == 32 && spec.train.batchSize.isDefault)
        #expect(spec.train.epochs.value == 3 && Self.text(spec.train.epochs.range, in: Self.blocks) == "3")
        #expect(spec.train.learningRate.value == 0.1 && Self.text(spec.train.learningRate.range, in: Self.blocks) == "0.1")
        #expect(spec.data.normalizeInputs.value == .standard && spec.data.normalizeTargets.isDefault)
        // The IR's layers carry the same names, and where their keys are written.
        let model = try #require(result.model)
        #expect(model.layers.map(\.name) == entries.map(\.name.value))
        let last = try #require(model.layers.last)
        #expect(Self.text(try #require(last.source.width), in: Self.blocks) == "1")
        #expect(Self.text(try #require(last.source.weights), in: Self.blocks) == "zeros")
        #expect(Self.text(try #require(model.layers[1].source.activation), in: Self.blocks) == "relu")
        #expect(model.layers[0].source.activation == nil && model.layers[0].source.weights == nil)
    }

    @Test func theSpecsNameDefaultsToTheFilesStem() throws {
        let text = Self.blocks.replacingOccurrences(of: "name: residual\n", with: "")
        let spec = try #require(compile(text, path: "dir/my-run.yaml").resolved)
        #expect(spec.name.value == "my-run" && spec.name.isDefault)
    }

    @Test func dataSourcesAreTyped() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("resolved-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "a,b,y\n0,1,1\n1,0,1\n".write(to: folder.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
        let text = """
        dnnc: 1
        data:
          train:
            inputs: {file: d.csv, columns: [a, 1]}
            targets: {file: d.csv, columns: [y]}
          validation: {split: 0.5}
        model: {input: [2], layers: [dense: {units: 1}]}
        train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
        """
        let spec = try #require(compile(text, path: folder.appendingPathComponent("s.yaml").path).resolved)
        guard case .file(let file, .only(let columns)?) = spec.data.train.inputs.origin else {
            Issue.record("inputs are a file with columns")
            return
        }
        #expect(file.value == "d.csv")
        #expect(columns.map(\.value) == [.name("a"), .index(1)])
        guard case .split(let fraction)? = spec.data.validation else {
            Issue.record("validation is a split")
            return
        }
        #expect(fraction.value == 0.5)
    }

    /// After resolution no stage reads the checked tree: only the checker, the resolution itself,
    /// the compiler that runs them and `dnnc resolve`'s printer name it.
    @Test func noLaterStageReadsTheTree() throws {
        let sources = Repo.root.appendingPathComponent("Sources")
        let allowed: Set<String> = ["DNNSyntax/Spec/SpecTree.swift", "DNNModel/Spec/SpecChecker.swift", "DNNModel/Spec/ResolvedSpec.swift",
                                    "DNNCore/Compiler.swift", "DNNCore/Resolver.swift"]
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") }
        #expect(files.count > 50)
        for file in files where !allowed.contains(file) {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains("SpecRecord") && !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                Issue.record("\(file):\(number + 1) reads the checked tree: read the resolved spec (ResolvedSpec) instead")
            }
        }
    }
}
