// Python literals, for the exported PyTorch program: the ops' module expressions (Ops/) and the
// program's constants (DNNExport/PyTorchExport.swift) write values through these alone.

import DNNSyntax

public enum Python {
    public static func string(_ s: String) -> String { Escape.python(s) }

    public static func number(_ x: Double) -> String {
        if x.isNaN { return "float('nan')" }
        if x.isInfinite { return x > 0 ? "float('inf')" : "float('-inf')" }
        return "\(x)"
    }

    public static func number(_ x: Float) -> String { number(Double(x)) }
    public static func bool(_ b: Bool) -> String { b ? "True" : "False" }
    /// `(3,)` for one value, `(1, 8, 8)` for more.
    public static func tuple(_ v: [Int]) -> String { v.count == 1 ? "(\(v[0]),)" : "(" + v.map(String.init).joined(separator: ", ") + ")" }
}
