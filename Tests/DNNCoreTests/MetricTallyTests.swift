// The metrics added a batch of rows at a time (MetricTally): the same figures and report whatever the
// batches, and a streamed training set measured and predicted as the same set in memory.

import Foundation
import Testing
import DNNSyntax
import DNNModel
import DNNCore
@testable import DNNRuntime

struct MetricTallyTests {
    /// A model of `outputs` units under `loss`, on `rows` rows of 3 inputs with the given targets.
    static func model(loss: String, outputs: Int, targets: [[Float]], classes: [String]? = nil) throws -> ModelIR {
        let inputs = targets.indices.map { r in "[\(r), \(r % 3), 1]" }.joined(separator: ", ")
        let rows = targets.map { "[" + $0.map { String($0) }.joined(separator: ", ") + "]" }.joined(separator: ", ")
        let text = """
            dnnc: 1
            seed: 1
            data:
              train:
                inputs: [\(inputs)]
                targets: [\(rows)]
            \(classes.map { "  classes: [\($0.joined(separator: ", "))]\n" } ?? "")model:
              input: [3]
              layers:
                - dense: {units: \(outputs)}
            train: {loss: \(loss), optimizer: {sgd: {lr: 0.1}}, epochs: 1, batch_size: 4}
            """
        let result = Compiler.compile(SourceFile(path: "t.yaml", text: text))
        #expect(!result.diagnostics.hasErrors, "\(result.diagnostics.all.map(\.message))")
        return try #require(result.model)
    }

    /// Deterministic scores in [-2, 2), with ties: a quarter of them on a coarse grid.
    static func scores(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E3779B97F4A7C15 | 1
        return (0 ..< count).map { k in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let x = Float(state % 4000) / 1000 - 2
            return k % 4 == 0 ? (x * 2).rounded() / 2 : x
        }
    }

    /// The tally of `predictions` added in pieces of the given sizes (cycled).
    static func tally(_ model: ModelIR, _ predictions: DataMatrix, pieces: [Int]) -> MetricTally {
        var tally = MetricTally(model, targets: model.train.targets)
        var start = 0, k = 0
        while start < predictions.rows {
            let end = min(start + pieces[k % pieces.count], predictions.rows)
            tally.add(DataMatrix(rows: end - start, columns: predictions.columns,
                                 values: Array(predictions.values[start * predictions.columns ..< end * predictions.columns])))
            start = end
            k += 1
        }
        return tally
    }

    @Test func batchesGiveTheSameMetricsAndReportAsOnePiece() throws {
        let rows = 37
        let classifier = try Self.model(loss: "cross_entropy", outputs: 7, targets: (0 ..< rows).map { [Float(($0 * 5) % 7)] })
        let binary = try Self.model(loss: "bce_with_logits", outputs: 1, targets: (0 ..< rows).map { [Float(($0 * 7) % 3 == 0 ? 1 : 0)] })
        let regression = try Self.model(loss: "mse", outputs: 2, targets: (0 ..< rows).map { [Float($0) / 4, Float(rows - $0) / 3] })
        for (model, width) in [(classifier, 7), (binary, 1), (regression, 2)] {
            let predictions = DataMatrix(rows: rows, columns: width, values: Self.scores(rows * width, seed: UInt64(width)))
            let whole = Metrics.measure(model, predictions: predictions, targets: model.train.targets)
            #expect(whole.count == (width == 7 ? 2 : 3), "\(whole.map(\.name))")
            for pieces in [[1], [4], [5, 1, 16], [rows]] {
                let tally = Self.tally(model, predictions, pieces: pieces)
                #expect(tally.rows == rows)
                #expect(tally.metrics() == whole, "\(pieces)")
                if width == 7 {
                    #expect(tally.classificationReport(set: "training") == Self.tally(model, predictions, pieces: [rows]).classificationReport(set: "training"))
                }
            }
        }
        // The classifier's figures, counted here from the definitions: a hit when no class scores above
        // the label, nor as high at a lower index; top 5 when fewer than 5 do.
        let predictions = Self.scores(rows * 7, seed: 7)
        var top1 = 0, top5 = 0
        for r in 0 ..< rows {
            let row = Array(predictions[r * 7 ..< r * 7 + 7]), label = (r * 5) % 7
            let above = row.indices.filter { row[$0] > row[label] || (row[$0] == row[label] && $0 < label) }.count
            top1 += above < 1 ? 1 : 0
            top5 += above < 5 ? 1 : 0
        }
        let measured = Metrics.measure(classifier, predictions: DataMatrix(rows: rows, columns: 7, values: predictions), targets: classifier.train.targets)
        #expect(measured == [Metric(name: "accuracy", value: Double(top1) / Double(rows)), Metric(name: "top5", value: Double(top5) / Double(rows))])
        #expect(top1 > 0 && top1 < rows && top5 > top1, "the scores test both outcomes")
    }

