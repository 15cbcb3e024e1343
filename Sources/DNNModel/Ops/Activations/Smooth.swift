// The smooth and saturating activations: gelu, sigmoid, hard_sigmoid, tanh, softplus, softsign, silu,
// mish.

import Foundation
import DNNSyntax

extension Activation {
    public static func gelu(tanh: Bool) -> Activation { Activation(GELU(tanh: tanh)) }
    public static let sigmoid = Activation(Sigmoid())
    public static let hardSigmoid = Activation(HardSigmoid())
    public static let tanh = Activation(Tanh())
    public static let softplus = Activation(Softplus())
    public static let softsign = Activation(Softsign())
    public static let silu = Activation(SiLU())
    public static let mish = Activation(Mish())
}

@inline(__always) func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
/// log(1 + e^x), computed as x for x > 20 (PyTorch's threshold).
@inline(__always) func softplus(_ x: Float) -> Float { x > 20 ? x : log1p(exp(x)) }

/// f(x) = x·Φ(x): exact with erf, or PyTorch's tanh approximation.
public struct GELU: ActivationFunction, Equatable {
    public var tanh: Bool
    static let tanhScale: Float = 0.7978845608028654  // sqrt(2/π)
    static let invSqrt2: Float = 0.7071067811865476
    static let invSqrt2Pi: Float = 0.3989422804014327
    public static let kinds = [
        ChoiceKind(name: "gelu", params: [
            .optional("approximate", .word(["none", "tanh"]), default: .word("none"), "none: the exact x·Φ(x) with erf; tanh: PyTorch's tanh approximation"),
        ], doc: "f(x) = x·Φ(x), Φ the standard normal's distribution function"),
    ]
    public static func lower(_ choice: SpecChoice) -> GELU { GELU(tanh: choice["approximate"]!.string == "tanh") }
    public var name: String { "gelu" }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        if tanh {
            for i in 0 ..< B * S {
                let x = z[i]
                a[i] = 0.5 * x * (1 + Foundation.tanh(Self.tanhScale * (x + 0.044715 * x * x * x)))
            }
        } else {
            for i in 0 ..< B * S { a[i] = 0.5 * z[i] * (1 + erf(z[i] * Self.invSqrt2)) }
        }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        if tanh {
            for i in 0 ..< B * S {
                let x = z[i]
                let inner = Self.tanhScale * (x + 0.044715 * x * x * x)
                let t = Foundation.tanh(inner)
                let dInner = Self.tanhScale * (1 + 3 * 0.044715 * x * x)
                dz[i] = da[i] * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dInner)
            }
        } else {
            for i in 0 ..< B * S {
                let x = z[i]
                let cdf = 0.5 * (1 + erf(x * Self.invSqrt2))
                dz[i] = da[i] * (cdf + x * Self.invSqrt2Pi * exp(-0.5 * x * x))
            }
        }
    }

    /// Opset 17 has no Gelu: 0.5·x·(1 + erf(x/√2)), or with tanh(√(2/π)(x + 0.044715x³)).
    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String {
        let half = graph.floats([0.5], shape: []), one = graph.floats([1], shape: [])
        let inner: String
        if tanh {
            let c = graph.floats([0.044715], shape: []), k = graph.floats([0.7978845608028654], shape: [])
            let cube = graph.node("Mul", [graph.node("Mul", [z, z]), z])
            let sum = graph.node("Add", [z, graph.node("Mul", [cube, c])])
            inner = graph.node("Tanh", [graph.node("Mul", [sum, k])])
        } else {
            let r = graph.floats([Float(2).squareRoot()], shape: [])
            inner = graph.node("Erf", [graph.node("Div", [z, r])])
        }
        return graph.node("Mul", [graph.node("Mul", [z, half]), graph.node("Add", [inner, one])])
    }

    public func python(_ layer: Layer) -> String { "(\"gelu\", \(Python.string(tanh ? "tanh" : "none")))" }

    public static let pythonBranch = """
                if kind == "gelu":
                    return F.gelu(z, approximate=self.activation[1])
        """
}

/// f(x) = 1 / (1 + e^-x).
public struct Sigmoid: ActivationFunction, Equatable {
    public static let kinds = [ChoiceKind(name: "sigmoid", doc: "f(x) = 1 / (1 + e^-x)")]
    public static func lower(_ choice: SpecChoice) -> Sigmoid { Sigmoid() }
    public var name: String { "sigmoid" }
    public var outputRange: (low: Double, high: Double, text: String)? { (0, 1, "between 0 and 1") }
    public var canDie: Bool { true }
    public var deathReason: String? { "its sigmoid is saturated for every training sample, so its gradient is 0" }
    public var probabilityForm: ProbabilityForm? { .perOutput }
    public func passes(z: Float, a: Float) -> Bool { a * (1 - a) >= DeadUnitRule.saturatedDerivative }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { a[i] = DNNModel.sigmoid(z[i]) }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { dz[i] = da[i] * a[i] * (1 - a[i]) }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String { graph.node("Sigmoid", [z]) }

    public static let pythonBranch = """
                if kind == "sigmoid":
                    return torch.sigmoid(z)
        """
}

