// The spec language as data: one table per concept (sections, layer kinds, activations, initializers,
// losses, optimizers). The checker, the JSON Schema, the reference docs and did-you-mean all read it.

/// Bounds on a number; nil means unbounded on that side.
public struct Bounds: Sendable {
    public var min: Double?
    public var minExclusive = false
    public var max: Double?
    public var maxExclusive = false

    public static let any = Bounds()
    public static let positive = Bounds(min: 0, minExclusive: true)
    public static let nonNegative = Bounds(min: 0)
    public static let atLeastOne = Bounds(min: 1)
    /// [0, 1), as PyTorch requires of Adam's betas.
    public static let unitOpen = Bounds(min: 0, max: 1, maxExclusive: true)

    func contains(_ x: Double) -> Bool {
        if let min, minExclusive ? !(x > min) : !(x >= min) { return false }
        if let max, maxExclusive ? !(x < max) : !(x <= max) { return false }
        return true
    }

    /// "at least 1", "greater than 0", "from 0 up to (not including) 1".
    var phrase: String {
        switch (min, max) {
        case let (lo?, hi?):
            return "from \(Format.number(lo))\(minExclusive ? " (exclusive)" : "") up to \(Format.number(hi))\(maxExclusive ? " (exclusive)" : "")"
        case let (lo?, nil): return minExclusive ? "greater than \(Format.number(lo))" : "at least \(Format.number(lo))"
        case let (nil, hi?): return maxExclusive ? "less than \(Format.number(hi))" : "at most \(Format.number(hi))"
        case (nil, nil): return "any finite number"
        }
    }
}

public indirect enum ValueType: Sendable {
    case integer(Bounds)
    case number(Bounds)
    case boolean
    case string
    /// One of a few fixed words.
    case word([String])
    case record(Record)
    /// A bare name or a one-key mapping `{name: {params}}` from a catalog.
    case choice(Catalog)
    case list(ValueType, minCount: Int)
    /// A list of rows, each a list of numbers of the same length.
    case matrix
    /// A tensor shape: a non-empty list of positive integers.
    case shape

    /// How the reference names the type.
    var description: String {
        switch self {
        case .integer: "integer"
        case .number: "number"
        case .boolean: "boolean"
        case .string: "string"
        case .word(let words): words.joined(separator: " \\| ")
        case .record: "mapping"
        case .choice(let catalog): catalog.name
        case .list(let item, _): "list of \(item.description)"
        case .matrix: "list of rows of numbers"
        case .shape: "list of positive integers"
        }
    }
}

public enum DefaultValue: Sendable {
    case int(Int)
    case number(Double)
    case bool(Bool)
    case word(String)
    case choice(String)
    /// A default that depends on the context, described in words ("the file's stem").
    case contextual(String)

    var description: String {
        switch self {
        case .int(let i): String(i)
        case .number(let x): Format.number(x)
        case .bool(let b): String(b)
        case .word(let w), .choice(let w): w
        case .contextual(let text): text
        }
    }
}

public struct Field: Sendable {
    public var name: String
    public var type: ValueType
    /// nil: the key is required.
    public var defaultValue: DefaultValue?
    public var doc: String

    public var isRequired: Bool { defaultValue == nil }

    public static func required(_ name: String, _ type: ValueType, _ doc: String) -> Field {
        Field(name: name, type: type, defaultValue: nil, doc: doc)
    }

    public static func optional(_ name: String, _ type: ValueType, default value: DefaultValue, _ doc: String) -> Field {
        Field(name: name, type: type, defaultValue: value, doc: doc)
    }
}

public struct Record: Sendable {
    public var name: String
    public var fields: [Field]

    public func field(_ name: String) -> Field? { fields.first { $0.name == name } }
}

public struct ChoiceKind: Sendable {
    public var name: String
    public var aliases: [String] = []
    public var params: [Field] = []
    public var doc: String

    /// Whether the kind may be written bare, which needs every parameter to have a default.
    public var canBeBare: Bool { params.allSatisfy { !$0.isRequired } }
}

public struct Catalog: Sendable {
    /// The concept, singular: "activation".
    public var name: String
    public var kinds: [ChoiceKind]

    public func kind(named name: String) -> ChoiceKind? {
        kinds.first { $0.name == name || $0.aliases.contains(name) }
    }

