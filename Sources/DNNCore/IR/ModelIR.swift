// The verified model: layers with inferred shapes and their parameters, the data, the loss, the
// optimizer and the schedule. Everything the interpreter needs, nothing that refers back to YAML
// except source ranges kept for messages.

public enum Activation: Sendable, Equatable {
    case identity
    case relu
    case leakyRelu(alpha: Float)
    /// A learnable slope per unit for x < 0, starting at `initialSlope`.
    case prelu(initialSlope: Float)
    case sigmoid
    case tanh

    public var name: String {
        switch self {
        case .identity: "identity"
        case .relu: "relu"
        case .leakyRelu: "leaky_relu"
        case .prelu: "prelu"
        case .sigmoid: "sigmoid"
        case .tanh: "tanh"
        }
    }
}

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

public enum Loss: Sendable, Equatable {
    case mse
    case sse
    case mae
    case huber(delta: Float)

    public var name: String {
        switch self {
        case .mse: "mse"
        case .sse: "sse"
        case .mae: "mae"
        case .huber: "huber"
        }
    }
}

public enum Optimizer: Sendable, Equatable {
    case sgd(lr: Double, momentum: Double, nesterov: Bool)
    case adam(lr: Double, beta1: Double, beta2: Double, eps: Double)

    public var name: String {
        switch self {
        case .sgd: "sgd"
        case .adam: "adam"
        }
    }

    public var learningRate: Double {
        switch self {
        case .sgd(let lr, _, _), .adam(let lr, _, _, _): lr
        }
    }
}

public enum Normalization: String, Sendable, Equatable {
    case none
    case standard
    case minmax
}

/// A learnable tensor of a layer, named as PyTorch names it (`fc1.weight`).
public struct Parameter: Sendable, Equatable {
    public enum Role: Sendable, Equatable { case weight, bias, preluSlope }

    public var name: String
    public var role: Role
    public var shape: [Int]
    public var initializer: Initializer
    /// Inputs and outputs per unit, for the fan-scaled initializers.
    public var fanIn: Int
    public var fanOut: Int

    public var count: Int { shape.reduce(1, *) }
}

public enum LayerKind: Sendable, Equatable {
    case dense(inFeatures: Int, outFeatures: Int)

    public var name: String {
        switch self {
        case .dense: "dense"
        }
    }
}

public struct Layer: Sendable {
    public var name: String
    public var kind: LayerKind
    public var activation: Activation
    public var inputShape: [Int]
    public var outputShape: [Int]
    public var parameters: [Parameter]
    /// Where the layer is written in the spec.
    public var range: SourceRange

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
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

    public func row(_ r: Int) -> ArraySlice<Float> { values[r * columns ..< (r + 1) * columns] }
}

public struct Dataset: Sendable {
    public var inputs: DataMatrix
    public var targets: DataMatrix
}

public struct Schedule: Sendable, Equatable {
    public var epochs: Int
    public var batchSize: Int
    public var shuffle: Bool
    public var logEvery: Int

    /// Epoch numbers (from 0) after which the cost is logged: every `logEvery`-th, and the last.
    public func logs(epoch: Int) -> Bool { epoch % logEvery == 0 || epoch == epochs - 1 }
}

public struct ModelIR: Sendable {
    public var name: String
    public var seed: UInt64
    public var train: Dataset
    public var inputNormalization: Normalization
    public var targetNormalization: Normalization
    public var inputShape: [Int]
    public var layers: [Layer]
    public var loss: Loss
    public var optimizer: Optimizer
    public var schedule: Schedule

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }
    public var outputWidth: Int { layers.last?.outputShape.reduce(1, *) ?? 0 }
}
