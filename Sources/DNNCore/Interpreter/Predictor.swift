// A trained model used for inference: the network in evaluation mode with a checkpoint's parameters,
// and the normalization it was trained with (from the checkpoint's metadata; fitted on the spec's
// training data only for a checkpoint that carries none). Rows go in and come out in batches.

import Foundation

public final class Predictor {
    public let model: ModelIR
    public let network: Network
    public let inputNormalizer: Normalizer
    public let targetNormalizer: Normalizer
    /// Class names in index order, for a classifier.
    public let classes: [String]?

    public init(model: ModelIR, checkpoint: Checkpoint, batch: Int = 256) throws(CheckpointError) {
        self.model = model
        network = Network(model: model, capacity: batch)
        network.initialize(seed: model.seed)
        try network.load(checkpoint.tensors)
        network.training = false
        if let metadata = checkpoint.metadata {
            inputNormalizer = metadata.inputNormalizer
            targetNormalizer = metadata.targetNormalizer
            classes = metadata.classes ?? model.classes
        } else {
            inputNormalizer = Normalizer(model.inputNormalization, fittedOn: model.train.inputs)
            targetNormalizer = Normalizer(model.loss.isClassification ? .none : model.targetNormalization, fittedOn: model.train.targets)
            classes = model.classes
        }
    }

    /// Values per input row, and per output row.
    public var inputWidth: Int { model.inputShape.reduce(1, *) }
    public var outputWidth: Int { model.outputWidth }

    /// The outputs of `rows` input rows (row-major): in the targets' units for regression, the output
    /// layer's values (scores, probabilities or log-probabilities) for a classifier.
    public func outputs(_ inputs: [Float], rows: Int) -> [Float] {
        precondition(inputs.count == rows * inputWidth)
        let x = inputNormalizer.apply(DataMatrix(rows: rows, columns: inputWidth, values: inputs))
        var out = [Float](repeating: 0, count: rows * outputWidth)
        var start = 0
        while start < rows {
            let batch = start ..< min(start + network.capacity, rows)
            network.load(x, rows: ArraySlice(batch), into: network.x)
            network.forward(rows: batch.count)
            for k in 0 ..< batch.count * outputWidth { out[start * outputWidth + k] = network.a.last![k] }
            start += network.capacity
        }
        let m = DataMatrix(rows: rows, columns: outputWidth, values: out)
        return model.loss.isClassification ? out : targetNormalizer.invert(m).values
    }

    /// A classifier's class probabilities from one output row (Metrics.probabilities).
    public func probabilities(_ row: ArraySlice<Float>) -> [Float] {
        Metrics.probabilities(row, after: model.layers.last!.activation)
    }

    /// The loss of labelled rows (targets in the data's units or class indices), computed as training
    /// computes it, on normalized targets. For a sum-reduced loss the sum; for a mean-reduced one the
    /// sum of the per-sample losses (divide by the rows of the whole set for its mean).
    public func loss(inputs: [Float], targets: [Float], rows: Int) -> Double {
        let x = inputNormalizer.apply(DataMatrix(rows: rows, columns: inputWidth, values: inputs))
        let t = DataMatrix(rows: rows, columns: targets.count / max(rows, 1), values: targets)
        let y = model.loss.isClassification && t.columns == 1 ? t : targetNormalizer.apply(t)
        var total = 0.0
        var start = 0
        while start < rows {
            let batch = ArraySlice(start ..< min(start + network.capacity, rows))
            network.load(x, rows: batch, into: network.x)
            network.load(y, rows: batch, into: network.t)
            network.forward(rows: batch.count)
            total += Double(network.loss(rows: batch.count)) * (model.loss.reduction == .sum ? 1 : Double(batch.count))
            start += network.capacity
        }
        return total
    }
}
