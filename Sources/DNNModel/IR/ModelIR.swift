// The verified model: layers with inferred shapes and their parameters, the data, the loss, the
// optimizer and the schedule. Everything the interpreter needs, nothing that refers back to YAML
// except source ranges kept for messages.

import DNNSyntax

public enum Initializer: Sendable, Equatable {
    case zeros
    case ones
    case constant(Float)
    case uniform(low: Double, high: Double)
    case normal(mean: Double, stddev: Double)
    case truncatedNormal(mean: Double, stddev: Double)
    case glorotUniform
    case glorotNormal
    case heUniform
    case heNormal
}

/// An optimizer with PyTorch's hyperparameters (its param group); its rule (Ops/Optimizers/) reads the
/// ones it has and updates with them.
public struct Optimizer: Sendable, Equatable {
    /// The optimizer's name; each rule's file declares its own (`.sgd` in SGD.swift). Held as its place
    /// among the registry's names, so that an Optimizer copies as plain bytes in every step.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        /// Every optimizer's name with its rule, in the registry's order.
        static let registered: [(name: String, rule: any OptimizerRule.Type)] =
            Ops.optimizers.flatMap { rule in rule.kinds.map { ($0.name, rule) } }
        let index: Int

        /// The kind of a registered optimizer's name.
        public init(_ name: String) {
            guard let index = Self.registered.firstIndex(where: { $0.name == name }) else {
                preconditionFailure("optimizer \(name) is not registered")
            }
            self.index = index
        }

        public var rawValue: String { Self.registered[index].name }
        public var description: String { rawValue }
        var rule: any OptimizerRule.Type { Self.registered[index].rule }
    }

    public var kind: Kind
    public var lr: Double
    public var momentum = 0.0
    public var dampening = 0.0
    public var nesterov = false
    public var beta1 = 0.9
    public var beta2 = 0.999
    public var eps = 1e-8
    public var alpha = 0.99
    public var centered = false
    public var lrDecay = 0.0
    public var weightDecay = 0.0

    public init(_ kind: Kind, lr: Double) {
        self.kind = kind
        self.lr = lr
    }

    public var name: String { kind.rawValue }
    public var learningRate: Double { lr }
    /// The rule of its kind (Ops.optimizers).
    public var rule: any OptimizerRule.Type { kind.rule }
}

/// Gradient clipping before each step, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
public enum Clipping: Sendable, Equatable {
    case none
    case norm(Double)
    case value(Double)
}

public enum Normalization: String, Sendable, Equatable {
    case none
    case standard
    case minmax
}

/// A tensor of a layer, named as PyTorch names it (`fc1.weight`). Learnable ones are trained; the
/// others (batchnorm's running statistics) are updated by the layer itself and saved beside them.
public struct Parameter: Sendable, Equatable {
    public enum Role: Sendable, Equatable { case weight, bias, preluSlope, runningMean, runningVariance }

    public var name: String
    public var role: Role
    public var shape: [Int]
    public var initializer: Initializer
    /// Inputs and outputs per unit, for the fan-scaled initializers.
    public var fanIn: Int
    public var fanOut: Int

    public var count: Int { shape.reduce(1, *) }
    public var isLearnable: Bool { role != .runningMean && role != .runningVariance }
}

public struct Layer: Sendable {
    public var name: String
    /// Its op, with the geometry lowering inferred (Ops/).
    public var kind: any LayerOp
    public var activation: Activation
    /// The layers it reads, by index; -1 is the model's input.
    public var inputs: [Int]
    /// The shape of each input, per sample.
    public var inputShapes: [[Int]]
    public var outputShape: [Int]
    public var parameters: [Parameter]
    /// Penalties on the weights added to the loss: l1·Σ|w| + l2·Σw².
    public var l1: Float = 0
    public var l2: Float = 0
    /// Where the layer is written in the spec.
    public var range: SourceRange
    /// Where its parts are written: what diagnostics after lowering point at.
    public var source: LayerSource

