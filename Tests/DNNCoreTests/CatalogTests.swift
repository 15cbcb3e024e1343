// The catalog from specs: the shapes each layer must infer, broken graphs and the errors they give,
// data from CSV and .npy files, classes, validation and early stopping.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

/// A spec around `layers` (indented list items) on `input`, with one zero row of inputs and targets.
func layerSpec(input: [Int], _ layers: String, outputs: Int = 1) -> String {
    let width = input.reduce(1, *)
    let row = "[" + Array(repeating: "0", count: width).joined(separator: ", ") + "]"
    let target = "[" + Array(repeating: "0", count: outputs).joined(separator: ", ") + "]"
    return """
        dnnc: 1
        data: {train: {inputs: [\(row)], targets: [\(target)]}}
        model:
          input: \(input)
          layers:
        \(layers.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
        train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
        """
}

struct ShapeInferenceTests {
    /// Layers, and the output shape each must infer.
    static let table: [(input: [Int], layers: String, shapes: [[Int]])] = [
        ([1, 8, 8], "- conv2d: {filters: 4, kernel: 3}\n- flatten\n- dense: {units: 1}", [[4, 6, 6], [144], [1]]),
        ([1, 8, 8], "- conv2d: {filters: 4, kernel: 3, padding: same}\n- maxpool2d: {size: 2}\n- global_avgpool\n- dense: {units: 1}",
         [[4, 8, 8], [4, 4, 4], [4], [1]]),
        ([3, 9, 7], "- conv2d: {filters: 6, kernel: [3, 2], stride: 2, padding: [1, 0], dilation: [2, 1], groups: 3}\n- flatten\n- dense: {units: 1}",
         [[6, 4, 3], [72], [1]]),
        ([2, 10], "- conv1d: {filters: 3, kernel: 4, stride: 3}\n- flatten\n- dense: {units: 1}", [[3, 3], [9], [1]]),
        ([2, 6, 6], "- avgpool2d: {size: 3, stride: 2, padding: 1}\n- flatten\n- dense: {units: 1}", [[2, 3, 3], [18], [1]]),
        ([6], "- reshape: {shape: [2, 3]}\n- layernorm\n- flatten\n- dense: {units: 1}", [[2, 3], [2, 3], [6], [1]]),
        ([4], "- embedding: {vocab: 5, dim: 3}\n- flatten\n- dense: {units: 1}", [[4, 3], [12], [1]]),
        ([3], "- dense: {units: 4, name: a}\n- dense: {units: 2, name: b, inputs: [input]}\n- concat: {inputs: [a, b, input]}\n- dense: {units: 1}",
         [[4], [2], [9], [1]]),
        ([2, 4, 4], "- conv2d: {filters: 2, kernel: 1, name: c}\n- add: {inputs: [c, input]}\n- batchnorm\n- dropout: {rate: 0.5}\n- flatten\n- dense: {units: 1}",
         [[2, 4, 4], [2, 4, 4], [2, 4, 4], [2, 4, 4], [32], [1]]),
    ]

    @Test(arguments: 0..<table.count)
    func eachLayerInfersItsShape(_ index: Int) throws {
        let row = Self.table[index]
        let ir = try model(layerSpec(input: row.input, row.layers))
        #expect(ir.layers.map(\.outputShape) == row.shapes)
    }

    @Test func embeddingsTakeIndicesAsWritten() {
        let text = """
            dnnc: 1
            data:
              train: {inputs: [[0, 3], [2, 1]], targets: [[1], [0]]}
              normalize: {inputs: standard}
            model: {input: [2], layers: [embedding: {vocab: 4, dim: 2}, flatten, dense: {units: 1}]}
            train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
            """
        expectDiagnostic(text, .layerGeometry, at: "standard", onLineWith: "normalize")
        expectDiagnostic(text.replacingOccurrences(of: "  normalize: {inputs: standard}\n", with: "")
            .replacingOccurrences(of: "[2, 1]", with: "[2, 4]"), .classOutOfRange, at: "[[0, 3]", onLineWith: "train:")
    }