    @Test func aNaNScoreHasNoCurve() {
        #expect(Metrics.areas(positives: [0.5, .nan], negatives: [0.1]) == nil)
        #expect(Metrics.areas(positives: [0.5, 0.2], negatives: [0.1, 0.2]).map { $0.roc } == 0.875)
    }
}

/// A streamed training set, measured batch by batch without keeping its outputs, reports what the same
/// set in memory reports: every log's metrics, the classification report and the predictions.
struct StreamedMeasureTests {
    @Test func aStreamedSetIsMeasuredAndPredictedAsInMemory() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(NpyStreamTests.labels(23)).write(to: url.appendingPathComponent("y.npy"))
        try Data(NpyStreamTests.npy("<f4", rows: 23, columns: 6, seed: 5)).write(to: url.appendingPathComponent("x.npy"))
        func model(_ inputs: String, _ rest: String) throws -> ModelIR {
            let result = Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path, text: NpyStreamTests.spec(inputs, rest: rest)))
            #expect(!result.diagnostics.hasErrors, "\(result.diagnostics.all.map(\.message))")
            return try #require(result.model)
        }
        for rest in ["", "  validation: {split: 0.3}"] {
            let memory = Trainer(model: try model("{file: x.npy}", rest))
            let streamed = Trainer(model: try model("{file: x.npy, stream: true}", rest))
            var memoryLogs: [EpochLog] = [], streamedLogs: [EpochLog] = []
            memory.train(TrainingOptions(watchHealth: true)) { memoryLogs.append($0) }
            streamed.train(TrainingOptions(watchHealth: true)) { streamedLogs.append($0) }
            #expect(memoryLogs.count == 3 && streamedLogs == memoryLogs, "\(rest)")
            // DNNC_TIMING's wait for the loader: a streamed set's, none for a set in memory.
            #expect(memory.loaderWaitSeconds == nil && (streamed.loaderWaitSeconds ?? -1) >= 0)
            #expect(Metrics.classificationReport(streamed.model, trainer: streamed) == Metrics.classificationReport(memory.model, trainer: memory))
            // The predictions: the set in memory's at once, the streamed set's a batch (4 rows) at a time.
            var whole: [DataMatrix] = [], batches: [DataMatrix] = []
            memory.trainingPredictions { whole.append($0) }
            streamed.trainingPredictions { batches.append($0) }
            let rows = memory.model.train.inputs.rows
            #expect(whole.count == 1 && whole[0].rows == rows)
            #expect(batches.count == (rows + 3) / 4 && batches.flatMap(\.values) == whole[0].values)
            var firstFive: [DataMatrix] = []
            streamed.trainingPredictions(upTo: 5) { firstFive.append($0) }
            #expect(firstFive.map(\.rows) == [4, 1] && firstFive.flatMap(\.values) == Array(whole[0].values.prefix(5 * 3)))
            // What `dnnc run` prints of them, in either format.
            for format in [LogFormat.jsonl, .text] {
                func printed(_ trainer: Trainer) -> String {
                    var out = ""
                    RunReport.predictions(inputs: trainer.model.train.inputs, predictions: trainer.trainingPredictions, targets: trainer.model.train.targets,
                                          format: format, classes: ["a", "b", "c"]) { out += $0 }
                    return out
                }
                let own = printed(memory), read = printed(streamed)
                // Text shows a streamed row by its number, a row in memory by its values.
                #expect(format == .jsonl ? read == own : read.components(separatedBy: "\n").count == own.components(separatedBy: "\n").count)
                #expect(read.hasPrefix(format == .jsonl ? "{\"predictions\":[[" : "predictions (\(min(20, rows)) of \(rows) rows):"), "\(read.prefix(80))")
            }
        }
    }
}

