// The interpreter's pieces beside the kernels: the generator, initializers, normalization, checkpoints.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

struct InterpreterTests {
    @Test func generatorIsDeterministicAndStreamsDiffer() {
        var a = RandomStream(seed: 42, stream: 0), b = RandomStream(seed: 42, stream: 0)
        var c = RandomStream(seed: 42, stream: 1), d = RandomStream(seed: 43, stream: 0)
        let first = (0..<5).map { _ in a.next() }
        #expect(first == (0..<5).map { _ in b.next() })
        #expect(first != (0..<5).map { _ in c.next() })
        #expect(first != (0..<5).map { _ in d.next() })
        var u = RandomStream(seed: 1, stream: 0)
        let draws = (0..<10_000).map { _ in u.uniform() }
        #expect(draws.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(draws.reduce(0, +) / 10_000 - 0.5) < 0.01)
        var k = RandomStream(seed: 1, stream: 0)
        var counts = [0, 0, 0]
        for _ in 0..<9_000 { counts[k.index(below: 3)] += 1 }
        #expect(counts.allSatisfy { abs($0 - 3_000) < 200 }, "\(counts)")
    }

    @Test func initializersDrawWhatTheyPromise() {
        func draw(_ initializer: Initializer, fanIn: Int = 30, fanOut: Int = 20, n: Int = 20_000) -> [Float] {
            var rng = RandomStream(seed: 5, stream: 0)
            var values = [Float](repeating: .nan, count: n)
            values.withUnsafeMutableBufferPointer {
                Initializers.fill($0, with: initializer, fanIn: fanIn, fanOut: fanOut, rng: &rng)
            }
            return values
        }
        func stats(_ v: [Float]) -> (mean: Double, std: Double) {
            let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
            let variance = v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(v.count)
            return (mean, variance.squareRoot())
        }
        let truncated = draw(.truncatedNormal(mean: 1, stddev: 0.1))
        #expect(truncated.allSatisfy { abs($0 - 1) <= 0.2 + 1e-6 })
        // A normal truncated at ±2σ keeps 0.8796 of σ.
        #expect(abs(stats(truncated).std - 0.1 * 0.8796) < 0.002)
        let normal = stats(draw(.normal(mean: -2, stddev: 0.5)))
        #expect(abs(normal.mean + 2) < 0.01 && abs(normal.std - 0.5) < 0.01)
        let limit = Float((6.0 / 50).squareRoot())
        let glorot = draw(.glorotUniform)
        #expect(glorot.allSatisfy { abs($0) <= limit } && glorot.contains { abs($0) > 0.95 * limit })
        #expect(abs(stats(draw(.heNormal)).std - (2.0 / 30).squareRoot()) < 0.005)
        #expect(draw(.constant(0.25), n: 4) == [0.25, 0.25, 0.25, 0.25])
        #expect(draw(.zeros, n: 3) == [0, 0, 0])
    }

    @Test func standardNormalizationMatchesStandardScaler() {
        let data = DataMatrix(rows: 4, columns: 2, values: [0, 5, 2, 5, 4, 5, 6, 5])
        let n = Normalizer(.standard, fittedOn: data)
        // Column 0: mean 3, population std sqrt(5); column 1 is constant: centred, not scaled.
        #expect(n.shift == [3, 5])
        let root5 = Double(5).squareRoot()
        #expect(n.scale == [root5, 1])
        let applied = n.apply(data)
        #expect(applied.values[0] == Float(-3 / root5))
        #expect(applied.values[1] == 0)
        #expect(n.invert(applied).values.enumerated().allSatisfy { abs($0.element - data.values[$0.offset]) < 1e-6 })
    }

    @Test func minmaxMapsToTheUnitInterval() {
        let data = DataMatrix(rows: 3, columns: 2, values: [2, 1, 4, 1, 6, 1])
        let n = Normalizer(.minmax, fittedOn: data)
        #expect(n.apply(data).values == [0, 0, 0.5, 0, 1, 0])
    }

