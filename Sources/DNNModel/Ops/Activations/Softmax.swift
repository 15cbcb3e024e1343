// softmax and log_softmax along one axis of a sample's shape (negative counts from the end).

import Foundation
import DNNSyntax

extension Activation {
    public static func softmax(axis: Int) -> Activation { Activation(Softmax(axis: axis, isLog: false)) }
    public static func logSoftmax(axis: Int) -> Activation { Activation(Softmax(axis: axis, isLog: true)) }
}

public struct Softmax: ActivationFunction, Equatable {
    public var axis: Int
    /// log_softmax: log(softmax(x)), computed stably as x − max − log Σ e^(x − max).
    public var isLog: Bool

    public static let kinds = [
        ChoiceKind(name: "softmax", params: [
            .optional("axis", .integer(.axis), default: .int(-1), "the axis of a sample's shape it normalizes over; -1 is the last"),
        ], doc: "e^x / Σ e^x along the axis"),
        ChoiceKind(name: "log_softmax", params: [
            .optional("axis", .integer(.axis), default: .int(-1), "the axis of a sample's shape; -1 is the last"),
        ], doc: "log(softmax(x)), computed stably as x − max − log Σ e^(x − max)"),
    ]

    public static func lower(_ choice: SpecChoice) -> Softmax { Softmax(axis: choice["axis"]!.int!, isLog: choice.kind == kinds[1].name) }
    public var name: String { Self.kinds[isLog ? 1 : 0].name }
    public var fingerprint: String { "\(isLog ? "logSoftmax" : "softmax")(axis: \(axis))" }
    public var isElementwise: Bool { false }
    public var probabilityForm: ProbabilityForm? { .overClasses }
    public func probabilities(_ row: [Float]) -> [Float]? { isLog ? row.map { Foundation.exp($0) } : row }
    public func onnxProbabilities<G: ONNXGraph>(_ y: String, _ graph: inout G) -> String? { isLog ? graph.node("Exp", [y]) : y }

    /// The axis must be one of the output's.
    public func parameters(_ layer: inout LayerSpec, output: [Int], at range: SourceRange) -> [Parameter]? {
        guard axis >= -output.count && axis < output.count else {
            _ = layer.fail("axis \(axis) of `\(layer.name)`'s \(name) is outside its output \(output), which has \(output.count) dimension\(output.count == 1 ? "" : "s")",
                           at: range, help: "use an axis from \(-output.count) to \(output.count - 1)")
            return nil
        }
        return []
    }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, S: Int, channels: Int) {
        forward(z: z, a: a, slope: slope, B: B, shape: [S])
    }

    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, S: Int, channels: Int) {
        backward(z: z, a: a, da: da, dz: dz, slope: slope, dslope: dslope, B: B, shape: [S])
    }

    public func forward(z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>, slope: UnsafePointer<Float>?, B: Int, shape: [Int]) {
        Self.forEachLine(B: B, shape: shape, axis: axis) { base, stride, count in
            var top = -Float.infinity
            for k in 0..<count { top = max(top, z[base + k * stride]) }
            var sum: Float = 0
            for k in 0..<count { sum += exp(z[base + k * stride] - top) }
            let logSum = Foundation.log(sum)
            for k in 0..<count {
                let shifted = z[base + k * stride] - top
                a[base + k * stride] = isLog ? shifted - logSum : exp(shifted) / sum
            }
        }
    }

    /// softmax: dz = a·(da − Σ da·a); log_softmax: dz = da − e^a·Σ da, along each line.
    public func backward(z: UnsafePointer<Float>, a: UnsafePointer<Float>, da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                         slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, shape: [Int]) {
        Self.forEachLine(B: B, shape: shape, axis: axis) { base, stride, count in
            if isLog {
                var sum: Float = 0
                for k in 0..<count { sum += da[base + k * stride] }
                for k in 0..<count { let i = base + k * stride; dz[i] = da[i] - exp(a[i]) * sum }
            } else {
                var dot: Float = 0
                for k in 0..<count { dot += da[base + k * stride] * a[base + k * stride] }
                for k in 0..<count { let i = base + k * stride; dz[i] = a[i] * (da[i] - dot) }
            }
        }
    }

    /// Calls `body(first index, stride, count)` for every line along `axis` of B samples of `shape`.
    static func forEachLine(B: Int, shape: [Int], axis: Int, _ body: (Int, Int, Int) -> Void) {
        let axis = axis < 0 ? shape.count + axis : axis
        let count = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        let outer = B * shape[..<axis].reduce(1, *)
        for o in 0..<outer {
            for i in 0..<inner { body(o * count * inner + i, inner, count) }
        }
    }

    public func onnx<G: ONNXGraph>(_ layer: Layer, z: String, _ graph: inout G) -> String {
        graph.node(isLog ? "LogSoftmax" : "Softmax", [z], [.int("axis", axis < 0 ? axis : axis + 1)])
    }

    public func python(_ layer: Layer) -> String { "(\(Python.string(name)), \(axis))" }

    public static let pythonBranch = """
                if kind in ("softmax", "log_softmax"):
                    axis = self.activation[1]
                    dim = axis if axis < 0 else axis + 1
                    return F.softmax(z, dim=dim) if kind == "softmax" else F.log_softmax(z, dim=dim)
        """
}
