// Step-by-step agreement with PyTorch: each fixture (made by tools/make_fixtures.py) holds a spec,
// initial parameters, and PyTorch's loss before each full-batch step, its first gradients and its
// parameters after the last step. Float32 on both sides, different summation orders: rtol 1e-5.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

struct PyTorchFixtureTests {
    static let folder = Repo.root.appendingPathComponent("Tests/DNNCoreTests/Fixtures")
    /// Every training fixture: the optimizers, their options, and the learning-rate schedules.
    static let names: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
        .filter { $0.hasSuffix(".json") && $0 != "ops.json" }.map { String($0.dropLast(5)) }.sorted()

    @Test func everyOptimizerAndScheduleHasAFixture() {
        for kind in Language.optimizers.kinds.map(\.name) { #expect(Self.names.contains { $0.hasPrefix(kind + "-") }, "\(kind)") }
        for kind in Language.schedules.kinds.map(\.name) where kind != "constant" {
            let dashed = kind.replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: "reduce-on-", with: "")
            #expect(Self.names.contains("schedule-\(dashed)-sgd-mse"), "\(kind)")
        }
    }

    @Test(arguments: names)
    func trainingMatchesPyTorchStepByStep(_ name: String) throws {
        let data = try Data(contentsOf: Self.folder.appendingPathComponent("\(name).json"))
        let fixture = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let ir = try model(try #require(fixture["spec"] as? String))
        let trainer = Trainer(model: ir)

        func tensors(_ key: String) throws -> [String: [Double]] {
            let raw = try #require(fixture[key] as? [String: Any])
            return raw.mapValues { value in
                let values = (value as? [String: Any])?["values"] ?? value
                return (values as! [NSNumber]).map(\.doubleValue)
            }
        }
        let initial = try tensors("initial")
        let initialTensors = ir.parameters.reduce(into: [String: Tensor]()) { result, p in
            result[p.name] = Tensor(shape: p.shape, values: initial[p.name]!.map { Float($0) })
        }
        try trainer.network.load(initialTensors)

        // The first step's gradients.
        let net = trainer.network
        net.load(trainer.inputs, rows: ArraySlice(0..<ir.train.inputs.rows), into: net.x)
        net.load(trainer.targets, rows: ArraySlice(0..<ir.train.inputs.rows), into: net.t)
        net.forward(rows: ir.train.inputs.rows)
        net.backward(rows: ir.train.inputs.rows)
        let gradients = try tensors("first_gradients")
        for (index, p) in ir.parameters.enumerated() {
            let analytic = net.gradient(ofParameter: index)
            let check = closeness(analytic, gradients[p.name]!, rtol: 1e-5, atol: 1e-6)
            #expect(check.worst <= 1, "\(name): gradient of \(p.name)[\(check.index)] is \(analytic[max(check.index, 0)]), PyTorch's \(gradients[p.name]![max(check.index, 0)])")
        }

        // Every step's loss, then the final parameters.
        var costs: [Double] = []
        trainer.train { costs.append($0.cost) }
        let expectedLosses = try #require(fixture["losses"] as? [NSNumber]).map(\.doubleValue)
        let lossCheck = closeness(costs.map { Float($0) }, expectedLosses, rtol: 1e-5, atol: 1e-7)
        #expect(costs.count == expectedLosses.count)
        #expect(lossCheck.worst <= 1, "\(name): losses \(costs) vs PyTorch \(expectedLosses)")
        let final = try tensors("final")
        for (index, p) in ir.parameters.enumerated() {
            let check = closeness(net.values(ofParameter: index), final[p.name]!, rtol: 1e-5, atol: 1e-6)
            #expect(check.worst <= 1, "\(name): \(p.name)[\(check.index)] after \(expectedLosses.count) steps")
            #expect(net.values(ofParameter: index).map(Double.init) != initial[p.name]!, "\(p.name) must have moved")
        }
    }
}

/// Forward values of every layer kind and activation, and every loss's value and gradient, against
/// PyTorch on the same inputs and parameters (Fixtures/ops.json).
struct PyTorchOpTests {
    nonisolated(unsafe) static let fixture: [String: Any] = {
        let data = try! Data(contentsOf: PyTorchFixtureTests.folder.appendingPathComponent("ops.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }()
    nonisolated(unsafe) static let ops = (fixture["ops"] as! [[String: Any]])
    nonisolated(unsafe) static let losses = (fixture["losses"] as! [[String: Any]])

    static func rows(_ value: Any?) -> [[Double]] { (value as! [[NSNumber]]).map { $0.map(\.doubleValue) } }

    @Test func everyLayerKindAndActivationHasAFixture() {
        let text = Self.ops.map { ($0["layers"] as! [String]).joined() }.joined()
        // dense has the training fixtures; a block is only its layers.
        for kind in Language.layers.kinds.map(\.name) where !["dense", "block"].contains(kind) {
            #expect(text.contains("- \(kind)"), "\(kind)")
        }
        for kind in Language.activations.kinds.map(\.name) where kind != "identity" {
            #expect(text.contains("fn: \(kind)") || text.contains("fn: {\(kind)"), "\(kind)")
        }
    }

    @Test(arguments: 0..<ops.count)
    func forwardMatchesPyTorch(_ index: Int) throws {
        let op = Self.ops[index]
        let name = op["name"] as! String
        let inputs = Self.rows(op["inputs"]), outputs = Self.rows(op["outputs"])
        let matrix = { (m: [[Double]]) in "[" + m.map { "[" + $0.map { "\($0)" }.joined(separator: ", ") + "]" }.joined(separator: ", ") + "]" }
        let text = """
            dnnc: 1
            data:
              train:
                inputs: \(matrix(inputs))
                targets: \(matrix(outputs))
            model:
              input: \(op["input_shape"] as! [Int])
              layers:
            \((op["layers"] as! [String]).map { "    " + $0 }.joined(separator: "\n"))
            train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
            """
        let ir = try model(text)
        let trainer = Trainer(model: ir)
        let network = trainer.network
        let tensors = op["tensors"] as! [String: [String: Any]]
        for (index, p) in ir.parameters.enumerated() {
            if let values = tensors[p.name]?["values"] as? [NSNumber] {
                network.setValues(ofParameter: index, values.map { Float($0.doubleValue) })
            } else {
                #expect(p.role == .runningMean || p.role == .runningVariance, "\(name): no values for \(p.name)")
            }
        }
        network.training = op["training"] as! Bool
        network.load(ir.train.inputs, rows: ArraySlice(0 ..< inputs.count), into: network.x)
        network.forward(rows: inputs.count)
        let got = Array(network.a.last![0 ..< inputs.count * ir.outputWidth])
        let check = closeness(got, outputs.flatMap { $0 }, rtol: 1e-5, atol: 1e-6)
        #expect(got.count == outputs.flatMap { $0 }.count)
        #expect(check.worst <= 1, "\(name): output \(check.index) is \(got[max(check.index, 0)]), PyTorch \(outputs.flatMap { $0 }[max(check.index, 0)])")
    }

    @Test(arguments: 0..<losses.count)
    func lossMatchesPyTorch(_ index: Int) throws {
        let entry = Self.losses[index]
        let name = entry["name"] as! String
        let p = Self.rows(entry["predictions"]), t = Self.rows(entry["targets"])
        let spec = "dnnc: 1\ndata: {train: {inputs: [[0]], targets: [[0]]}}\nmodel: {input: [1], layers: [dense: {units: 1}]}\n"
            + "train: {loss: \(entry["loss"] as! String), optimizer: {sgd: {lr: 0.1}}, epochs: 1}\n"
        let loss = Loss.lower(try #require(compile(spec).spec?["train"]?.record?["loss"]?.choice))
        let B = p.count, O = p[0].count, T = t[0].count
        let flatP = p.flatMap { $0.map(Float.init) }, flatT = t.flatMap { $0.map(Float.init) }
        let value = LossKernel.forward(loss, p: flatP, t: flatT, B: B, O: O, T: T)
        var gradient = [Float](repeating: 0, count: B * O)
        LossKernel.backward(loss, p: flatP, t: flatT, dp: &gradient, B: B, O: O, T: T)
        let expected = (entry["value"] as! NSNumber).doubleValue
        #expect(closeness([value], [expected], rtol: 1e-5, atol: 1e-6).worst <= 1, "\(name): \(value) vs PyTorch \(expected)")
        let check = closeness(gradient, Self.rows(entry["gradient"]).flatMap { $0 }, rtol: 1e-5, atol: 1e-6)
        #expect(check.worst <= 1, "\(name): gradient \(check.index) is \(gradient[max(check.index, 0)])")
    }
}
