// An activation as one definition. Each activation (or family: softmax and log_softmax) is one type
// under Ops/Activations/ that carries its keys, its forward beside its backward, the facts lint and
// the trainer's watch ask (output range, whether and how its units die, what a classifier's
// probabilities are after it), its ONNX nodes and its branch of the PyTorch program's `activate`.
// `Ops.activations` is the one list. z is the pre-activation and a = f(z), both (B, S); backward
// turns da = ∂L/∂a into dz = ∂L/∂z. Derivatives at kinks are taken as PyTorch takes them.

/// What the outputs of an activation are, for a loss that applies the same itself.

import DNNSyntax

public enum ProbabilityForm: Sendable, Equatable {
    /// A distribution over the classes (softmax, log_softmax).
    case overClasses
    /// A probability per output (sigmoid).
    case perOutput
}

public protocol ActivationFunction: Sendable, CustomStringConvertible {
    /// The kinds this type defines, as the language table lists them.
    static var kinds: [ChoiceKind] { get }
    /// The function a checked choice of one of `kinds` names.
    static func lower(_ choice: SpecChoice) -> Self
    /// Its branch of the PyTorch program's `Layer.activate(z)`: Python lines, indented 8 spaces, that
    /// return when `kind` is one of its names (`self.activation` is its `python` tuple).
    static var pythonBranch: String { get }
    /// Its lines in `Layer.__init__(self, activation)` (prelu's parameter), indented 8 spaces; usually none.
    static var pythonSetup: String { get }

    var name: String { get }
    /// Its text in the model's fingerprint, which checkpoints carry.
    var fingerprint: String { get }
    /// Whether each output depends only on the same element's input.
    var isElementwise: Bool { get }
    /// The outputs' range, for the lint that compares it with the targets: (low, high, in words).
    var outputRange: (low: Double, high: Double, text: String)? { get }
    /// Whether a unit can stop passing any gradient (relu below 0, a saturated sigmoid).
    var canDie: Bool { get }
    /// Why a dead unit passes no gradient, in words; nil: "no gradient reaches it".
    var deathReason: String? { get }
    /// Whether a dead unit outputs 0 (relu), so that a dead output predicts 0.
    var diesToZero: Bool { get }
    /// What its outputs are when they are probabilities.
    var probabilityForm: ProbabilityForm? { get }

    /// Whether a unit with pre-activation z and activation a passes a gradient for this sample.
    func passes(z: Float, a: Float) -> Bool
    /// Sets flags[o] for every unit o that passes a gradient for some row (z and a are (rows, units));
    /// units already set are skipped.
    func markPassing(z: UnsafePointer<Float>, a: UnsafePointer<Float>, rows: Int, flags: UnsafeMutableBufferPointer<Bool>)
    /// A classifier's class probabilities from an output row after it; nil: the softmax of the row.
    func probabilities(_ row: [Float]) -> [Float]?
    /// Its tensors beside the layer's (prelu's slopes), for a layer whose output is `output`; nil after
    /// an error in `layer.bag`.
    func parameters(_ layer: inout LayerSpec, output: [Int], at range: SourceRange) -> [Parameter]?

    /// a = f(z) for B samples of S values; prelu's slopes are per channel, the sample's first dimension.
    func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int)
    func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                  slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int)
    /// The same over B samples of `shape`, for activations along an axis.
    func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, shape: [Int])
    func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                  slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, shape: [Int])

    /// The ONNX nodes computing f(z); returns their output's name.
    func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String
    /// `probabilities` as ONNX nodes on the output y; nil: the Softmax of y.
    func onnxProbabilities<G: ONNXGraph>(_ y: String, _ graph: inout G) -> String?
    /// Its tuple for the PyTorch program's `Layer`: `("relu",)`, `("leaky_relu", 0.2)`.
    func python(_ layer: Layer) -> String
}