    public var inputShape: [Int] { inputShapes.first ?? [] }
    public var outputSize: Int { outputShape.reduce(1, *) }
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
    public var learnableCount: Int { parameters.filter(\.isLearnable).reduce(0) { $0 + $1.count } }
}

/// Where a layer's parts are written in the spec.
public struct LayerSource: Sendable {
    /// The kind's name (`dense` in `- dense: {units: 8}`).
    public var kind: SourceRange
    /// The `name` value, or the kind's name when the name is the default `<kind>_<n>`.
    public var name: SourceRange
    /// The key that sets the output's width (dense's `units`, a convolution's `filters`), where the op has one.
    public var width: SourceRange?
    /// The activation (`activation`, or an activation layer's `fn`), where written.
    public var activation: SourceRange?
    /// The `weights` initializer, where written.
    public var weights: SourceRange?

    public init(kind: SourceRange, name: SourceRange, width: SourceRange? = nil, activation: SourceRange? = nil, weights: SourceRange? = nil) {
        self.kind = kind
        self.name = name
        self.width = width
        self.activation = activation
        self.weights = weights
    }
}

/// A matrix of samples, row-major, with where it was written.
public struct DataMatrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var values: [Float]

    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(values.count == rows * columns)
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A streamed set's stand-in (ModelIR.stream holds its images): its shape, and no values.
    public init(streamedRows rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        values = []
    }

    /// Whether the values are on disk, read a batch at a time (ModelIR.stream), not here.
    public var isStreamed: Bool { values.isEmpty && rows > 0 && columns > 0 }

    public func row(_ r: Int) -> ArraySlice<Float> { values[r * columns ..< (r + 1) * columns] }
}

public struct Dataset: Sendable {
    public var inputs: DataMatrix
    public var targets: DataMatrix
}

/// Stop when the monitored loss has not improved by min_delta for `patience` evaluations.
public struct EarlyStopping: Sendable, Equatable {
    /// "loss" (the training cost) or "val_loss".
    public var monitor: String
    public var patience: Int
    public var minDelta: Double
    public var restoreBest: Bool

    /// What `monitor` watches when the spec does not say (early stopping and reduce_on_plateau): the
    /// validation loss when there is validation data, else the training cost, as Keras and Lightning do.
    public static func defaultMonitor(hasValidation: Bool) -> String { hasValidation ? "val_loss" : "loss" }
}

/// A stage of training: its epochs, its optimizer (state reset at its start) and the layers it freezes.
public struct Phase: Sendable, Equatable {
    public var epochs: Int
    public var optimizer: Optimizer
    /// Indices of the layers whose parameters stay unchanged.
    public var frozen: [Int]
}

/// `train.checkpoint`: every `every` epochs the training state is written to `folder` as
/// `epoch-NNNNNN.safetensors`, and all but the newest `keep` of the run's are deleted.
public struct TensorBoardPolicy: Sendable, Equatable {
    public var folder: String
    public var histogramEvery: Int

    public init(folder: String, histogramEvery: Int) {
        self.folder = folder
        self.histogramEvery = histogramEvery
    }
}

public struct CheckpointPolicy: Sendable, Equatable {
    public var every: Int
    public var keep: Int
    /// The folder resolved and confined to the project (FilePolicy.resolveOutputFolder): absolute.
    public var folder: String
    /// The folder as the spec wrote it (or its default), relative to the spec's folder.
    public var written: String

    public init(every: Int, keep: Int, folder: String, written: String? = nil) {
        self.every = every
        self.keep = keep
        self.folder = folder
        self.written = written ?? folder
    }
}

