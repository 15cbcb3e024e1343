// The op registry is the one list of layer kinds (Ops/LayerOp.swift): the language table's layer
// kinds are its kinds, every lowered layer's op is the registered type of the kind written, and no
// source file outside Ops/ names a layer kind, so that a kind added is one file under Ops/.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

struct OpRegistryTests {
    @Test func theLanguagesLayerKindsAreTheRegistrysKinds() {
        let registered = Ops.layers.flatMap { $0.kinds.map(\.name) }
        #expect(Set(registered).count == registered.count, "a kind is registered twice: \(registered)")
        #expect(Language.layers.kinds.map(\.name) == registered + ["block"])
    }

    @Test func theLanguagesActivationsAreTheRegistrysActivations() throws {
        let registered = Ops.activations.flatMap { $0.kinds.map(\.name) }
        #expect(Set(registered).count == registered.count, "an activation is registered twice: \(registered)")
        #expect(Language.activations.kinds.map(\.name) == registered)
        // Each activation lowered from the language names itself, and a layer carries it.
        for name in registered {
            let ir = try model("""
                dnnc: 1
                data: {train: {inputs: [[1, 2], [3, 4]], targets: [[1], [2]]}}
                model: {input: [2], layers: [{dense: {units: 3, activation: \(name)}}, {dense: {units: 1}}]}
                train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
                """)
            #expect(ir.layers[0].activation.name == name)
            #expect(type(of: ir.layers[0].activation.function) == Ops.activation(named: name)!)
        }
    }

    @Test func theLanguagesOptimizersAreTheRegistrysRules() throws {
        let registered = Ops.optimizers.flatMap { $0.kinds.map(\.name) }
        #expect(Set(registered).count == registered.count, "an optimizer is registered twice: \(registered)")
        #expect(Language.optimizers.kinds.map(\.name) == registered)
        for name in registered {
            let ir = try model(baseSpec.replacingOccurrences(of: "{sgd: {lr: 0.01}}", with: "{\(name): {lr: 0.01}}"))
            #expect(ir.optimizer.name == name)
            #expect(ObjectIdentifier(ir.optimizer.rule) == ObjectIdentifier(Ops.optimizer(named: name)!))
        }
    }

    @Test func theLanguagesLossesAreTheRegistrysTypes() throws {
        let registered = Ops.losses.flatMap { $0.kinds.map(\.name) }
        #expect(Set(registered).count == registered.count, "a loss is registered twice: \(registered)")
        #expect(Language.losses.kinds.map(\.name) == registered)
        for name in registered {
            let choice = try #require(compile(baseSpec.replacingOccurrences(of: "loss: mse", with: "loss: \(name)")).spec?["train"]?.record?["loss"]?.choice)
            let loss = Loss.lower(choice)
            #expect(loss.name == name)
            #expect(type(of: loss.function) == Ops.loss(named: name)!)
        }
    }

    @Test func theLanguagesSchedulesAreTheRegistrysTypes() throws {
        let registered = Ops.schedules.flatMap { $0.kinds.map(\.name) }
        #expect(Set(registered).count == registered.count, "a schedule is registered twice: \(registered)")
        #expect(Language.schedules.kinds.map(\.name) == registered)
        let settings = ["step": "{every: 2}", "multistep": "{milestones: [2]}", "exponential": "{gamma: 0.9}", "one_cycle": "{max_lr: 0.1}"]
        for name in registered {
            let ir = try model(baseSpec.replacingOccurrences(of: "  epochs: 10", with: "  epochs: 10\n  schedule: {\(name): \(settings[name] ?? "{}")}"))
            #expect(ir.schedule.learningRate.name == name)
            #expect(type(of: ir.schedule.learningRate.rule) == Ops.schedule(named: name)!)
        }
    }

    @Test func everyLoweredLayerIsItsKindsRegisteredOp() throws {
        for op in PyTorchOpTests.ops {
            let layers = op["layers"] as! [String]
            let text = """
                dnnc: 1
                data: {train: {inputs: \(op["inputs"]!), targets: \(op["outputs"]!)}}
                model:
                  input: \(op["input_shape"] as! [Int])
                  layers:
                \(layers.map { "    " + $0 }.joined(separator: "\n"))
                train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 1}
                """
            let ir = try model(text)
            for (layer, written) in zip(ir.layers, layers) {
                let kind = String(written.dropFirst(2).prefix { $0 != ":" && $0 != " " })
                #expect(layer.kind.name == kind, "\(written)")
                let registered = try #require(Ops.layer(named: kind))
                #expect(type(of: layer.kind) == registered, "\(written)")
            }
        }
    }

    /// Losses and schedules are named only where they are defined (and in the PyTorch program's runtime,
    /// whose Python reads the names the types write). Metrics are another concept: `mae` is also one.
    @Test func noSourceOutsideOpsNamesALossOrASchedule() throws {
        let sources = Repo.root.appendingPathComponent("Sources")
        let names = (Ops.losses.flatMap { $0.kinds.map(\.name) } + Ops.schedules.flatMap { $0.kinds.map(\.name) })
            .filter { !Language.initializers.allNames.contains($0) }
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") && !$0.hasPrefix("DNNModel/Ops/") && !$0.hasSuffix("PyTorchRuntime.swift") }
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") && !line.contains("Metric(name:") {
                for name in names where line.contains("\"\(name)\"") {
                    Issue.record("\(file):\(number + 1) names `\(name)`: ask its type (Ops/Losses/, Ops/Schedules/) instead")
                }
            }
        }
    }

    @Test func noSourceOutsideOpsNamesALayerKind() throws {
        let sources = Repo.root.appendingPathComponent("Sources")
        // A kind whose name is also a key or a concept (`activation`; `embedding`, a categorical column's
        // key) is read as a key everywhere; the other kinds' names appear only under Ops/.
        let words = Set(Language.catalogs.flatMap { $0.kinds.flatMap { $0.params.map(\.name) } } + Language.catalogs.map(\.name))
        let kinds = Ops.layers.flatMap { $0.kinds.map(\.name) }.filter { !words.contains($0) }
        #expect(kinds.count >= 15)
        let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") && !$0.hasPrefix("DNNModel/Ops/") }
        #expect(files.count > 50)
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.trimmingCharacters(in: .whitespaces).hasPrefix("//") {
                for kind in kinds where line.contains("\"\(kind)\"") {
                    Issue.record("\(file):\(number + 1) names the layer kind `\(kind)`: ask its op (Ops/) instead")
                }
            }
        }
    }
}