    @Test func parametersHavePyTorchsNamesAndLayouts() throws {
        let ir = try model(layerSpec(input: [3, 5, 5], "- conv2d: {filters: 4, kernel: 3, groups: 1, name: c}\n- batchnorm: {name: bn}\n- flatten\n- dense: {units: 1, name: d}"))
        #expect(ir.parameters.map(\.name) == ["c.weight", "c.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "d.weight", "d.bias"])
        #expect(ir.parameters.map(\.shape) == [[4, 3, 3, 3], [4], [4], [4], [4], [4], [1, 36], [1]])
        let conv1d = try model(layerSpec(input: [2, 6], "- conv1d: {filters: 3, kernel: 2, bias: false, name: c}\n- flatten\n- dense: {units: 1}"))
        #expect(conv1d.parameters.first?.shape == [3, 2, 2] && conv1d.parameters[1].name == "dense_1.weight")
    }

    /// Broken layer graphs and shapes: the code, and the token it must point at.
    static let broken: [(layers: String, input: [Int], code: DiagnosticCode, token: String, line: String)] = [
        ("- dense: {units: 2, name: a, inputs: [b]}\n- dense: {units: 1, name: b}", [2], .badReference, "b]", "name: a"),
        ("- dense: {units: 2, name: a}\n- dense: {units: 1, inputs: [aa]}", [2], .badReference, "aa", "inputs: [aa]"),
        ("- dense: {units: 2, name: a}\n- dense: {units: 3, name: b, inputs: [input]}\n- add: {inputs: [a, b]}\n- dense: {units: 1}", [2], .branchMismatch, "b]", "add:"),
        ("- dense: {units: 2, name: a}\n- concat: {inputs: [a]}\n- dense: {units: 1}", [2], .badReference, "[a]", "concat"),
        ("- conv2d: {filters: 2, kernel: 3}\n- dense: {units: 1}", [4], .layerGeometry, "conv2d", "conv2d"),
        ("- conv2d: {filters: 2, kernel: 5}\n- flatten\n- dense: {units: 1}", [1, 3, 3], .layerGeometry, "5", "conv2d"),
        ("- conv2d: {filters: 3, kernel: 1, groups: 2}\n- flatten\n- dense: {units: 1}", [2, 3, 3], .layerGeometry, "2}", "groups"),
        ("- conv2d: {filters: 2, kernel: 3, stride: 2, padding: same}\n- flatten\n- dense: {units: 1}", [1, 5, 5], .layerGeometry, "same", "same"),
        ("- reshape: {shape: [4, 2]}\n- flatten\n- dense: {units: 1}", [6], .layerGeometry, "[4, 2]", "reshape"),
        ("- dense: {units: 2}\n- dense: {units: 1, activation: {softmax: {axis: 1}}}", [2], .layerGeometry, "{softmax", "softmax"),
        ("- flatten\n- dense: {units: 2, name: input}", [2], .duplicateName, "input", "name: input"),
    ]

    @Test(arguments: 0..<broken.count)
    func brokenGraphsAreLocatedErrors(_ index: Int) {
        let row = Self.broken[index]
        expectDiagnostic(layerSpec(input: row.input, row.layers), row.code, at: row.token, onLineWith: row.line)
    }

    @Test func aForwardReferenceNamesBothPlaces() throws {
        let result = compile(layerSpec(input: [2], "- dense: {units: 2, name: a, inputs: [b]}\n- dense: {units: 1, name: b}"))
        let error = try #require(result.diagnostics.all.first)
        #expect(error.message == "`a` reads `b`, which comes after it: a layer reads only layers written before it, so the graph has no cycles")
        #expect(error.notes.first?.message == "`b` is here" && error.notes.first?.range?.start.line == 7)
        let mismatch = try #require(compile(layerSpec(input: [2], Self.broken[2].layers)).diagnostics.all.first)
        #expect(mismatch.notes.map(\.message) == ["shape [2] comes from here", "shape [3] comes from here"])
    }
}