public struct Schedule: Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var shuffle: Bool
    public var logEvery: Int
    public var learningRate: LRSchedule = .constant
    /// Batches of linear warmup at the start.
    public var warmup = 0
    public var clip: Clipping = .none
    public var validateEvery = 1
    public var earlyStopping: EarlyStopping? = nil
    /// Empty for a single phase with the model's optimizer.
    public var phases: [Phase] = []
    /// Where and how often the whole training state is saved, for `dnnc run --resume`.
    public var checkpoint: CheckpointPolicy? = nil
    /// `train.tensorboard`: the event files' folder, resolved and confined to the project, and the
    /// epochs between weight histograms.
    public var tensorboard: TensorBoardPolicy? = nil

    /// Epoch numbers (from 0) after which the cost is logged: every `logEvery`-th, and the last.
    public func logs(epoch: Int) -> Bool { epoch % logEvery == 0 || epoch == epochs - 1 }
}

public struct ModelIR: Sendable {
    public var name: String
    public var seed: UInt64
    public var train: Dataset
    /// Held-out data, evaluated every `schedule.validateEvery` epochs.
    public var validation: Dataset? = nil
    /// `data.test`: evaluated once, after training, and reported apart.
    public var test: Dataset? = nil
    /// For classification: the class names, in index order (names given in the spec or the data).
    public var classes: [String]? = nil
    /// The header names of the training CSV's columns the model reads as inputs, and as targets, in
    /// order (nil for inline data, .npy files and files without a header): `predict` and `evaluate`
    /// read a CSV with a header by these names.
    public var inputColumns: [String]? = nil
    public var targetColumns: [String]? = nil
    /// How the input columns become the model's input values (categories, two-valued columns, empty
    /// cells), fitted on the training rows; nil for a table of numbers read as they are.
    public var encoder: TabularEncoder? = nil
    /// Characters per window when the model trains on a text (`data.train: {text, context}`): its
    /// classes are the text's characters, and `dnnc generate` samples from it.
    public var textContext: Int? = nil
    /// `stream: true`: the training inputs, read from disk a batch at a time (an image set's files or a
    /// .npy file's rows); `train.inputs` is then a stand-in without values (DataMatrix.isStreamed).
    public var stream: (any SampleStream)? = nil
    /// `data.augment`, in order: what the trainer does to each training sample before normalization.
    public var augmentations: [Augmentation] = []
    /// The largest value a training input can hold as read: 1 for image files, 255 for a uint8 .npy
    /// (brightness clamps there); nil for other data.
    public var pixelMax: Float? = nil
    /// For an image set: each training sample's path as shown, for the run's table of predictions (for
    /// a streamed .npy file: its first hundred rows' places in the file).
    public var sampleNames: [String]? = nil
    /// What `dnnc check` says about the data besides diagnostics: an image set's images per class.
    public var dataSummary: [String] = []
    /// The data files read, as canonical paths (outputs must not overwrite them).
    public var dataFiles: [String] = []
    public var inputNormalization: Normalization
    /// The spec's `normalize.targets`, as written; what the targets get is `appliedTargetNormalization`.
    public var targetNormalization: Normalization
    public var inputShape: [Int]
    public var layers: [Layer]
    public var loss: Loss
    public var optimizer: Optimizer
    public var schedule: Schedule

    /// The normalization the targets get: the spec's, except that class indices are labels and are
    /// never normalized. Training, prediction, the exports, lint and checkpoints all ask this.
    public var appliedTargetNormalization: Normalization { loss.isClassification ? .none : targetNormalization }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    /// The width of one target row: 1 for class indices, else the output width.
    public var targetWidth: Int { train.targets.columns }
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }
    public var outputWidth: Int { layers.last?.outputShape.reduce(1, *) ?? 0 }

    /// Positions per sample whose class is predicted on its own (next-token prediction): L when a class
    /// loss reads an [L, classes] output against L class indices per sample; else 1.
    public var positions: Int { Self.positions(output: layers.last?.outputShape ?? [], loss: loss, targetColumns: targetWidth) }

    public static func positions(output: [Int], loss: Loss, targetColumns: Int) -> Int {
        guard loss.isClassification, output.count >= 2 else { return 1 }
        let L = output.dropLast().reduce(1, *)
        return targetColumns == L ? L : 1
    }

    /// The width of the loss's rows: the classes of one position, or the whole output.
    public var classWidth: Int { outputWidth / positions }
}
