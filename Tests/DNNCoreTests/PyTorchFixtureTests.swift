// Step-by-step agreement with PyTorch: each fixture (made by tools/make_fixtures.py) holds a spec,
// initial parameters, and PyTorch's loss before each full-batch step, its first gradients and its
// parameters after the last step. Float32 on both sides, different summation orders: rtol 1e-5.

import Foundation
import Testing
@testable import DNNCore

struct PyTorchFixtureTests {
    static let names = ["sgd-tanh-mse", "sgd-nesterov-prelu-huber", "sgd-momentum-sigmoid-sse",
                        "adam-leaky-mae", "adam-betas-relu-mse"]

    @Test(arguments: names)
    func trainingMatchesPyTorchStepByStep(_ name: String) throws {
        let data = try Data(contentsOf: Repo.root.appendingPathComponent("Tests/DNNCoreTests/Fixtures/\(name).json"))
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
            let check = closeness(net.gradient(ofParameter: index), gradients[p.name]!, rtol: 1e-5, atol: 1e-6)
            #expect(check.worst <= 1, "\(name): gradient of \(p.name)[\(check.index)]")
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
