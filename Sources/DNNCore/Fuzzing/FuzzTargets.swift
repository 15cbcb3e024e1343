// The code paths the fuzzers drive, one function each: bytes in, no result out. A crash, a trap or a
// hang here is the bug. They live in the library so that `swift test` replays the committed corpus
// and every input that ever crashed, without the fuzzer (fuzz/README.md).

import Foundation
import DNNSyntax
import DNNModel
import DNNCheckpoint
import DNNRuntime

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

    /// An image file as an image set reads it: decoded (PNG or JPEG, by signature), then made a gray
    /// and an RGB sample of other sizes than its own (every branch of the conversion and the resize).
    public static func image(_ bytes: [UInt8]) {
        guard let image = try? ImageFiles.decode(bytes) else { return }
        precondition(image.pixels.count == image.width * image.height * image.channels, "a decoded image's pixels do not fill it")
        for (channels, height, width) in [(1, 5, 7), (3, 8, 8), (3, image.height, image.width)] {
            var sample = [Float](repeating: .nan, count: channels * height * width)
            sample.withUnsafeMutableBufferPointer { ImageFiles.sample(image, channels: channels, height: height, width: width, into: $0.baseAddress!) }
            precondition(sample.allSatisfy { $0 >= 0 && $0 <= 1 }, "a sample value outside [0, 1]")
        }
    }

    /// The checkpoint reader.
    public static func checkpoint(_ bytes: [UInt8]) {
        _ = try? SafeTensors.decode(bytes)
    }

    /// A small classifier with an embedding, batchnorm, dropout and two phases, compiled once: the
    /// model the checkpoint-metadata and training-state targets check their inputs against.
    static let model: ModelIR = {
        let text = """
            dnnc: 1
            name: fuzz
            data:
              train:
                inputs: [[0, 1], [1, 2], [2, 0], [1, 1]]
                targets: [[0], [1], [2], [1]]
              validation: {split: 0.25}
            model:
              input: [2]
              layers:
                - embedding: {vocab: 3, dim: 2}
                - flatten
                - dense: {units: 4, activation: relu}
                - batchnorm
                - dropout: {rate: 0.1}
                - dense: {units: 3}
            train:
              loss: cross_entropy
              optimizer: {adam: {lr: 0.01}}
              epochs: 4
              batch_size: 2
              phases:
                - {epochs: 2, optimizer: {sgd: {lr: 0.1}}}
                - {epochs: 2, optimizer: {adam: {lr: 0.01}}}
              early_stopping: {patience: 2}
            """
        return Compiler.compile(SourceFile(path: "fuzz.yaml", bytes: Array(text.utf8))).model!
    }()

    /// Checkpoint metadata as `predict`, `evaluate` and `export` read it: the bytes are the JSON object of
    /// safetensors' `__metadata__`, read and then checked against the model, and a Predictor built
    /// when they pass (whose first prediction must then be finite).
    public static func metadata(_ bytes: [UInt8]) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else { return }
        var strings: [String: String] = [:]
        for (key, value) in object { if let text = value as? String { strings[key] = text } }
        guard let metadata = try? CheckpointMetadata.read(strings), (try? metadata.check(for: model)) != nil else { return }
        let network = Network(model: model, capacity: 1)
        let checkpoint = Checkpoint(tensors: Dictionary(uniqueKeysWithValues: network.checkpointTensors().map { ($0.name, $0.tensor) }), metadata: metadata)
        guard let predictor = try? Predictor(model: model, checkpoint: checkpoint),
              let out = try? predictor.outputs([0, 1], rows: 1) else { return }
        precondition(out.allSatisfy(\.isFinite), "checked metadata gave a non-finite prediction")
    }

    /// A training checkpoint as `dnnc run --resume` reads it: decoded, its state restored into a new
    /// trainer of the model, and one epoch trained from there when it is accepted.
    public static func trainingState(_ bytes: [UInt8]) {
        let trainer = Trainer(model: model)
        guard (try? trainer.resume(from: bytes)) != nil else { return }
        _ = trainer.train(TrainingOptions(stopWhenDead: false, watchHealth: false)) { _ in }
    }

    /// A `--set KEY=VALUE` argument applied to a valid spec and compiled, as `run`, `check` and `sweep` do.
    public static func set(_ bytes: [UInt8]) {
        guard let argument = String(validating: bytes, as: UTF8.self), let override = try? Override(argument) else { return }
        let text = "dnnc: 1\ndata:\n  train:\n    inputs: [[0, 1], [1, 0]]\n    targets: [[1], [0]]\nmodel:\n  input: [2]\n  layers:\n    - dense: {units: 2, activation: relu, name: h}\n    - dense: {units: 1, name: out}\ntrain:\n  loss: mse\n  optimizer: {sgd: {lr: 0.1}}\n  epochs: 2\n"
        guard let result = try? Compiler.compile(SourceFile(path: "fuzz.yaml", bytes: Array(text.utf8)), overrides: [override]) else { return }
        for diagnostic in result.diagnostics.all { _ = DiagnosticRenderer.text(diagnostic, in: result.file) }
        if let model = result.model { _ = MemoryEstimate(model) }
    }

    /// Every target by its name, for the fuzzer's entry point, the replayer and the replay test.
    public static let all: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
        ("spec", spec), ("csv", csv), ("checkpoint", checkpoint), ("npy", npy),
        ("metadata", metadata), ("state", trainingState), ("set", set), ("image", image),
    ]
}