struct DataFileTests {
    static let folder = Repo.path("Tests/DNNCoreTests/Fixtures/data")

    func compileHere(_ text: String) -> CompileResult {
        compile(text, path: Self.folder + "/test.yaml")
    }

    func spec(inputs: String, targets: String, loss: String = "mse", units: Int = 1, width: Int = 2, extra: String = "") -> String {
        """
        dnnc: 1
        data:
          train:
            inputs: \(inputs)
            targets: \(targets)
        \(extra)
        model:
          input: [\(width)]
          layers:
            - dense: {units: \(units)}
        train: {loss: \(loss), optimizer: {sgd: {lr: 0.1}}, epochs: 1}
        """
    }

    @Test func csvColumnsByNameAndClassNames() throws {
        let result = compileHere(spec(inputs: "{file: animals.csv, columns: [x1, x2]}", targets: "{file: animals.csv, columns: [label]}",
                                      loss: "cross_entropy", units: 3))
        let ir = try #require(result.model, "\(result.diagnostics.all.map(\.message))")
        #expect(ir.train.inputs.values == [0.5, 1.0, 1.5, -2.0, 0.25, 3.5, 2.0, 0.0])
        #expect(ir.classes == ["bird", "cat", "dog"])
        #expect(ir.train.targets.values == [1, 2, 1, 0])
        let ordered = try #require(compileHere(spec(inputs: "{file: animals.csv, columns: [0, 1]}", targets: "{file: animals.csv, columns: [2]}",
                                                    loss: "cross_entropy", units: 3, extra: "  classes: [cat, dog, bird]")).model)
        #expect(ordered.train.targets.values == [0, 1, 0, 2])
    }

    @Test func npyFilesOfEveryType() throws {
        let ir = try #require(compileHere(spec(inputs: "{file: f8.npy}", targets: "{file: i4.npy}", width: 3)).model)
        #expect(ir.train.inputs.rows == 4 && ir.train.inputs.values[5] == 1.25)
        #expect(ir.train.targets.values == [0, 1, 1, 0])
    }

    /// Bad files: the message says which file and, for a cell, which row and column.
    static let bad: [(inputs: String, message: String)] = [
        ("{file: missing.csv}", "cannot read missing.csv: no such file"),
        ("{file: ragged.csv}", "ragged.csv:2:3: the row has 2 values, but the first row has 3"),
        ("{file: badcell.csv}", "badcell.csv:2:2: `x` is not a number"),
        ("{file: quoted.csv}", "quoted.csv:2:2: `\"2\"` is quoted, and a quoted cell is text, not a number"),
        ("{file: unclosed.csv}", "unclosed.csv:2:2: a quoted field is not closed"),
        ("{file: longfield.csv}", "longfield.csv:1:1: a field longer than 4096 bytes"),
        ("{file: empty.csv}", "empty.csv holds no rows"),
        ("{file: infinity.csv}", "infinity.csv:2:1: `inf` is not a finite number"),
        ("{file: semicolon.csv}", "semicolon.csv has one column per row"),
        ("{file: animals.csv, columns: [x3]}", "animals.csv has no column `x3`"),
        ("{file: animals.csv, columns: [7]}", "animals.csv has 3 columns, so there is no column 7 (counted from 0)"),
        ("{file: short.npy}", "short.npy declares shape [4, 3] but holds only 10 values"),
        ("{file: fortran.npy}", "fortran.npy is in Fortran order"),
        ("{file: f2.npy}", "f2.npy holds `<f2` values"),
        ("{file: animals.txt}", "cannot read animals.txt: no such file"),
    ]

    @Test(arguments: 0..<bad.count)
    func badFilesAreLocatedErrors(_ index: Int) throws {
        let row = Self.bad[index]
        let text = spec(inputs: row.inputs, targets: "[[0], [1], [1], [0]]")
        let result = compileHere(text)
        let error = try #require(result.diagnostics.all.first)
        #expect(error.code == .dataFile)
        #expect(error.message == row.message)
        #expect(error.range.start.line == 4, "it points at the file's name in the spec")
        #expect(result.model == nil)
    }

    @Test func classLabelsOutOfRange() {
        let text = spec(inputs: "[[0, 1], [1, 0]]", targets: "[[0], [3]]", loss: "cross_entropy", units: 3)
        expectDiagnostic(text, .classOutOfRange, at: "[3]", onLineWith: "targets")
        #expect(compile(text).diagnostics.all[0].help == "give the last layer 4 units")
        expectDiagnostic(spec(inputs: "[[0, 1], [1, 0]]", targets: "[[0], [1.5]]", loss: "cross_entropy", units: 3),
                         .classOutOfRange, at: "[1.5]", onLineWith: "targets")
    }
}