/// A watched update measures itself in its own pass, a chunk at a time over the threads: its per-layer
/// sums are the Doubles of one squaredDistance call per layer, for any thread count, and it steps the
/// parameters to the same bits as an update that does not watch.
struct WatchSquaresTests {
    @Test func aWatchedUpdateSumsAsOneCallPerLayerWhateverTheThreads() throws {
        // 200 → 200 (40,200 values: three pieces, the last not a whole chunk) → dropout (none) → 3: enough
        // values (2 pieces' worth) for the threads. SGD with momentum, clipped by value, so that the
        // gradients' squares are taken before the clip and the step reads and writes its state.
        let text = """
            dnnc: 1
            seed: 4
            data: {train: {inputs: [[\((0 ..< 200).map { String($0 % 7) }.joined(separator: ", "))]], targets: [[1, 0, 2]]}}
            model:
              input: [200]
              layers:
                - dense: {units: 200, activation: tanh}
                - dropout: {rate: 0.1}
                - dense: {units: 3}
            train: {loss: mse, optimizer: {sgd: {lr: 0.1, momentum: 0.9}}, epochs: 1, batch_size: 1, clip: {value: {max: 1}}}
            """
        let result = Compiler.compile(SourceFile(path: "t.yaml", text: text))
        let model = try #require(result.model, "\(result.diagnostics.all.map(\.message))")
        // Two steps from the same start, the second with momentum in the state; gradients beyond the clip.
        func network(threads: Int) -> Network {
            let network = Network(model: model, capacity: 1)
            network.initialize(seed: 4)
            network.threads = threads
            return network
        }
        func gradients(_ network: Network, step: Int) {
            for i in network.grads.indices { network.grads[i] = Float((i * 7 + step) % 23) / 5 - 2.2 }
        }
        let plain = network(threads: 1)
        let n = plain.parameterCount
        #expect(n == 200 * 200 + 200 + 200 * 3 + 3 && n >= 2 * Network.updateBlock && plain.layerRanges[1].isEmpty)
        var plainSteps: [[Float]] = []
        for step in 1 ... 2 {
            gradients(plain, step: step)
            #expect(plain.update(step: step, learningRate: 0.1))
            plainSteps.append(Array(plain.params))
        }
        for threads in [1, 2, 3] {
            let watched = network(threads: threads)
            for step in 1 ... 2 {
                gradients(watched, step: step)
                let g = watched.grads.baseAddress!, p = watched.params.baseAddress!, before = Array(watched.params)
                let gradientSquares = watched.layerRanges.map { squaredDistance(g + $0.lowerBound, nil, count: $0.count) }
                let sizes = watched.layerRanges.map { squaredDistance(p + $0.lowerBound, nil, count: $0.count) }
                #expect(watched.update(step: step, learningRate: 0.1, watching: true))
                #expect(Array(watched.params) == plainSteps[step - 1], "\(threads) threads, step \(step): the same step as unwatched")
                let moves = before.withUnsafeBufferPointer { b in
                    watched.layerRanges.map { squaredDistance(p + $0.lowerBound, b.baseAddress! + $0.lowerBound, count: $0.count) }
                }
                #expect(watched.watched.gradients == gradientSquares, "\(threads) threads, step \(step)")
                #expect(watched.watched.sizes == sizes, "\(threads) threads, step \(step)")
                #expect(watched.watched.moves == moves, "\(threads) threads, step \(step)")
                #expect(gradientSquares[1] == 0 && moves[0] > 0 && moves[2] > 0)
                // The clip bit: what was summed is the gradient before it, larger than what stepped.
                #expect(watched.grads.allSatisfy { abs($0) <= 1 } && gradientSquares[0] > Double(watched.layerRanges[0].count))
            }
        }
    }
}