    public var allNames: [String] { kinds.flatMap { [$0.name] + $0.aliases } }
}

/// The v1 language. Defaults follow PyTorch's update rules and Keras's initializer conventions;
/// grammar/README.md says why where frameworks disagree.
public enum Language {
    public static let version = 1

    public static let activations = Catalog(name: "activation", kinds: [
        ChoiceKind(name: "identity", aliases: ["linear"], doc: "f(x) = x"),
        ChoiceKind(name: "relu", doc: "f(x) = max(0, x); the gradient at 0 is 0, as in PyTorch"),
        ChoiceKind(name: "leaky_relu", params: [
            .optional("alpha", .number(.nonNegative), default: .number(0.01), "slope for x < 0: 0.01, PyTorch's negative_slope (Keras's LeakyReLU layer uses 0.3)"),
        ], doc: "f(x) = x for x > 0, alpha·x otherwise"),
        ChoiceKind(name: "prelu", params: [
            .optional("init", .number(.any), default: .number(0.25), "starting slope for x < 0: 0.25 as PyTorch's PReLU (Keras's starts at 0, a plain relu at first, which cannot revive a dead unit)"),
        ], doc: "f(x) = x for x > 0, a·x otherwise, with a learnable slope a per unit, saved as `<layer>.prelu`"),
        ChoiceKind(name: "sigmoid", doc: "f(x) = 1 / (1 + e^-x)"),
        ChoiceKind(name: "tanh", doc: "f(x) = tanh(x)"),
    ])

    public static let initializers = Catalog(name: "initializer", kinds: [
        ChoiceKind(name: "zeros", doc: "every value 0"),
        ChoiceKind(name: "ones", doc: "every value 1"),
        ChoiceKind(name: "constant", params: [
            .required("value", .number(.any), "the value"),
        ], doc: "every value the same"),
        ChoiceKind(name: "uniform", params: [
            .optional("low", .number(.any), default: .number(-0.05), "lower bound (Keras's default)"),
            .optional("high", .number(.any), default: .number(0.05), "upper bound, greater than low"),
        ], doc: "uniform on [low, high)"),
        ChoiceKind(name: "normal", params: [
            .optional("mean", .number(.any), default: .number(0), "mean"),
            .optional("stddev", .number(.positive), default: .number(0.05), "standard deviation (Keras's default)"),
        ], doc: "normal distribution"),
        ChoiceKind(name: "truncated_normal", params: [
            .optional("mean", .number(.any), default: .number(0), "mean"),
            .optional("stddev", .number(.positive), default: .number(0.05), "standard deviation before truncation (Keras's default)"),
        ], doc: "normal distribution, values beyond 2 stddev from the mean redrawn (as TensorFlow's)"),
        ChoiceKind(name: "glorot_uniform", aliases: ["xavier_uniform"],
                   doc: "uniform on ±sqrt(6 / (fan_in + fan_out))"),
        ChoiceKind(name: "glorot_normal", aliases: ["xavier_normal"],
                   doc: "normal with stddev sqrt(2 / (fan_in + fan_out)), untruncated as PyTorch's xavier_normal_"),
        ChoiceKind(name: "he_uniform", aliases: ["kaiming_uniform"],
                   doc: "uniform on ±sqrt(6 / fan_in)"),
        ChoiceKind(name: "he_normal", aliases: ["kaiming_normal"],
                   doc: "normal with stddev sqrt(2 / fan_in), untruncated as PyTorch's kaiming_normal_"),
    ])

    public static let losses = Catalog(name: "loss", kinds: [
        ChoiceKind(name: "mse", doc: "mean of (prediction − target)² over the batch and the outputs"),
        ChoiceKind(name: "sse", doc: "sum of (prediction − target)² over the batch and the outputs"),
        ChoiceKind(name: "mae", doc: "mean of |prediction − target| over the batch and the outputs"),
        ChoiceKind(name: "huber", params: [
            .optional("delta", .number(.positive), default: .number(1.0), "where the loss turns from quadratic to linear"),
        ], doc: "mean of 0.5·d² where |d| < delta, delta·(|d| − 0.5·delta) elsewhere (PyTorch's HuberLoss)"),
    ])