struct ValidationTests {
    static let base = """
        dnnc: 1
        seed: 4
        data:
          train:
            inputs: [[0.0], [0.1], [0.2], [0.3], [0.4], [0.5], [0.6], [0.7], [0.8], [0.9]]
            targets: [[0.0], [0.2], [0.4], [0.6], [0.8], [1.0], [1.2], [1.4], [1.6], [1.8]]
          validation: {split: 0.3}
        model:
          input: [1]
          layers:
            - dense: {units: 1}
        train: {loss: mse, optimizer: {sgd: {lr: 0.5}}, epochs: 150, batch_size: 7}

        """

    @Test func aSplitHoldsOutRowsDrawnByTheSeed() throws {
        let ir = try model(Self.base)
        #expect(ir.train.inputs.rows == 7 && ir.validation?.inputs.rows == 3)
        let all = Set((ir.train.inputs.values + ir.validation!.inputs.values).map { Int(($0 * 10).rounded()) })
        #expect(all == Set(0..<10), "every row on exactly one side")
        let other = try model(Self.base.replacingOccurrences(of: "seed: 4", with: "seed: 5"))
        #expect(other.validation!.inputs.values != ir.validation!.inputs.values, "another seed draws other rows")
    }

    @Test func validationLossAndMetricsAreLogged() throws {
        let ir = try model(Self.base)
        var logs: [EpochLog] = []
        Trainer(model: ir).train { logs.append($0) }
        #expect(logs.allSatisfy { $0.validationLoss != nil })
        #expect(logs.last!.validationLoss! < 1e-3, "y = 2x is learned")
        #expect(logs.last!.metrics.map(\.name) == ["val_mae", "val_rmse", "val_r2"])
        #expect(logs.last!.metrics[2].value > 0.99)
    }

    @Test func theBestValidationEpochIsKept() throws {
        let trainer = Trainer(model: try model(Self.base.replacingOccurrences(of: "lr: 0.5", with: "lr: 2.5")))
        let result = trainer.train { _ in }
        let best = try #require(result.best)
        let lowest = result.validationLosses.min { $0.loss < $1.loss }!
        #expect(best.epoch == lowest.epoch)
        trainer.restore(parameters: best.parameters)
        #expect(abs(trainer.evaluate(trainer.model.validation!) - lowest.loss) <= 1e-9 * max(1, lowest.loss))
    }

    @Test func earlyStoppingStopsAndRestoresTheBest() throws {
        // lr 5 diverges after a few epochs: the validation loss rises, and the run stops with the best kept.
        let text = Self.base.replacingOccurrences(of: "epochs: 150, batch_size: 7}", with: "epochs: 150, batch_size: 7, early_stopping: {patience: 3}}")
            .replacingOccurrences(of: "lr: 0.5", with: "lr: 2.5")
        let ir = try model(text)
        let trainer = Trainer(model: ir)
        var logs: [EpochLog] = []
        let result = trainer.train { logs.append($0) }
        guard case .earlyStopped(let best) = result.end else {
            Issue.record("expected an early stop, got \(result.end) after \(result.costs.count) epochs")
            return
        }
        #expect(result.costs.count == best + 4, "patience 3: three evaluations without improvement after the best")
        let bestLoss = logs.compactMap(\.validationLoss).min()!
        #expect(abs(trainer.evaluate(ir.validation!) - bestLoss) < 1e-9 * max(1, bestLoss), "the best epoch's parameters are restored")
    }

