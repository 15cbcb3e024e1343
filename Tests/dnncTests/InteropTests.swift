// Trained models leaving dnnc: checkpoints with their metadata, predict and evaluate, resume from
// train.checkpoint, the ONNX graph (its numbers are checked against ONNX Runtime by
// tools/export_check.py in .ci/run), and the PyTorch program (run where torch is installed).

import DNNCore
import DNNModel
@testable import DNNExport
import Foundation
import SwiftProtobuf
import Testing

struct InteropTests {
    /// A temporary copy of the digits data with a spec that reads it, so runs can write beside it.
    static func digitsFolder(_ spec: String = "mlp.yaml", extra: String = "") throws -> URL {
        let folder = try temporaryFolder()
        for name in ["images.npy", "labels.npy"] {
            try FileManager.default.copyItem(at: Binary.root.appendingPathComponent("specs/digits/\(name)"), to: folder.appendingPathComponent(name))
        }
        let text = try String(contentsOf: Binary.root.appendingPathComponent("specs/digits/\(spec)"), encoding: .utf8) + extra
        try text.write(to: folder.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        return folder
    }

    @Test func predictReadsCSVFromStdinAndWritesTheTargetsUnits() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("relu.safetensors").path
        #expect(try Binary.run(["run", "specs/seed/relu.yaml", "--save", weights]).status == 0)

        let r = try Binary.run(["predict", "specs/seed/relu.yaml", "--weights", weights], stdin: "x1,x2\n0,1\n2,3\n\n4,5\n6,7\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr == "", "predict prints no lint warnings")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "prediction")
        let values = lines.dropFirst().compactMap { Float($0) }
        let targets: [Float] = [1.6666667, 3.6666667, 1.0, 1.6666667]
        #expect(values.count == 4)
        for (v, t) in zip(values, targets) { #expect(abs(v - t) < 1e-4, "\(v) against \(t)") }

        // The same rows from a .npy file to a .npy file.
        let input = folder.appendingPathComponent("x.npy"), output = folder.appendingPathComponent("y.npy")
        try Data(RowWriter.npyHeader(rows: 4, width: 2) + [0, 1, 2, 3, 4, 5, 6, 7].flatMap { (v: Float) in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) })
            .write(to: input)
        let n = try Binary.run(["predict", "specs/seed/relu.yaml", "--weights", weights, "--input", input.path, "--output", output.path])
        #expect(n.status == 0, "\(n.stderr)")
        let bytes = try [UInt8](Data(contentsOf: output))
        #expect(bytes.count == 128 + 16)
        let fromFile = (0..<4).map { k in Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[128 + 4 * k + $1]) << (8 * UInt32($1)) }) }
        #expect(fromFile == values, "the .npy output holds the same values as the CSV")
        #expect(String(decoding: bytes[10..<128], as: UTF8.self).contains("'shape': (4, 1)"))
    }

    @Test func predictErrorsNameTheFileLineAndColumnAndLeaveNoFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("relu.safetensors").path
        #expect(try Binary.run(["run", "specs/seed/relu.yaml", "--save", weights]).status == 0)
        let out = folder.appendingPathComponent("out.csv").path

        let wide = try Binary.run(["predict", "specs/seed/relu.yaml", "--weights", weights, "--output", out], stdin: "1,2,3\n")
        #expect(wide.status == 2)
        #expect(wide.stderr.contains("<stdin> has 3 values per row, but the model reads 2"))
        let bad = try Binary.run(["predict", "specs/seed/relu.yaml", "--weights", weights, "--output", out], stdin: "1,2\n3,x\n")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("<stdin>:2:2: `x` is not a number"))
        // A quoted number is text, in predict as in run (one CSV reader, one rule).
        let quoted = try Binary.run(["predict", "specs/seed/relu.yaml", "--weights", weights, "--output", out], stdin: "1,2\r\n3,\"4\"\r\n")
        #expect(quoted.status == 2)
        #expect(quoted.stderr.contains("<stdin>:2:2: `\"4\"` is quoted, and a quoted cell is text, not a number"), "\(quoted.stderr)")
        let ragged = try Binary.run(["predict", "specs/seed/relu.yaml", "--weights", weights, "--output", out], stdin: "1,2\n3\n")
        #expect(ragged.stderr.contains("<stdin>:2:2: the row has 1 values, but the first row has 2"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["relu.safetensors"], "no output, no temporary file")
        let proba = try Binary.run(["predict", "specs/seed/relu.yaml", "--weights", weights, "--proba"], stdin: "1,2\n")
        #expect(proba.status == 2)
        #expect(proba.stderr.contains("--proba is for classifiers"))
    }

    @Test func checkpointsCarryMetadataAndRefuseAnotherModel() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("relu.safetensors").path
        #expect(try Binary.run(["run", "specs/seed/relu.yaml", "--save", weights]).status == 0)
        let checkpoint = try Checkpoint.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: weights))))
        let metadata = try #require(checkpoint.metadata)
        #expect(metadata.version == DNNCVersion.current)
        #expect(metadata.modelHash.count == 16)
        #expect(metadata.inputNormalizer.kind == .none && metadata.inputNormalizer.shift.count == 2)
        #expect(metadata.epochsTrained == 5000)

        // linear.yaml has the same layer names and shapes but identity activations: another model.
        let refused = try Binary.run(["predict", "specs/seed/linear.yaml", "--weights", weights], stdin: "0,1\n")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("it was written for another model"))
        #expect(refused.stderr.contains("give --force"))
        let forced = try Binary.run(["predict", "specs/seed/linear.yaml", "--weights", weights, "--force"], stdin: "0,1\n")
        #expect(forced.status == 0, "\(forced.stderr)")
        // --force does not make shapes fit.
        let digits = try Binary.run(["predict", "specs/digits/mlp.yaml", "--weights", weights, "--force"], stdin: "0,1\n")
        #expect(digits.status == 2)
        #expect(digits.stderr.contains("has no tensor `dense_1.weight`"))
    }

    @Test func classifierPredictionsAndEvaluationAgree() throws {
        let folder = try Self.digitsFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("w.safetensors").path
        let run = try Binary.run(["run", "spec.yaml", "--epochs", "3", "--save", weights], directory: folder)
        #expect(run.status == 0, "\(run.stderr)")

        let p = try Binary.run(["predict", "spec.yaml", "--weights", weights, "--input", "images.npy", "--proba"], directory: folder)
        #expect(p.status == 0, "\(p.stderr)")
        let rows = p.stdout.split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
        #expect(rows.first == ["class"] + (0..<10).map { "p_\($0)" })
        #expect(rows.count == 1 + 1797)
        for row in rows.dropFirst().prefix(50) {
            let probabilities = row.dropFirst().compactMap { Double($0) }
            #expect(abs(probabilities.reduce(0, +) - 1) < 1e-5)
            #expect(probabilities.firstIndex(of: probabilities.max()!) == Int(row[0]))
        }
        // evaluate's accuracy is the share of predicted classes that match the labels.
        let labels = try [UInt8](Data(contentsOf: folder.appendingPathComponent("labels.npy")))
        let e = try Binary.run(["evaluate", "spec.yaml", "--weights", weights, "--data", "images.npy", "--targets", "labels.npy", "--format", "json"],
                               directory: folder)
        #expect(e.status == 0, "\(e.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any])
        #expect(json["rows"] as? Int == 1797)
        let header = Int(labels[8]) | Int(labels[9]) << 8
        let width = (labels.count - 10 - header) / 1797
        let truth = (0..<1797).map { k in Int(labels[10 + header + k * width]) }
        let hits = zip(rows.dropFirst(), truth).filter { Int($0.0[0]) == $0.1 }.count
        #expect(abs((json["accuracy"] as? Double ?? -1) - Double(hits) / 1797) < 1e-12)
        #expect((json["loss"] as? Double ?? -1) > 0)
    }

    @Test func evaluateReadsInputsAndTargetsFromOneCSV() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("relu.safetensors").path
        #expect(try Binary.run(["run", "specs/seed/relu.yaml", "--save", weights]).status == 0)
        let data = folder.appendingPathComponent("data.csv")
        try "x1,x2,y\n0,1,1.6666667\n2,3,3.6666667\n4,5,1\n6,7,1.6666667\n".write(to: data, atomically: true, encoding: .utf8)
        let r = try Binary.run(["evaluate", "specs/seed/relu.yaml", "--weights", weights, "--data", data.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("rows: 4\nloss (mse): "))
        #expect(r.stdout.contains("r2: 1\n"))
        let off = folder.appendingPathComponent("off.csv")
        try "0,1,2.6666667\n2,3,3.6666667\n4,5,1\n6,7,1.6666667\n".write(to: off, atomically: true, encoding: .utf8)
        let o = try Binary.run(["evaluate", "specs/seed/relu.yaml", "--weights", weights, "--data", off.path, "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(o.stdout.utf8)) as? [String: Any])
        // One target off by 1: mse is 1/4, mae 1/4.
        #expect(abs((json["loss"] as? Double ?? 0) - 0.25) < 1e-4)
        #expect(abs((json["mae"] as? Double ?? 0) - 0.25) < 1e-4)
    }

    /// Which tensors or metadata keys of two checkpoints differ, for a failure message.
    static func difference(_ a: Data, _ b: Data) -> String {
        guard let (ta, ma) = try? SafeTensors.decodeWithMetadata([UInt8](a)), let (tb, mb) = try? SafeTensors.decodeWithMetadata([UInt8](b)) else {
            return "one of them does not decode"
        }
        let tensors = Set(ta.keys).union(tb.keys).sorted().filter { ta[$0] != tb[$0] }
        let keys = Set(ma.keys).union(mb.keys).sorted().filter { ma[$0] != mb[$0] }
        return "tensors \(tensors), metadata \(keys.map { "\($0): \(ma[$0] ?? "-") vs \(mb[$0] ?? "-")" })"
    }

    @Test func resumeFromAnOlderCheckpointEndsWithTheSameBytes() throws {
        let folder = try Self.digitsFolder(extra: "  checkpoint: {every: 3, keep: 20, path: ckpt}\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let full = try Binary.run(["run", "spec.yaml", "--save", "full.safetensors"], directory: folder)
        #expect(full.status == 0, "\(full.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("ckpt").path).sorted()
        #expect(names == stride(from: 2, to: 30, by: 3).map { "epoch-" + String(format: "%06d", $0) + ".safetensors" })
        // As if the run had stopped during epoch 13: only the checkpoints up to epoch 11 exist.
        for name in names where Int(name.dropFirst(6).prefix(6))! > 11 {
            try FileManager.default.removeItem(at: folder.appendingPathComponent("ckpt/\(name)"))
        }
        let resumed = try Binary.run(["run", "spec.yaml", "--resume", "--save", "resumed.safetensors"], directory: folder)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resuming from"))
        #expect(resumed.stderr.contains("epoch-000011.safetensors, after epoch 11"))
        #expect(!resumed.stdout.contains("epoch  0 "), "the resumed run logs only the epochs it runs")
        let a = try Data(contentsOf: folder.appendingPathComponent("full.safetensors"))
        let b = try Data(contentsOf: folder.appendingPathComponent("resumed.safetensors"))
        #expect(a == b, "the resumed run's checkpoint is byte for byte the uninterrupted run's: \(Self.difference(a, b))")
        #expect(full.stdout.components(separatedBy: "predictions").last == resumed.stdout.components(separatedBy: "predictions").last)
        #expect(!resumed.stderr.contains("multiplied matrices"))
        // Resumed with another matrix multiply: correct, but not the same bits, and it says so.
        let other = try Binary.run(["run", "spec.yaml", "--resume"], environment: ["DNNC_GEMM": "reference"], directory: folder)
        #expect(other.status == 0, "\(other.stderr)")
        #expect(other.stderr.contains("multiplied matrices with `\(Gemm.implementation)` and this one with `reference`"), "\(other.stderr)")

        // A checkpoint of another schedule is refused; a spec without checkpoints cannot resume.
        let another = try Binary.run(["run", "spec.yaml", "--resume", "--set", "train.optimizer.sgd.lr=0.1"], directory: folder)
        #expect(another.status == 2)
        #expect(another.stderr.contains("written by a run of another model, schedule, seed or data set"))
        let none = try Binary.run(["run", "specs/seed/relu.yaml", "--resume"])
        #expect(none.status == 2)
        #expect(none.stderr.contains("--resume needs checkpoints"))
        // The newest `keep` are kept.
        let kept = try Self.digitsFolder(extra: "  checkpoint: {every: 5, keep: 2}\n")
        defer { try? FileManager.default.removeItem(at: kept) }
        #expect(try Binary.run(["run", "spec.yaml"], directory: kept).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: kept.appendingPathComponent("checkpoints/digits-mlp").path).sorted()
                == ["epoch-000024.safetensors", "epoch-000029.safetensors"])
    }

    @Test func onnxExportHoldsTheGraphWeightsAndNormalization() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("mlp.safetensors").path
        #expect(try Binary.run(["run", "specs/digits/mlp.yaml", "--epochs", "1", "--save", weights]).status == 0)
        let onnx = folder.appendingPathComponent("mlp.onnx").path
        let r = try Binary.run(["export", "specs/digits/mlp.yaml", "--to", "onnx", "--weights", weights, "-o", onnx])
        #expect(r.status == 0, "\(r.stderr)")
        let proto = try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: onnx)))
        #expect(proto.opsetImport.first?.version == 17)
        #expect(proto.graph.input.map(\.name) == ["input"])
        #expect(proto.graph.output.map(\.name) == ["output", "probabilities", "class", "label"])
        #expect(proto.graph.node.map(\.opType) == ["Sub", "Div", "Gemm", "Relu", "Gemm", "Identity", "Softmax", "ArgMax", "Gather"])
        // The class names: a string constant the label gathers from, and the model's metadata.
        let names = try #require(proto.graph.initializer.first { $0.name == "class_names" })
        #expect(names.stringData.map { String(decoding: $0, as: UTF8.self) } == (0 ..< 10).map(String.init))
        #expect(proto.metadataProps.first { $0.key == "dnnc_classes" }?.value == "[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]")
        // The input's layout and scaling, for a deployment: raw pixels go in, the graph normalizes.
        #expect(proto.metadataProps.first { $0.key == "dnnc_input" }?.value
                == "{\"shape\":[\"N\",64],\"dtype\":\"float32\",\"normalization\":\"standard\",\"normalized_in_graph\":true}")
        let checkpoint = try Checkpoint.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: weights))))
        for name in ["dense_1.weight", "dense_1.bias", "dense_2.weight", "dense_2.bias"] {
            let initializer = try #require(proto.graph.initializer.first { $0.name == name })
            let values = initializer.rawData.withUnsafeBytes { raw in (0..<raw.count / 4).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) } }
            #expect(values == checkpoint.tensors[name]?.values, "\(name)")
            #expect(initializer.dims.map(Int.init) == checkpoint.tensors[name]?.shape)
        }
        let shift = try #require(proto.graph.initializer.first { $0.name == "normalization/input_shift" })
        #expect(shift.rawData.count == 64 * 4)

        let missing = try Binary.run(["export", "specs/digits/mlp.yaml", "--to", "onnx", "-o", onnx])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--to onnx needs --weights"))
    }

    @Test func everyActivationAndLayerKindHasAnONNXForm() throws {
        // One spec per activation, exported from its initial parameters (tools/export_check.py runs every
        // layer kind and activation through ONNX Runtime in .ci/run).
        let activations = ["identity", "relu", "relu6", "leaky_relu", "prelu", "elu", "selu", "gelu", "{gelu: {approximate: tanh}}", "sigmoid",
                           "hard_sigmoid", "tanh", "softplus", "softsign", "silu", "mish", "softmax", "log_softmax"]
        #expect(activations.count == 17 + 1, "every activation of the catalog, gelu twice")
        for activation in activations {
            let ir = try #require(Compiler.compile(SourceFile(path: "a.yaml", text: """
                dnnc: 1
                data: {train: {inputs: [[1, 2], [3, 4]], targets: [[1], [2]]}}
                model: {input: [2], layers: [{dense: {units: 3, activation: \(activation)}}, {dense: {units: 1}}]}
                train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
                """)).model, "\(activation)")
            let trainer = Trainer(model: ir)
            let tensors = Dictionary(uniqueKeysWithValues: trainer.network.checkpointTensors().map { ($0.name, $0.tensor) })
            let bytes = try ONNXExport.serialize(ir, parameters: tensors, inputNormalizer: trainer.inputNormalizer, targetNormalizer: trainer.targetNormalizer)
            let proto = try Onnx_ModelProto(serializedBytes: bytes)
            // Every node reads values made before it: the graph is in topological order.
            var known = Set(proto.graph.input.map(\.name) + proto.graph.initializer.map(\.name))
            for node in proto.graph.node {
                for input in node.input { #expect(known.contains(input), "\(activation): \(node.opType) reads \(input) before it exists") }
                known.formUnion(node.output)
            }
        }
    }

    @Test func thePyTorchProgramIsValidPython() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for spec in ["specs/seed/relu.yaml", "specs/digits/mlp.yaml", "specs/digits/cnn.yaml", "specs/digits/residual.yaml"] {
            let program = folder.appendingPathComponent(URL(fileURLWithPath: spec).deletingPathExtension().lastPathComponent + ".py").path
            let r = try Binary.run(["export", spec, "--to", "pytorch", "-o", program])
            #expect(r.status == 0, "\(r.stderr)")
            let compiled = try Binary.run(["python3", "-m", "py_compile", program], executable: "/usr/bin/env")
            #expect(compiled.status == 0, "\(spec): \(compiled.stderr)")
        }
    }

    /// A Python with torch: DNNC_TORCH_PYTHON, bench/.venv's (bench/run.sh installs it), or python3.
    static let torchPython = python(importing: "torch, numpy",
                                    among: [ProcessInfo.processInfo.environment["DNNC_TORCH_PYTHON"], Binary.root.appendingPathComponent("bench/.venv/bin/python").path, "python3"])

    /// The first of the candidate Pythons that imports the modules, or nil.
    static func python(importing modules: String, among candidates: [String?]) -> String? {
        candidates.compactMap { $0 }.first { candidate in
            (try? Binary.run([candidate, "-c", "import " + modules], executable: "/usr/bin/env"))?.status == 0
        }
    }

    /// DNNC_REQUIRE_TORCH=1 (as .ci/run sets) makes a missing torch a failure, never a skip.
    static let torchRequired = ProcessInfo.processInfo.environment["DNNC_REQUIRE_TORCH"] == "1"

    /// The Python with torch, or a failure naming what is missing.
    static func python() throws -> String {
        try #require(torchPython, "DNNC_REQUIRE_TORCH=1, but neither DNNC_TORCH_PYTHON, bench/.venv nor python3 has torch and numpy")
    }

    /// The costs a jsonl log holds, by epoch.
    static func costs(_ log: String) -> [Int: Double] {
        var out: [Int: Double] = [:]
        for line in log.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let epoch = object["epoch"] as? Int, let cost = (object["cost"] as? NSNumber)?.doubleValue else { continue }
            out[epoch] = cost
        }
        return out
    }

    @Test(.enabled(if: torchPython != nil || torchRequired, "torch is not installed here: set DNNC_TORCH_PYTHON to a Python with torch and numpy, or run bench/run.sh once"),
          arguments: [("specs/seed/relu.yaml", 25, false, false), ("specs/seed/relu.yaml", 25, true, false), ("specs/digits/mlp.yaml", 3, true, false),
                      ("specs/digits/mlp.yaml", 3, false, true), ("specs/digits/cnn.yaml", 3, false, true),
                      ("specs/tabular/housing.yaml", 3, false, true)])
    func thePyTorchProgramLogsDnncsCostsOverTheFirstHundredSteps(_ spec: String, _ epochs: Int, _ initFrom: Bool, _ shuffle: Bool) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // The study has 4 steps an epoch (25 epochs: 100 steps); the digits classifier 45 (3 epochs: 135).
        // Without --init-from both start from dnnc's initializers, which the program draws as dnnc does.
        var start: [String] = []
        if initFrom {
            // Both start from the same parameters: a checkpoint of another seed's run.
            let initial = folder.appendingPathComponent("init.safetensors").path
            #expect(try Binary.run(["run", spec, "--seed", "5", "--epochs", "1", "--save", initial]).status == 0)
            start = ["--init-from", initial]
        }
        let program = folder.appendingPathComponent("train.py").path
        // With shuffling on (and the CNN's dropout), the program draws from dnnc's random streams.
        let order = ["--set", "train.shuffle=\(shuffle)"]
        let export = try Binary.run(["export", spec, "--to", "pytorch", "-o", program] + order)
        #expect(export.status == 0, "\(export.stderr)")
        let dnnc = try Binary.run(["run", spec, "--set", "train.log_every=1", "--log-format", "jsonl"] + order + start)
        #expect(dnnc.status == 0, "\(dnnc.stderr)")
        let torch = try Binary.run([try Self.python(), program, "--max-epochs", String(epochs), "--log-every", "1", "--log-format", "jsonl"] + start,
                                   executable: "/usr/bin/env")
        #expect(torch.status == 0, "\(torch.stderr)")
        let expected = Self.costs(dnnc.stdout), got = Self.costs(torch.stdout)
        #expect(got.count == epochs)
        for epoch in 0 ..< epochs {
            let e = try #require(expected[epoch]), g = try #require(got[epoch], "epoch \(epoch) missing from the program's log")
            #expect(abs(g - e) <= 1e-4 * abs(e), "\(spec) epoch \(epoch): PyTorch \(g), dnnc \(e)")
        }
    }

    /// --accumulate N: the program's steps over N batches of the spec's size are dnnc's steps over
    /// batches N times larger (shuffled, with an L2 penalty and a schedule); the program says its device.
    @Test(.enabled(if: torchPython != nil || torchRequired, "torch is not installed here: set DNNC_TORCH_PYTHON to a Python with torch and numpy, or run bench/run.sh once"))
    func accumulatingGradientsMatchALargerBatch() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let spec = "specs/digits/mlp.yaml", program = folder.appendingPathComponent("train.py").path
        let settings = ["--set", "train.batch_size=16", "--set", "model.layers.dense_1.dense.l2=0.001"]
        #expect(try Binary.run(["export", spec, "--to", "pytorch", "-o", program] + settings).status == 0)
        let dnnc = try Binary.run(["run", spec, "--set", "train.batch_size=48", "--set", "model.layers.dense_1.dense.l2=0.001", "--set", "train.log_every=1",
                                   "--log-format", "jsonl"])
        #expect(dnnc.status == 0, "\(dnnc.stderr)")
        let torch = try Binary.run([try Self.python(), program, "--accumulate", "3", "--max-epochs", "3", "--log-every", "1", "--log-format", "jsonl"],
                                   executable: "/usr/bin/env")
        #expect(torch.status == 0 && torch.stderr.hasPrefix("device: "), "\(torch.stderr)")
        let expected = Self.costs(dnnc.stdout), got = Self.costs(torch.stdout)
        #expect(got.count == 3)
        for epoch in 0 ..< 3 {
            let e = try #require(expected[epoch]), g = try #require(got[epoch])
            #expect(abs(g - e) <= 1e-4 * abs(e), "epoch \(epoch): PyTorch with --accumulate 3 \(g), dnnc with a batch 3 times larger \(e)")
        }
    }

    /// Every schedule's rate, as the program computes it, is dnnc's to the last bit: a factor of the
    /// spec optimizer's lr times the phase's lr, with warmup, min_lr and max_lr, and the plateau's
    /// reductions down to min_lr. The costs follow.
    @Test(.enabled(if: torchPython != nil || torchRequired, "torch is not installed here: set DNNC_TORCH_PYTHON to a Python with torch and numpy, or run bench/run.sh once"),
          arguments: ["phases: [{epochs: 3, optimizer: {adam: {lr: 0.01}}, freeze: [a]}, {epochs: 5, optimizer: {sgd: {lr: 0.1}}}]\n  warmup: 5",
                      "schedule: {one_cycle: {max_lr: 0.2, pct_start: 0.4}}\n  phases: [{epochs: 4}, {epochs: 4, optimizer: {sgd: {lr: 0.02}}}]",
                      "schedule: {cosine: {min_lr: 0.01, t_max: 6}}\n  warmup: 3",
                      "schedule: {reduce_on_plateau: {patience: 0, factor: 0.5, min_lr: 0.01, threshold: 0.05}}",
                      "schedule: {multistep: {milestones: [2, 5], gamma: 0.3}}", "schedule: {exponential: {gamma: 0.8}}"])
    func thePyTorchProgramSchedulesTheRatesDnncDoes(_ schedule: String) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let spec = folder.appendingPathComponent("schedule.yaml").path
        try """
            dnnc: 1
            seed: 4
            data: {train: {inputs: [[0, 1], [2, 3], [4, 5], [6, 7], [1, 1], [3, 0]], targets: [[1.5], [3.5], [1.0], [1.5], [0.5], [2.0]]}}
            model:
              input: [2]
              layers:
                - dense: {units: 6, activation: tanh, name: a}
                - dense: {units: 1, name: b}
            train:
              loss: mse
              optimizer: {sgd: {lr: 0.05}}
              epochs: 8
              batch_size: 2
              shuffle: false
              \(schedule)
            """.write(toFile: spec, atomically: true, encoding: .utf8)
        let program = folder.appendingPathComponent("train.py").path
        let export = try Binary.run(["export", spec, "--to", "pytorch", "-o", program])
        #expect(export.status == 0, "\(export.stderr)")
        let dnnc = try Binary.run(["run", spec, "--set", "train.log_every=1", "--log-format", "jsonl"])
        #expect(dnnc.status == 0, "\(dnnc.stderr)")
        let torch = try Binary.run([try Self.python(), program, "--log-every", "1", "--log-format", "jsonl"], executable: "/usr/bin/env")
        #expect(torch.status == 0, "\(torch.stderr)")
        func rates(_ log: String) -> [Double] {
            log.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).flatMap { ($0["lr"] as? NSNumber)?.doubleValue }
            }
        }
        #expect(rates(dnnc.stdout).count == 8)
        #expect(rates(torch.stdout) == rates(dnnc.stdout))
        let expected = Self.costs(dnnc.stdout), got = Self.costs(torch.stdout)
        for epoch in 0 ..< 8 {
            let e = try #require(expected[epoch]), g = try #require(got[epoch], "epoch \(epoch) missing from the program's log")
            #expect(abs(g - e) <= 1e-4 * abs(e), "epoch \(epoch): PyTorch \(g), dnnc \(e)")
        }
    }

    /// `rows` × `width` float32 values in a .npy file.
    static func writeNpy(_ values: [Float], rows: Int, width: Int, to url: URL) throws {
        try Data(RowWriter.npyHeader(rows: rows, width: width) + values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) })
            .write(to: url)
    }

    static func readNpy(_ url: URL) throws -> [Float] {
        let bytes = try [UInt8](Data(contentsOf: url))
        let start = 10 + (Int(bytes[8]) | Int(bytes[9]) << 8)
        return stride(from: start, to: bytes.count, by: 4).map { (k: Int) -> Float in
            var bits: UInt32 = 0
            for b in 0 ..< 4 { bits |= UInt32(bytes[k + b]) << UInt32(8 * b) }
            return Float(bitPattern: bits)
        }
    }

    @Test(.enabled(if: torchPython != nil || torchRequired, "torch is not installed here: set DNNC_TORCH_PYTHON to a Python with torch and numpy, or run bench/run.sh once"),
          arguments: ["specs/seed/relu.yaml", "specs/digits/mlp.yaml", "specs/digits/cnn.yaml", "specs/digits/residual.yaml"])
    func thePyTorchModuleLoadsADnncCheckpointWithTheSameOutputs(_ spec: String) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let weights = folder.appendingPathComponent("w.safetensors").path
        #expect(try Binary.run(["run", spec, "--epochs", "2", "--save", weights]).status == 0)
        let width = spec.contains("seed") ? 2 : 64
        var rng = RandomStream(seed: 9, stream: 0)
        let inputs = folder.appendingPathComponent("x.npy")
        try Self.writeNpy((0 ..< 100 * width).map { _ in Float(rng.uniform() * 16) }, rows: 100, width: width, to: inputs)
        let dnncOut = folder.appendingPathComponent("dnnc.npy"), torchOut = folder.appendingPathComponent("torch.npy")
        let d = try Binary.run(["predict", spec, "--weights", weights, "--input", inputs.path, "--raw", "--output", dnncOut.path])
        #expect(d.status == 0, "\(d.stderr)")
        let program = folder.appendingPathComponent("train.py").path
        #expect(try Binary.run(["export", spec, "--to", "pytorch", "-o", program]).status == 0)
        let t = try Binary.run([try Self.python(), program, "--init-from", weights, "--predict", inputs.path, "--output", torchOut.path],
                               executable: "/usr/bin/env")
        #expect(t.status == 0, "\(t.stderr)")
        let a = try Self.readNpy(torchOut), b = try Self.readNpy(dnncOut)
        #expect(a.count == b.count && !a.isEmpty)
        let scale = b.map { abs($0) }.max() ?? 1
        for (x, y) in zip(a, b) { #expect(abs(x - y) <= 1e-5 * abs(y) + 1e-6 * scale, "\(spec): PyTorch \(x), dnnc \(y)") }
    }

    @Test(.enabled(if: torchPython != nil || torchRequired, "torch is not installed here: set DNNC_TORCH_PYTHON to a Python with torch and numpy, or run bench/run.sh once"))
    func thePyTorchProgramRunsUnderTorchrunOnTwoProcesses() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let program = folder.appendingPathComponent("train.py").path
        #expect(try Binary.run(["export", "specs/digits/mlp.yaml", "--set", "train.shuffle=false", "--to", "pytorch", "-o", program]).status == 0)
        let saved = folder.appendingPathComponent("ddp.safetensors").path
        let r = try Binary.run([try Self.python(), "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517", program,
                                "--max-epochs", "2", "--log-every", "1", "--log-format", "jsonl", "--save", saved],
                               environment: ["OMP_NUM_THREADS": "1"], executable: "/usr/bin/env")
        #expect(r.status == 0, "\(r.stderr)")
        let distributed = Self.costs(r.stdout)
        #expect(distributed.count == 2, "rank 0 alone logs, once per epoch:\n\(r.stdout)")
        // Two processes of 16 rows make dnnc's batches of 32; DistributedSampler repeats one row to even
        // out the last batch, so the costs agree closely but not exactly.
        let single = try Binary.run(["run", "specs/digits/mlp.yaml", "--set", "train.shuffle=false", "--set", "train.log_every=1", "--log-format", "jsonl"])
        let expected = Self.costs(single.stdout)
        for epoch in 0 ..< 2 {
            let e = try #require(expected[epoch]), g = try #require(distributed[epoch])
            #expect(abs(g - e) <= 1e-2 * e, "epoch \(epoch): torchrun \(g), dnnc \(e)")
        }
        // The checkpoint it saved goes back into dnnc.
        let e = try Binary.run(["evaluate", "specs/digits/mlp.yaml", "--weights", saved, "--data", "specs/digits/images.npy", "--targets", "specs/digits/labels.npy"])
        #expect(e.status == 0, "\(e.stderr)")
        #expect(e.stdout.contains("accuracy: 0.9"), "\(e.stdout)")
    }

    /// A training set of PNGs beside a validation set of the same kind of pixels as a uint8 .npy: the
    /// program reads the bytes at the images' scale as dnnc does (the same validation losses), and its
    /// --predict reads a uint8 .npy as `dnnc predict --raw` does.
    @Test(.enabled(if: torchPython != nil || torchRequired, "torch is not installed here: set DNNC_TORCH_PYTHON to a Python with torch and numpy, or run bench/run.sh once"))
    func thePyTorchProgramReadsPixelsOfTheOtherKindAsDnncDoes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let held = try ByteArrayTests.shapes(in: folder, from: "train", copied: 0 ..< 4, asBytes: 4 ..< 6)
        try ByteArrayTests.npy(held).write(to: folder.appendingPathComponent("held.npy"))
        try "label\ncircle\ncircle\nsquare\nsquare\n".write(to: folder.appendingPathComponent("held.csv"), atomically: true, encoding: .utf8)
        let spec = folder.appendingPathComponent("t.yaml").path
        try """
            dnnc: 1
            seed: 2
            data:
              train: {images: pics}
              validation: {inputs: {file: held.npy}, targets: {file: held.csv}}
              classes: [circle, square]
            model: {input: [3, 32, 32], layers: [flatten, {dense: {units: 2}}]}
            train: {loss: cross_entropy, optimizer: {sgd: {lr: 0.002}}, epochs: 3, batch_size: 4, shuffle: false}
            """.write(toFile: spec, atomically: true, encoding: .utf8)
        let program = folder.appendingPathComponent("train.py").path, weights = folder.appendingPathComponent("w.safetensors").path
        #expect(try Binary.run(["export", spec, "--to", "pytorch", "-o", program]).status == 0)
        let dnnc = try Binary.run(["run", spec, "--set", "train.log_every=1", "--log-format", "jsonl", "--save", weights])
        let torch = try Binary.run([try Self.python(), program, "--log-every", "1", "--log-format", "jsonl"], executable: "/usr/bin/env")
        #expect(dnnc.status == 0 && torch.status == 0, "\(dnnc.stderr)\(torch.stderr)")
        func validationLosses(_ log: String) -> [Double] {
            log.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).flatMap { ($0["val_loss"] as? NSNumber)?.doubleValue }
            }
        }
        let expected = validationLosses(dnnc.stdout), got = validationLosses(torch.stdout)
        #expect(expected.count == 3 && got.count == 3 && expected.allSatisfy { $0 < 5 }, "\(dnnc.stdout)\(torch.stdout)")
        for (e, g) in zip(expected, got) { #expect(abs(g - e) <= 1e-4 * abs(e), "val_loss: PyTorch \(g), dnnc \(e)") }
        let bytes = folder.appendingPathComponent("held.npy").path
        let predicted = try Binary.run(["predict", spec, "--weights", weights, "--input", bytes, "--raw"])
        let written = folder.appendingPathComponent("out.npy")
        let programs = try Binary.run([try Self.python(), program, "--init-from", weights, "--predict", bytes, "--output", written.path],
                                      executable: "/usr/bin/env")
        #expect(programs.status == 0, "\(programs.stderr)")
        let ours = predicted.stdout.split(separator: "\n").dropFirst().flatMap { $0.split(separator: ",").compactMap { Double($0) } }
        let theirs = try Self.readNpy(written).map(Double.init)
        #expect(ours.count == 8 && theirs.count == 8, "\(predicted.stdout)\(theirs)")
        for (a, b) in zip(ours, theirs) { #expect(abs(a - b) <= 1e-4 * max(1, abs(a)), "--predict: PyTorch \(b), dnnc \(a)") }
    }
}
