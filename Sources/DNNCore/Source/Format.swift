// Number formatting that is the same on every run and platform.

import Foundation

public enum Format {
    /// The shortest text that reads back as the same Double ("0.01", "1e-08", "5").
    public static func number(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        return "\(x)"
    }

    /// printf-style formatting with a C format for one Double, e.g. "%.6g".
    public static func c(_ format: String, _ x: Double) -> String {
        String(format: format, x)
    }
}