    @Test func valLossNeedsValidationData() {
        let text = Self.base.replacingOccurrences(of: "  validation: {split: 0.3}\n", with: "")
            .replacingOccurrences(of: "batch_size: 7}", with: "batch_size: 7, early_stopping: {monitor: val_loss}}")
        expectDiagnostic(text, .missingKey, at: "val_loss", onLineWith: "early_stopping")
    }

    @Test func theDigitsMLPLearnsFromItsSpec() throws {
        let result = compile(String(decoding: try Data(contentsOf: Repo.root.appendingPathComponent("specs/digits/mlp.yaml")), as: UTF8.self),
                             path: Repo.path("specs/digits/mlp.yaml"))
        var ir = try #require(result.model)
        ir.schedule.epochs = 3
        var logs: [EpochLog] = []
        Trainer(model: ir).train { logs.append($0) }
        let accuracy = try #require(logs.last?.metrics.first { $0.name == "val_accuracy" }?.value)
        #expect(accuracy > 0.9, "3 epochs reach \(accuracy)")
    }
}

struct BlockTests {
    static let spec = """
        dnnc: 1
        data: {train: {inputs: [[0, 1], [1, 0]], targets: [[1], [0]]}}
        model:
          input: [2]
          blocks:
            - name: residual
              layers:
                - dense: {units: 2, activation: tanh, name: a}
                - dense: {units: 2}
                - add: {inputs: [input, dense_2]}
          layers:
            - block: {use: residual, name: res1}
            - block: {use: residual}
            - dense: {units: 1, inputs: [res1]}
        train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
        """

    @Test func blocksExpandWithUniqueNamesAndTheirOwnInput() throws {
        let ir = try model(Self.spec)
        #expect(ir.layers.map(\.name) == ["res1.a", "res1.dense_2", "res1.add_1", "block_2.a", "block_2.dense_2", "block_2.add_1", "dense_1"])
        #expect(ir.layers[2].inputs == [-1, 1], "`input` inside the first instance is the model's input")
        #expect(ir.layers[3].inputs == [2] && ir.layers[5].inputs == [2, 4], "the second instance reads the first's output")
        #expect(ir.layers[6].inputs == [2], "an instance's name stands for its last layer")
        #expect(ir.parameters.map(\.name).prefix(2) == ["res1.a.weight", "res1.a.bias"])
    }

    /// The execution plan is the graph the interpreter runs: what each step reads, who reads each value,
    /// and the workspace the network allocates and the memory estimate counts.
    @Test func theExecutionPlanReadsWhatTheLayersName() throws {
        let ir = try model(Self.spec)
        let plan = ir.plan
        #expect(plan.steps[2].reads.map(\.value) == [.input, .output(of: 1)])
        #expect(plan.readers(of: .input) == [0, 2])
        #expect(plan.readers(of: .output(of: 2)) == [3, 5, 6])
        #expect(plan.readers(of: .output(of: 5)).isEmpty, "block_2 is read by nothing (W0356)")
        #expect(plan.output == .output(of: 6))
        let network = Network(model: ir, capacity: 2)
        #expect(network.plan.steps.count == 7 && network.z.map(\.count) == plan.workspace(capacity: 2).z)
        // Only `res1.a` and `block_2.a` activate: the others keep their output in z.
        #expect(plan.steps.map(\.activates) == [true, false, false, true, false, false, false])
        let graph = ModelGraph.render(ir, format: .mermaid)
        #expect(graph.contains("input -- \"[2]\" --> layer2") && graph.contains("layer2 -- \"[2]\" --> layer5"))
    }