extension ActivationFunction {
    public static var pythonSetup: String { "" }
    /// Its name and parameters: `leaky_relu(alpha: 0.2)`; activations compare by it.
    public var description: String { named(name) }
    /// Its text in the model's fingerprint (ModelIR.architectureHash): v1's enum case, `leakyRelu(alpha: 0.2)`.
    /// It never changes, so checkpoints stay readable.
    public var fingerprint: String { named(fingerprintCaseName(name)) }
    /// `name(label: value, ...)` over its stored parameters; the bare name without any.
    private func named(_ name: String) -> String {
        let fields = Mirror(reflecting: self).children.map { "\($0.label ?? ""): \($0.value)" }
        return fields.isEmpty ? name : name + "(" + fields.joined(separator: ", ") + ")"
    }
    public var isElementwise: Bool { true }
    public var outputRange: (low: Double, high: Double, text: String)? { nil }
    public var canDie: Bool { false }
    public var deathReason: String? { nil }
    public var diesToZero: Bool { false }
    public var probabilityForm: ProbabilityForm? { nil }
    public func passes(z: Float, a: Float) -> Bool { true }

    public func markPassing(z: UnsafePointer<Float>, a: UnsafePointer<Float>, rows: Int, flags: UnsafeMutableBufferPointer<Bool>) {
        let O = flags.count
        for o in 0..<O where !flags[o] {
            for r in 0..<rows where passes(z: z[r * O + o], a: a[r * O + o]) {
                flags[o] = true
                break
            }
        }
    }
    public func probabilities(_ row: [Float]) -> [Float]? { nil }
    public func onnxProbabilities<G: ONNXGraph>(_ y: String, _ graph: inout G) -> String? { nil }
    public func parameters(_ layer: inout LayerSpec, output: [Int], at range: SourceRange) -> [Parameter]? { [] }
    public func python(_ layer: Layer) -> String { "(\(Python.string(name)),)" }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, shape: [Int]) {
        forward(z: z, a: a, slope: slope, B: B, S: shape.reduce(1, *), channels: shape.first ?? 1)
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, shape: [Int]) {
        backward(z: z, a: a, da: da, dz: dz, slope: slope, dslope: dslope, B: B, S: shape.reduce(1, *), channels: shape.first ?? 1)
    }
}

/// A layer's activation: one of the registered functions, compared by kind and parameters.
public struct Activation: Sendable, Equatable, CustomStringConvertible {
    public let function: any ActivationFunction

    public init(_ function: any ActivationFunction) { self.function = function }

    public var name: String { function.name }
    public var description: String { function.description }
    public var fingerprint: String { function.fingerprint }
    public var isElementwise: Bool { function.isElementwise }

    public static func == (a: Activation, b: Activation) -> Bool { a.description == b.description && a.name == b.name }

    /// The activation a checked choice names.
    static func lower(_ choice: SpecChoice) -> Activation {
        guard let type = Ops.activation(named: choice.kind) else { preconditionFailure("activation \(choice.kind) is in the table but has no type") }
        return Activation(type.lower(choice))
    }
}

extension Ops {
    /// The registry of activations, in the language table's order.
    public static let activations: [any ActivationFunction.Type] = [
        Identity.self, ReLU.self, ReLU6.self, LeakyReLU.self, PReLU.self, ELU.self, SELU.self, GELU.self, Sigmoid.self,
        HardSigmoid.self, Tanh.self, Softplus.self, Softsign.self, SiLU.self, Mish.self, Softmax.self,
    ]

    public static func activation(named name: String) -> (any ActivationFunction.Type)? {
        activations.first { type in type.kinds.contains { $0.name == name || $0.aliases.contains(name) } }
    }
}

/// How a unit counts as dead (each activation's `canDie` and `passes`, Ops/Activations/): for relu
/// (relu6, hard_sigmoid), its input is where the gradient is 0 for every training sample; for the
/// saturating sigmoid and tanh, its activation's derivative is below this for every sample. The other
/// activations always pass a gradient, so their units never die.

public enum DeadUnitRule {
    public static let saturatedDerivative: Float = 1e-8
}
