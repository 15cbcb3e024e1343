// `dnnc export`: a trained model as ONNX, or the spec as a PyTorch training program.

import ArgumentParser
import DNNCore
import DNNExport
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a trained model as ONNX, or the spec as a PyTorch training program.",
        discussion: """
            --to onnx writes the inference graph (opset 17) with the checkpoint's weights and the \
            normalization folded in: input `input` [N, ...], output `output` in the targets' units, and for \
            a classifier `probabilities` and `class`. --to pytorch writes one Python program with the same \
            layers, names and layouts (the checkpoint loads with load_state_dict), loss, optimizer, \
            schedule and data loading, that trains on one process or under torchrun.
            """)

    enum Target: String, ExpressibleByArgument, CaseIterable { case onnx, pytorch }

    @Argument(help: "The spec file (YAML).")
    var spec: String

    @Option(help: "onnx or pytorch.")
    var to: Target

    @Option(name: .shortAndLong, help: "The file to write (.onnx, or .py).")
    var output: String

    @Option(help: "The .safetensors checkpoint (required for onnx).")
    var weights: String?

    @Flag(help: "Use a checkpoint written for another spec when its tensors have this model's names and shapes.")
    var force = false

    @OptionGroup var overrides: SpecOverrides
    @OptionGroup var input: InputOptions

    func validate() throws {
        if to == .onnx && weights == nil { throw ValidationError("--to onnx needs --weights: the trained checkpoint to export") }
    }

    func run() throws {
        guard let file = readSpec(spec, limit: input.maxSpecSize) else { throw ExitCode(2) }
        let (result, model) = try compileOrExit(file, try overrides.parsed(), input.compileOptions, warnings: false)
        try checkOutputs([("-o", output)], inputs: [file.path, weights] + model.dataFiles)
        let bytes: [UInt8]
        switch to {
        case .onnx:
            let checkpoint = try readCheckpoint(weights!, for: model, force: force)
            let predictor: Predictor
            do { predictor = try Predictor(model: model, checkpoint: checkpoint) } catch {
                throw Console.fail("cannot use \(weights!): \(error)")
            }
            do {
                bytes = try ONNXExport.serialize(model, parameters: checkpoint.tensors, inputNormalizer: predictor.inputNormalizer,
                                                 targetNormalizer: predictor.targetNormalizer, encoder: predictor.encoder)
            } catch {
                Console.error("\(file.path):1:1: error: \(error.description)")
                throw ExitCode(1)
            }
        case .pytorch:
            if let weights { _ = try readCheckpoint(weights, for: model, force: force) }
            guard let spec = result.resolved else { throw ExitCode(1) }  // a compiled spec has one
            bytes = Array(PyTorchExport.program(model, data: spec.data, specPath: file.path,
                                                 fileName: URL(fileURLWithPath: output).lastPathComponent, dataFolder: dataFolder(spec: file.path)).utf8)
        }
        do { try SafeTensors.writeAtomically(bytes, to: output) } catch { throw Console.fail(error.description) }
    }

    /// The spec's folder as seen from the output's folder: relative when both are under one root.
    private func dataFolder(spec: String) -> String {
        guard spec != "<stdin>" else { return FileManager.default.currentDirectoryPath }
        let from = URL(fileURLWithPath: output).deletingLastPathComponent().standardizedFileURL.resolvingSymlinksInPath().pathComponents
        let to = URL(fileURLWithPath: spec).deletingLastPathComponent().standardizedFileURL.resolvingSymlinksInPath().pathComponents
        var common = 0
        while common < min(from.count, to.count) && from[common] == to[common] { common += 1 }
        let parts = [String](repeating: "..", count: from.count - common) + to[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
