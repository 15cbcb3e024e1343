// identity and the rectifiers: relu, relu6, leaky_relu, prelu, elu, selu.

import Foundation
import DNNSyntax

public struct Identity: ActivationFunction, Equatable {
    public static let kinds = [ChoiceKind(name: "identity", aliases: ["linear"], doc: "f(x) = x")]
    public static func lower(_ choice: SpecChoice) -> Identity { Identity() }
    public var name: String { "identity" }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        a.update(from: z, count: B * S)
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        dz.update(from: da, count: B * S)
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String { z }

    public static let pythonBranch = """
                if kind == "identity":
                    return z
        """
}

extension Activation {
    public static let identity = Activation(Identity())
    public static let relu = Activation(ReLU())
    public static let relu6 = Activation(ReLU6())
    public static func leakyRelu(alpha: Float) -> Activation { Activation(LeakyReLU(alpha: alpha)) }
    public static func prelu(initialSlope: Float) -> Activation { Activation(PReLU(initialSlope: initialSlope)) }
    public static func elu(alpha: Float) -> Activation { Activation(ELU(alpha: alpha)) }
    public static let selu = Activation(SELU())
}

/// f(x) = max(0, x); relu'(0) = 0 as PyTorch's.
public struct ReLU: ActivationFunction, Equatable {
    public static let kinds = [ChoiceKind(name: "relu", doc: "f(x) = max(0, x); the gradient at 0 is 0, as in PyTorch")]
    public static func lower(_ choice: SpecChoice) -> ReLU { ReLU() }
    public var name: String { "relu" }
    public var outputRange: (low: Double, high: Double, text: String)? { (0, .infinity, "0 or more") }
    public var canDie: Bool { true }
    public var deathReason: String? { "its pre-activation is negative for every training sample, so relu outputs 0 and its gradient is 0" }
    public var diesToZero: Bool { true }
    public func passes(z: Float, a: Float) -> Bool { z > 0 }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        // Eight at a time (the compiler does not vectorize the plain loop); the same values.
        let n = B * S
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(z + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(a + i).storeBytes(of: v.replacing(with: 0, where: .!(v .> 0)), as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { a[i] = z[i] > 0 ? z[i] : 0; i += 1 }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        let n = B * S
        var i = 0
        while i + 8 <= n {
            let v = UnsafeRawPointer(z + i).loadUnaligned(as: SIMD8<Float>.self)
            let g = UnsafeRawPointer(da + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(dz + i).storeBytes(of: g.replacing(with: 0, where: .!(v .> 0)), as: SIMD8<Float>.self)
            i += 8
        }
        while i < n { dz[i] = z[i] > 0 ? da[i] : 0; i += 1 }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String { graph.node("Relu", [z]) }

    public static let pythonBranch = """
                if kind == "relu":
                    return F.relu(z)
        """
}

/// f(x) = min(max(0, x), 6).
public struct ReLU6: ActivationFunction, Equatable {
    public static let kinds = [ChoiceKind(name: "relu6", doc: "f(x) = min(max(0, x), 6)")]
    public static func lower(_ choice: SpecChoice) -> ReLU6 { ReLU6() }
    public var name: String { "relu6" }
    public var outputRange: (low: Double, high: Double, text: String)? { (0, 6, "between 0 and 6") }
    public var canDie: Bool { true }
    public func passes(z: Float, a: Float) -> Bool { z > 0 && z < 6 }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { a[i] = min(max(z[i], 0), 6) }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { dz[i] = z[i] > 0 && z[i] < 6 ? da[i] : 0 }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String {
        graph.node("Clip", [z, graph.floats([0], shape: []), graph.floats([6], shape: [])])
    }

    public static let pythonBranch = """
                if kind == "relu6":
                    return F.relu6(z)
        """
}

/// f(x) = x for x > 0, alpha·x otherwise.
public struct LeakyReLU: ActivationFunction, Equatable {
    public var alpha: Float
    public static let kinds = [
        ChoiceKind(name: "leaky_relu", params: [
            .optional("alpha", .number(.nonNegative), default: .number(0.01), "slope for x < 0: 0.01, PyTorch's negative_slope (Keras's LeakyReLU layer uses 0.3)"),
        ], doc: "f(x) = x for x > 0, alpha·x otherwise"),
    ]
    public static func lower(_ choice: SpecChoice) -> LeakyReLU { LeakyReLU(alpha: Float(choice["alpha"]!.double!)) }
    public var name: String { "leaky_relu" }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { a[i] = z[i] > 0 ? z[i] : alpha * z[i] }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { dz[i] = z[i] > 0 ? da[i] : alpha * da[i] }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String {
        graph.node("LeakyRelu", [z], [.float("alpha", alpha)])
    }

    public func python(_ layer: Layer) -> String { "(\"leaky_relu\", \(Python.number(alpha)))" }

    public static let pythonBranch = """
                if kind == "leaky_relu":
                    return F.leaky_relu(z, self.activation[1])
        """
}

/// f(x) = x for x > 0, a·x otherwise, with a learnable slope a per channel (the sample's first
/// dimension; per unit after dense), saved as `<layer>.prelu`; backward adds ∂L/∂a into dslope.
public struct PReLU: ActivationFunction, Equatable {
    public var initialSlope: Float
    public static let kinds = [
        ChoiceKind(name: "prelu", params: [
            .optional("init", .number(.any), default: .number(0.25), "starting slope for x < 0: 0.25 as PyTorch's PReLU (Keras's starts at 0, a plain relu at first, which cannot revive a dead unit)"),
        ], doc: "f(x) = x for x > 0, a·x otherwise, with a learnable slope a per unit (per channel after a convolution), saved as `<layer>.prelu`"),
    ]
    public static func lower(_ choice: SpecChoice) -> PReLU { PReLU(initialSlope: Float(choice["init"]!.double!)) }
    public var name: String { "prelu" }

    public func parameters(_ layer: inout LayerSpec, output: [Int], at range: SourceRange) -> [Parameter]? {
        [layer.parameter("prelu", .preluSlope, [output[0]], .constant(initialSlope), fanIn: 1, fanOut: 1)]
    }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        let s = slope!, C = channels, inner = S / C
        for i in 0 ..< B * S { a[i] = z[i] > 0 ? z[i] : s[(i % S) / inner % C] * z[i] }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        let s = slope!, ds = dslope!, C = channels, inner = S / C
        for i in 0 ..< B * S {
            let c = (i % S) / inner % C
            if z[i] > 0 {
                dz[i] = da[i]
            } else {
                dz[i] = s[c] * da[i]
                ds[c] += da[i] * z[i]
            }
        }
    }

    /// One slope per channel, the sample's first dimension: shaped [C, 1, ...] to broadcast.
    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String {
        let slope = "\(layer.name).prelu", rank = layer.outputShape.count
        guard rank > 1 else { return graph.node("PRelu", [z, slope]) }
        let shape = graph.int64s([Int64(layer.outputShape[0])] + [Int64](repeating: 1, count: rank - 1))
        return graph.node("PRelu", [z, graph.node("Reshape", [slope, shape])])
    }

    public func python(_ layer: Layer) -> String { "(\"prelu\", \(layer.outputShape[0]), \(Python.number(initialSlope)))" }

    public static let pythonSetup = """
                if kind == "prelu":
                    self.prelu = nn.Parameter(torch.full((activation[1],), activation[2]))
        """

    public static let pythonBranch = """
                if kind == "prelu":
                    # One slope per channel, a sample's first dimension.
                    slope = self.prelu.reshape((1, -1) + (1,) * (z.dim() - 2))
                    return torch.where(z > 0, z, slope * z)
        """
}

/// f(x) = x for x > 0, alpha·(e^x − 1) otherwise.
public struct ELU: ActivationFunction, Equatable {
    public var alpha: Float
    public static let kinds = [
        ChoiceKind(name: "elu", params: [
            .optional("alpha", .number(.positive), default: .number(1.0), "scale of the negative part (PyTorch's default)"),
        ], doc: "f(x) = x for x > 0, alpha·(e^x − 1) otherwise"),
    ]
    public static func lower(_ choice: SpecChoice) -> ELU { ELU(alpha: Float(choice["alpha"]!.double!)) }
    public var name: String { "elu" }
    public var outputRange: (low: Double, high: Double, text: String)? {
        (-Double(alpha), .infinity, "above -\(Format.number(Double(alpha)))")
    }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { a[i] = z[i] > 0 ? z[i] : alpha * (exp(z[i]) - 1) }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { dz[i] = z[i] > 0 ? da[i] : da[i] * alpha * exp(z[i]) }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String { graph.node("Elu", [z], [.float("alpha", alpha)]) }

    public func python(_ layer: Layer) -> String { "(\"elu\", \(Python.number(alpha)))" }

    public static let pythonBranch = """
                if kind == "elu":
                    return F.elu(z, self.activation[1])
        """
}

/// scale·(x for x > 0, alpha·(e^x − 1) otherwise), with PyTorch's constants.
public struct SELU: ActivationFunction, Equatable {
    static let alpha: Float = 1.6732632423543772
    static let scale: Float = 1.0507009873554805
    public static let kinds = [
        ChoiceKind(name: "selu", doc: "scale·(x for x > 0, alpha·(e^x − 1) otherwise), with PyTorch's alpha 1.6732632 and scale 1.0507010"),
    ]
    public static func lower(_ choice: SpecChoice) -> SELU { SELU() }
    public var name: String { "selu" }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { a[i] = Self.scale * (z[i] > 0 ? z[i] : Self.alpha * (exp(z[i]) - 1)) }
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        for i in 0 ..< B * S { dz[i] = da[i] * Self.scale * (z[i] > 0 ? 1 : Self.alpha * exp(z[i])) }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String {
        graph.node("Selu", [z], [.float("alpha", 1.6732632423543772), .float("gamma", 1.0507009873554805)])
    }

    public static let pythonBranch = """
                if kind == "selu":
                    return F.selu(z)
        """
}
