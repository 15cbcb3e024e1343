// A trained model used for inference: the network in evaluation mode with a checkpoint's parameters,
// and the normalization it was trained with (from the checkpoint's metadata; fitted on the spec's
// training data only for a checkpoint that carries none). Rows go in and come out in batches.

import Foundation
import DNNSyntax
import DNNModel
import DNNCheckpoint

public final class Predictor {
    public let model: ModelIR
    public let network: Network
    public let inputNormalizer: Normalizer
    public let targetNormalizer: Normalizer
    /// Class names in index order, for a classifier.
    public let classes: [String]?
    /// How the input columns become the model's values: the checkpoint's, fitted on the rows it was
    /// trained on (the spec's, for a checkpoint that carries none).
    public let encoder: TabularEncoder?

    public init(model: ModelIR, checkpoint: Checkpoint, batch: Int = 256) throws(CheckpointError) {
        self.model = model
        network = Network(model: model, capacity: batch)
        // Every tensor, running statistics included, comes from the checkpoint: nothing to draw.
        try network.load(checkpoint.tensors)
        if let metadata = checkpoint.metadata {
            inputNormalizer = metadata.inputNormalizer
            targetNormalizer = metadata.targetNormalizer
            classes = metadata.classes ?? model.classes
            encoder = metadata.encoder ?? model.encoder
        } else {
            encoder = model.encoder
            if let stream = model.stream {
                do { inputNormalizer = try Normalizer(model.inputNormalization, fittedOn: stream) } catch {
                    throw CheckpointError("it has no normalization of its own, and fitting the spec's failed: \(error.message)")
                }
            } else {
                inputNormalizer = Normalizer(model.inputNormalization, fittedOn: model.train.inputs, scaled: model.encoder?.scaled)
            }
            targetNormalizer = Normalizer(model.appliedTargetNormalization, fittedOn: model.train.targets)
            classes = model.classes
        }
    }

    /// Values per input row, and per output row.
    public var inputWidth: Int { model.inputShape.reduce(1, *) }
    public var outputWidth: Int { model.outputWidth }

    /// The outputs of `rows` input rows (row-major): in the targets' units for regression, the output
    /// layer's values (scores, probabilities or log-probabilities) for a classifier.
    /// An input an embedding cannot look up is refused, never read through.
    public func outputs(_ inputs: [Float], rows: Int) throws(IndexViolation) -> [Float] {
        precondition(inputs.count == rows * inputWidth)
        let x = inputNormalizer.apply(DataMatrix(rows: rows, columns: inputWidth, values: inputs))
        if let bad = model.indexViolation(in: x.values) { throw bad }
        let out = network.outputs(x)
        guard !model.loss.isClassification else { return out }
        return targetNormalizer.invert(DataMatrix(rows: rows, columns: outputWidth, values: out)).values
    }

    /// Pixels read at another scale than training read them: image files (v / 255, pixelMax 1) for a
    /// model trained on a uint8 .npy (v, 255), or the reverse. A pixel is the same 8-bit value in both,
    /// so the rows are brought to the training's scale (v / 255 computed as the image decoder computes
    /// it), and the note to print says so. Other values (CSV, a float .npy) for a model trained on
    /// pixels are kept, with a warning when one lies outside the training's range [0, pixelMax]. Nil
    /// when there is nothing to say.
    public func matchPixels(_ values: inout [Float], readAs source: Float?, from name: String) -> String? {
        guard let trained = model.pixelMax else { return nil }
        guard let source else {
            guard let outside = values.first(where: { !($0 >= 0 && $0 <= trained) }) else { return nil }
            return "dnnc: warning: \(name) holds \(outside), outside [0, \(Format.number(Double(trained)))], the range of the "
                + (trained == ImageFiles.pixelMax ? "images the model was trained on (8-bit values v read as v / 255)" : "uint8 pixels the model was trained on")
                + "; they are taken as given"
        }
        guard source != trained else { return nil }
        DataTable.rescalePixels(&values, from: source, to: trained)
        return "dnnc: note: " + (source == ImageFiles.pixelMax ? "\(name)'s images are read as 8-bit values v, as the model's training set (a uint8 .npy) holds them, not as v / 255"
                                              : "\(name) holds 8-bit values v (uint8), read as v / 255, as the model's training images were")
    }

    /// A classifier's class probabilities from one output row (Metrics.probabilities).
    public func probabilities(_ row: ArraySlice<Float>) -> [Float] {
        Metrics.probabilities(row, after: model.layers.last!.activation)
    }

    /// The loss of labelled rows (targets in the data's units or class indices), computed as training
    /// computes it on normalized targets, combined as the loss's reduction combines samples.
    public func loss(inputs: [Float], targets: [Float], rows: Int) throws(IndexViolation) -> Double {
        let t = DataMatrix(rows: rows, columns: targets.count / max(rows, 1), values: targets)
        let x = inputNormalizer.apply(DataMatrix(rows: rows, columns: inputWidth, values: inputs))
        if let bad = model.indexViolation(in: x.values) { throw bad }
        return network.loss(x, targetNormalizer.applyToTargets(t, of: model.loss))
    }
}