    @Test func normalizedTargetsArePredictedInOriginalUnits() throws {
        let text = baseSpec
            .replacingOccurrences(of: "model:\n", with: "  normalize: {inputs: standard, targets: minmax}\nmodel:\n")
            .replacingOccurrences(of: "[[1.6666667], [3.6666667], [1.0], [1.6666667]]", with: "[[100], [300], [200], [400]]")
            .replacingOccurrences(of: "epochs: 10", with: "epochs: 3000")
            .replacingOccurrences(of: "activation: relu", with: "activation: tanh")
        let ir = try model(text)
        #expect(ir.inputNormalization == .standard && ir.targetNormalization == .minmax)
        let trainer = Trainer(model: ir)
        #expect(trainer.targets.values == [0, 2.0 / 3, 1.0 / 3, 1])
        trainer.train { _ in }
        let predictions = trainer.predict(ir.train.inputs).values
        for (p, t) in zip(predictions, [Float(100), 300, 200, 400]) {
            #expect(abs(p - t) < 5, "prediction \(p) for target \(t)")
        }
    }

    @Test func safetensorsRoundTripIsBitExact() throws {
        let ir = try model(spec(replacing: "activation: relu", with: "activation: prelu"))
        let trainer = Trainer(model: ir)
        trainer.train { _ in }
        let bytes = SafeTensors.encode(trainer.network.checkpointTensors())
        #expect((8 + Int(bytes[0]) + Int(bytes[1]) << 8) % 8 == 0, "the header is padded to 8 bytes")
        let decoded = try SafeTensors.decode(bytes)
        #expect(decoded.keys.sorted() == ["fc1.bias", "fc1.prelu", "fc1.weight", "fc2.bias", "fc2.weight"])
        let fresh = Trainer(model: ir)
        try fresh.network.load(decoded)
        for index in ir.parameters.indices {
            #expect(fresh.network.values(ofParameter: index).map(\.bitPattern)
                    == trainer.network.values(ofParameter: index).map(\.bitPattern))
        }
        #expect(fresh.predict(ir.train.inputs) == trainer.predict(ir.train.inputs))
    }

    @Test func corruptCheckpointsAreErrorsNotCrashes() {
        func message(_ bytes: [UInt8]) -> String? {
            do { _ = try SafeTensors.decode(bytes); return nil } catch { return error.description }
        }
        #expect(message([1, 2]) == "the file is too short to be safetensors")
        #expect(message([255, 255, 255, 255, 0, 0, 0, 0, 123]) != nil)
        let good = SafeTensors.encode([("w", Tensor(shape: [2], values: [1, 2]))])
        #expect(message(Array(good.dropLast(4)))?.contains("outside the file's data") == true)
        var header = Array("{\"w\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}".utf8)
        while header.count % 8 != 0 { header.append(32) }
        let f16 = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header + [0, 0]
        #expect(message(f16) == "tensor `w` is F16; dnnc reads F32 only")
    }

    @Test func atomicWriteLeavesNoTemporaryFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dnnc-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("m.safetensors").path
        try SafeTensors.writeAtomically([1, 2, 3], to: path)
        try SafeTensors.writeAtomically([4, 5], to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data([4, 5]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["m.safetensors"])
    }

    @Test func theDefaultBatchSizeIsClampedToTheTrainingSet() throws {
        let ir = try model(spec(replacing: "  batch_size: 1\n", with: ""))
        #expect(ir.schedule.batchSize == 4, "32, clamped to the 4 samples")
        let trainer = Trainer(model: ir)
        #expect(trainer.network.capacity == 4)
        _ = trainer.runEpoch()
        #expect(trainer.steps == 1)
        let three = Trainer(model: try model(spec(replacing: "batch_size: 1", with: "batch_size: 3")))
        _ = three.runEpoch()
        #expect(three.steps == 2, "4 rows in batches of 3: a full batch and a batch of 1")
    }
}