    @Test func badBlockUses() {
        expectDiagnostic(Self.spec.replacingOccurrences(of: "use: residual, name: res1", with: "use: residul, name: res1"),
                         .badReference, at: "residul", onLineWith: "residul")
        #expect(compile(Self.spec.replacingOccurrences(of: "use: residual, name: res1", with: "use: residul, name: res1"))
            .diagnostics.all[0].help == "did you mean `residual`?")
        // A block that leads back to itself.
        let cycle = Self.spec.replacingOccurrences(of: "        - add: {inputs: [input, dense_2]}", with: "        - block: {use: residual}")
        expectDiagnostic(cycle, .badReference, at: "residual", onLineWith: "        - block: {use: residual}")
        #expect(compile(cycle).diagnostics.all[0].message == "block `residual` uses itself: `residual` → `residual`")
    }

    /// A transformer-style block written once: `${name}` parameters, a block inside a block.
    static let parameterized = """
        dnnc: 1
        data: {train: {inputs: [[1, 2, 0], [2, 1, 1]], targets: [[1], [0]]}}
        model:
          input: [3]
          blocks:
            - name: ffn
              layers:
                - dense: {units: "${hidden}", activation: gelu}
                - dense: {units: "${width}"}
            - name: encoder
              layers:
                - attention: {heads: "${heads}", causal: true, name: att}
                - add: {inputs: [att, input]}
                - layernorm: {name: n1}
                - block: {use: ffn, with: {hidden: "${ffn}", width: "${width}"}, name: mlp}
                - add: {inputs: [mlp, n1]}
          layers:
            - embedding: {vocab: 3, dim: 4}
            - block: {use: encoder, with: {heads: 2, width: 4, ffn: 8}, name: enc1}
            - block: {use: encoder, with: {heads: 4, width: 4, ffn: 6}}
            - flatten
            - dense: {units: 2}
        train: {loss: cross_entropy, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
        """

    @Test func parametersAndNestedBlocksExpandPerInstance() throws {
        let ir = try model(Self.parameterized)
        #expect(ir.layers.map(\.name) == ["embedding_1", "enc1.att", "enc1.add_1", "enc1.n1", "enc1.mlp.dense_1", "enc1.mlp.dense_2", "enc1.add_2",
                                          "block_2.att", "block_2.add_1", "block_2.n1", "block_2.mlp.dense_1", "block_2.mlp.dense_2",
                                          "block_2.add_2", "flatten_1", "dense_1"])
        #expect((ir.layers[1].kind as? Attention)?.heads == 2 && (ir.layers[7].kind as? Attention)?.heads == 4)
        #expect(ir.layers[4].outputShape == [3, 8] && ir.layers[10].outputShape == [3, 6], "each instance its own ffn width")
        #expect(ir.layers[6].inputs == [5, 3], "`mlp` inside enc1 is the nested instance's last layer")
        #expect(ir.layers[7].inputs == [6], "the second instance reads the first's output")
        #expect(ir.parameters.map(\.name).contains("enc1.mlp.dense_1.weight"))
    }

    @Test func aBlockParameterIsCheckedWhereItIsUsed() throws {
        func first(_ text: String) throws -> Diagnostic { try #require(compile(text).diagnostics.all.first) }
        // Of the wrong type: at the `with:` value, with a note at the use.
        let wrong = Self.parameterized.replacingOccurrences(of: "heads: 2,", with: "heads: two,")
        expectDiagnostic(wrong, .wrongType, at: "two", onLineWith: "heads: two")
        #expect(try first(wrong).notes.map(\.message) == ["it is `${heads}` of block `encoder`, used here"])
        #expect(try first(wrong).notes[0].range?.start.line == 12)
        // A value lowering refuses: the error at the value, the note at the use.
        let split = Self.parameterized.replacingOccurrences(of: "heads: 2,", with: "heads: 3,")
        expectDiagnostic(split, .layerGeometry, at: "3", onLineWith: "heads: 3")
        #expect(try first(split).notes.contains { $0.message == "it is `${heads}` of block `encoder`, used here" && $0.range?.start.line == 12 })
        // Missing: at the use, the instance noted.
        let missing = Self.parameterized.replacingOccurrences(of: "heads: 2,", with: "")
        expectDiagnostic(missing, .missingKey, at: "\"${heads}\"", onLineWith: "attention")
        #expect(try first(missing).help == "add `heads: …` to the instance's `with:`")
        // Unknown: at the key, with did-you-mean.
        let unknown = Self.parameterized.replacingOccurrences(of: "ffn: 6}", with: "ffn: 6, haeds: 2}")
        expectDiagnostic(unknown, .unknownKey, at: "haeds", onLineWith: "haeds")
        #expect(try first(unknown).help == "did you mean `heads`?")
        // Outside a block, `${…}` is not a value.
        let outside = Self.parameterized.replacingOccurrences(of: "- dense: {units: 2}", with: "- dense: {units: \"${n}\"}")
        #expect(try first(outside).help == "`${n}` stands for a block parameter, which only a block's layers (under model.blocks) can use")
        // Unquoted inside `{…}`, YAML ends the scalar at `}`: the help says to quote it.
        let unquoted = Self.parameterized.replacingOccurrences(of: "units: \"${hidden}\"", with: "units: ${hidden}")
        #expect(try first(unquoted).help == "inside `{…}`, quote a block parameter: \"${name}\"")
    }

    @Test func blocksInsideBlocksAreBounded() throws {
        var text = "dnnc: 1\ndata: {train: {inputs: [[1]], targets: [[1]]}}\nmodel:\n  input: [1]\n  blocks:\n"
        text += "    - {name: b0, layers: [{dense: {units: 1}}, {dense: {units: 1}}]}\n"
        for i in 1 ..< 30 { text += "    - {name: b\(i), layers: [{block: {use: b\(i - 1)}}, {block: {use: b\(i - 1)}}]}\n" }
        text += "  layers: [{block: {use: b29}}]\ntrain: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1}\n"
        let error = try #require(compile(text).diagnostics.all.first)
        #expect(error.code == .modelTooLarge && error.message.hasSuffix("takes the model past 65536 layers"))
    }
}