    public static let optimizers = Catalog(name: "optimizer", kinds: [
        ChoiceKind(name: "sgd", params: [
            .required("lr", .number(.positive), "learning rate"),
            .optional("momentum", .number(.nonNegative), default: .number(0), "momentum factor"),
            .optional("nesterov", .boolean, default: .bool(false), "Nesterov momentum (needs momentum > 0)"),
        ], doc: "stochastic gradient descent with torch.optim.SGD's update rule"),
        ChoiceKind(name: "adam", params: [
            .optional("lr", .number(.positive), default: .number(0.001), "learning rate"),
            .optional("beta1", .number(.unitOpen), default: .number(0.9), "decay of the first moment"),
            .optional("beta2", .number(.unitOpen), default: .number(0.999), "decay of the second moment"),
            .optional("eps", .number(.nonNegative), default: .number(1e-8), "added to the denominator"),
        ], doc: "Adam with torch.optim.Adam's update rule, bias correction included"),
    ])

    public static let layers = Catalog(name: "layer", kinds: [
        ChoiceKind(name: "dense", params: [
            .required("units", .integer(.atLeastOne), "output features"),
            .optional("activation", .choice(activations), default: .choice("identity"), "applied to the layer's output"),
            .optional("name", .string, default: .contextual("`<kind>_<n>`, n counting that kind from 1"),
                      "unique name; parameters are saved as `<name>.weight`, `<name>.bias`"),
            .optional("weights", .choice(initializers), default: .contextual("model.init.weights"),
                      "initializer of the weight matrix [units, inputs]"),
            .optional("bias", .choice(initializers), default: .contextual("model.init.bias"),
                      "initializer of the bias [units]"),
        ], doc: "fully connected: y = x·Wᵀ + b, then the activation"),
    ])

    static let normalization = ValueType.word(["none", "standard", "minmax"])

    public static let spec = Record(name: "spec", fields: [
        .required("dnnc", .integer(.any), "the language version; this dnnc reads 1"),
        .optional("name", .string, default: .contextual("the file's stem"), "the run's name, printed in the summary"),
        .optional("seed", .integer(.nonNegative), default: .int(0), "seeds every random draw: initializers and shuffling"),
        .required("data", .record(Record(name: "data", fields: [
            .required("train", .record(Record(name: "data.train", fields: [
                .required("inputs", .matrix, "one row per sample"),
                .required("targets", .matrix, "one row per sample, as many rows as inputs"),
            ])), "the training set, inline"),
            .optional("normalize", .record(Record(name: "data.normalize", fields: [
                .optional("inputs", normalization, default: .word("none"), "per column, fitted on the training inputs"),
                .optional("targets", normalization, default: .word("none"),
                          "per column, fitted on the training targets; predictions are printed in original units"),
            ])), default: .contextual("no normalization"), "statistics fitted on the training set")
        ])), "the data to train on"),
        .required("model", .record(Record(name: "model", fields: [
            .required("input", .shape, "the shape of one sample, e.g. [2]"),
            .optional("init", .record(Record(name: "model.init", fields: [
                .optional("weights", .choice(initializers), default: .choice("glorot_uniform"),
                      "weights' initializer: glorot_uniform as Keras's Dense (PyTorch's Linear draws uniform on ±1/sqrt(fan_in))"),
                .optional("bias", .choice(initializers), default: .choice("zeros"),
                      "biases' initializer: zeros as Keras's Dense (PyTorch's Linear draws uniform on ±1/sqrt(fan_in))"),
            ])), default: .contextual("glorot_uniform weights, zero biases"),
                      "model-wide initializers, overridable per layer with the same keys"),
            .required("layers", .list(.choice(layers), minCount: 1), "the layers, input first"),
        ])), "the network"),
        .required("train", .record(Record(name: "train", fields: [
            .required("loss", .choice(losses), "what training minimizes"),
            .required("optimizer", .choice(optimizers), "how parameters are updated"),
            .required("epochs", .integer(.atLeastOne), "passes over the training set, numbered from 0"),
            .optional("batch_size", .integer(.atLeastOne), default: .int(32),
                      "samples per update (Keras's default); the default is clamped to the training set, a larger written size is an error"),
            .optional("shuffle", .boolean, default: .bool(true), "reshuffle the samples before each epoch"),
            .optional("log_every", .integer(.atLeastOne), default: .int(1),
                      "log the cost every N epochs, and after the last"),
        ])), "the training schedule"),
    ])
}
