// Values from data that dnnc uses as indices: class labels and embedding rows. One rule for every
// entry point (training data, `predict`, `evaluate`): a value is an index below n only when it is a
// whole number in 0 ..< n, compared as a float, so that 1e30 or NaN is refused rather than trapping
// in a conversion to Int or reaching a table through an unchecked pointer.

import DNNSyntax

extension BinaryFloatingPoint {
    /// The value as an index in 0 ..< n, or nil when it is not a whole number in that range.
    public func index(below n: Int) -> Int? {
        guard self >= 0, self < Self(n), self == self.rounded(.towardZero) else { return nil }
        return Int(self)
    }

    /// The value as a whole number for a message, or nil when it has a fraction or no Int holds it.
    public var wholeNumber: Int? {
        guard isFinite, self == self.rounded(.towardZero), let n = Int(exactly: Double(self)) else { return nil }
        return n
    }
}

/// An input value that an embedding cannot look up.
public struct IndexViolation: Error, Sendable, CustomStringConvertible {
    /// Row and column (from 0) in the rows checked.
    public var row: Int, column: Int
    public var value: Float
    public var layer: String, vocab: Int

    /// "row R, column C holds V, not an index of embedding `e` (0 to vocab−1)", rows counted from `firstRow`.
    public func message(firstRow: Int = 1) -> String {
        "row \(row + firstRow), column \(column + 1) " + description
    }

    /// "holds V, not an index of embedding `e` (0 to vocab−1)".
    public var description: String {
        "holds \(value.wholeNumber.map(String.init) ?? "\(value)"), not an index of embedding `\(layer)` (0 to \(vocab - 1))"
    }
}

extension ModelIR {
    /// The first value of `inputs` (rows of the model's input, row-major, as the network will see them)
    /// that an embedding reading the model's input cannot look up, if any.
    public func indexViolation(in inputs: UnsafeBufferPointer<Float>) -> IndexViolation? {
        Self.indexViolation(in: inputs, width: inputShape.reduce(1, *), layers: layers)
    }

    public func indexViolation(in inputs: [Float]) -> IndexViolation? {
        inputs.withUnsafeBufferPointer { indexViolation(in: $0) }
    }

    static func indexViolation(in inputs: UnsafeBufferPointer<Float>, width: Int, layers: [Layer]) -> IndexViolation? {
        let width = max(width, 1)
        for layer in layers where layer.inputs == [-1] {
            guard let vocab = layer.kind.vocabulary else { continue }
            for i in inputs.indices where inputs[i].index(below: vocab) == nil {
                return IndexViolation(row: i / width, column: i % width, value: inputs[i], layer: layer.name, vocab: vocab)
            }
        }
        return nil
    }
}
