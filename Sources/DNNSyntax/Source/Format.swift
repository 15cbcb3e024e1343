// Number formatting that is the same on every run and platform.

import Foundation

public enum Format {
    /// The shortest text that reads back as the same Double ("0.01", "1e-08", "5").
    public static func number(_ x: Double) -> String {
        if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
        return "\(x)"
    }

    /// A byte count in the largest binary unit that keeps it at least 1: "1 MiB", "3.5 GiB", "512 bytes".
    public static func bytes(_ count: Int) -> String {
        var value = Double(count), unit = 0
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB"]
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return unit == 0 ? "\(count) byte\(count == 1 ? "" : "s")" : "\(Format.c(value == value.rounded() ? "%.0f" : "%.1f", value)) \(units[unit])"
    }

    /// printf-style formatting with a C format for one Double, e.g. "%.6g".
    public static func c(_ format: String, _ x: Double) -> String {
        String(format: format, x)
    }

    /// Text from a spec or a file made safe for a terminal or a log line: every control character
    /// (C0, DEL, C1) and the Unicode line and paragraph separators written as `\u{1B}`, so that an
    /// escape sequence in a hostile key or name is shown, never obeyed. Tabs become spaces.
    public static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnprintable) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "\t" {
                out.append(" ")
            } else if isUnprintable(scalar) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    static func isUnprintable(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}"
    }
}