/// f(x) = relu6(x + 3) / 6, as PyTorch's Hardsigmoid.
public struct HardSigmoid: ActivationFunction, Equatable {
    public static let kinds = [ChoiceKind(name: "hard_sigmoid", doc: "f(x) = relu6(x + 3) / 6, as PyTorch's Hardsigmoid")]
    public static func lower(_ choice: SpecChoice) -> HardSigmoid { HardSigmoid() }
    public var name: String { "hard_sigmoid" }
    public var outputRange: (low: Double, high: Double, text: String)? { (0, 1, "between 0 and 1") }
    public var canDie: Bool { true }
    public func passes(z: Float, a: Float) -> Bool { z > -3 && z < 3 }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { a[i] = min(max(z[i] + 3, 0), 6) / 6 }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { dz[i] = z[i] > -3 && z[i] < 3 ? da[i] / 6 : 0 }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String {
        graph.node("HardSigmoid", [z], [.float("alpha", 1.0 / 6), .float("beta", 0.5)])
    }

    public static let pythonBranch = """
                if kind == "hard_sigmoid":
                    return F.hardsigmoid(z)
        """
}

/// f(x) = tanh(x).
public struct Tanh: ActivationFunction, Equatable {
    public static let kinds = [ChoiceKind(name: "tanh", doc: "f(x) = tanh(x)")]
    public static func lower(_ choice: SpecChoice) -> Tanh { Tanh() }
    public var name: String { "tanh" }
    public var outputRange: (low: Double, high: Double, text: String)? { (-1, 1, "between -1 and 1") }
    public var canDie: Bool { true }
    public var deathReason: String? { "its tanh is saturated for every training sample, so its gradient is 0" }
    public func passes(z: Float, a: Float) -> Bool { 1 - a * a >= DeadUnitRule.saturatedDerivative }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { a[i] = Foundation.tanh(z[i]) }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { dz[i] = da[i] * (1 - a[i] * a[i]) }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String { graph.node("Tanh", [z]) }

    public static let pythonBranch = """
                if kind == "tanh":
                    return torch.tanh(z)
        """
}

/// f(x) = log(1 + e^x).
public struct Softplus: ActivationFunction, Equatable {
    public static let kinds = [ChoiceKind(name: "softplus", doc: "f(x) = log(1 + e^x), computed as x for x > 20 (PyTorch's threshold)")]
    public static func lower(_ choice: SpecChoice) -> Softplus { Softplus() }
    public var name: String { "softplus" }
    public var outputRange: (low: Double, high: Double, text: String)? { (0, .infinity, "above 0") }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { a[i] = DNNModel.softplus(z[i]) }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { dz[i] = z[i] > 20 ? da[i] : da[i] * DNNModel.sigmoid(z[i]) }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String { graph.node("Softplus", [z]) }

    public static let pythonBranch = """
                if kind == "softplus":
                    return F.softplus(z)
        """
}

/// f(x) = x / (1 + |x|).
public struct Softsign: ActivationFunction, Equatable {
    public static let kinds = [ChoiceKind(name: "softsign", doc: "f(x) = x / (1 + |x|)")]
    public static func lower(_ choice: SpecChoice) -> Softsign { Softsign() }
    public var name: String { "softsign" }
    public var outputRange: (low: Double, high: Double, text: String)? { (-1, 1, "between -1 and 1") }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { a[i] = z[i] / (1 + abs(z[i])) }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { let d = 1 + abs(z[i]); dz[i] = da[i] / (d * d) }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String { graph.node("Softsign", [z]) }

    public static let pythonBranch = """
                if kind == "softsign":
                    return F.softsign(z)
        """
}

/// f(x) = x·sigmoid(x).
public struct SiLU: ActivationFunction, Equatable {
    public static let kinds = [ChoiceKind(name: "silu", aliases: ["swish"], doc: "f(x) = x·sigmoid(x)")]
    public static func lower(_ choice: SpecChoice) -> SiLU { SiLU() }
    public var name: String { "silu" }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { a[i] = z[i] * DNNModel.sigmoid(z[i]) }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { let s = DNNModel.sigmoid(z[i]); dz[i] = da[i] * s * (1 + z[i] * (1 - s)) }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String { graph.node("Mul", [z, graph.node("Sigmoid", [z])]) }

    public static let pythonBranch = """
                if kind == "silu":
                    return F.silu(z)
        """
}

/// f(x) = x·tanh(softplus(x)).
public struct Mish: ActivationFunction, Equatable {
    public static let kinds = [ChoiceKind(name: "mish", doc: "f(x) = x·tanh(softplus(x))")]
    public static func lower(_ choice: SpecChoice) -> Mish { Mish() }
    public var name: String { "mish" }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { a[i] = z[i] * Foundation.tanh(DNNModel.softplus(z[i])) }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S {
            let x = z[i], t = Foundation.tanh(DNNModel.softplus(x))
            dz[i] = da[i] * (t + x * (1 - t * t) * DNNModel.sigmoid(x))
        }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String {
        graph.node("Mul", [z, graph.node("Tanh", [graph.node("Softplus", [z])])])
    }

    public static let pythonBranch = """
                if kind == "mish":
                    return F.mish(z)
        """
}
