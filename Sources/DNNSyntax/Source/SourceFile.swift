// A spec file's text and the positions inside it that diagnostics point at.

/// A 1-based line and column; columns count characters (Unicode scalars), as libyaml's marks do.
public struct SourceLocation: Sendable, Hashable, Comparable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}

/// A span from `start` up to (not including) `end`, both 1-based.
public struct SourceRange: Sendable, Hashable {
    public var start: SourceLocation
    public var end: SourceLocation

    public init(start: SourceLocation, end: SourceLocation) {
        self.start = start
        self.end = end
    }

    /// A range that covers nothing, for values that do not come from a file (defaults, overrides).
    public static let none = SourceRange(start: SourceLocation(line: 0, column: 0),
                                         end: SourceLocation(line: 0, column: 0))

    public var isNone: Bool { start.line == 0 }
}

/// The text of one spec, with the path diagnostics name it by.
public struct SourceFile: Sendable {
    public let path: String
    public let bytes: [UInt8]
    /// The text split into lines without their terminators, for snippets under a diagnostic.
    public let lines: [Substring]

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        let text = String(decoding: bytes, as: UTF8.self)
        self.lines = text.split(omittingEmptySubsequences: false,
                                whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
    }

    public init(path: String, text: String) {
        self.init(path: path, bytes: Array(text.utf8))
    }

    /// The file's stem: `specs/seed/relu.yaml` → `relu`.
    public var stem: String {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = base.lastIndex(of: "."), dot != base.startIndex {
            return String(base[..<dot])
        }
        return base
    }

    /// The text of a 1-based line, or nil past the end.
    public func line(_ number: Int) -> Substring? {
        number >= 1 && number <= lines.count ? lines[number - 1] : nil
    }
}