struct PhaseTests {
    static let spec = DNNCoreTests.spec(replacing: "  epochs: 10", with: """
          epochs: 10
          phases:
            - {epochs: 4, freeze: [fc1]}
            - {epochs: 6, optimizer: {adam: {lr: 0.01}}}
        """)

    @Test func phasesChangeTheOptimizerAndFreezeLayers() throws {
        var ir = try model(Self.spec)
        #expect(ir.schedule.phases.map(\.epochs) == [4, 6])
        #expect(ir.schedule.phases[1].optimizer.name == "adam" && ir.schedule.phases[0].frozen == [0])
        ir.schedule.epochs = 4  // the first phase only
        let first = Trainer(model: ir)
        let fc1 = first.network.values(ofParameter: 0), fc2 = first.network.values(ofParameter: 2)
        first.train { _ in }
        #expect(first.network.values(ofParameter: 0) == fc1, "fc1 is frozen in phase 1")
        #expect(first.network.values(ofParameter: 2) != fc2, "fc2 trains")
        let whole = Trainer(model: try model(Self.spec))
        whole.train { _ in }
        #expect(whole.network.values(ofParameter: 0) != fc1, "fc1 trains in phase 2")
        #expect(whole.network.optimizer.name == "adam")
    }

    @Test func phasesMustAddUpAndFreezeKnownLayers() {
        expectDiagnostic(Self.spec.replacingOccurrences(of: "{epochs: 6,", with: "{epochs: 5,"), .phaseEpochs, at: "- {epochs: 4", onLineWith: "freeze")
        let unknown = Self.spec.replacingOccurrences(of: "freeze: [fc1]", with: "freeze: [fc3]")
        expectDiagnostic(unknown, .badReference, at: "fc3", onLineWith: "freeze")
    }
}
