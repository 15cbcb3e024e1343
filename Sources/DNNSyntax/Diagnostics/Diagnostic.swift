// The one diagnostic type every stage reports with: what is wrong, where, and what would fix it.

public enum Severity: String, Sendable, Comparable {
    case warning
    case error

    public static func < (a: Severity, b: Severity) -> Bool { a == .warning && b == .error }
}

/// A secondary location or remark attached to a diagnostic ("the targets are declared here").
public struct DiagnosticNote: Sendable, Equatable {
    public var message: String
    public var range: SourceRange?

    public init(_ message: String, at range: SourceRange? = nil) {
        self.message = message
        self.range = range
    }
}

/// A mechanical fix as data: replace the text of `range` with `replacement`. A diagnostic may carry
/// several, as alternatives (each did-you-mean candidate is one); JSON and SARIF carry them, and the
/// help line says them in words.
public struct FixIt: Sendable, Equatable {
    public var range: SourceRange
    public var replacement: String

    public init(_ range: SourceRange, _ replacement: String) {
        self.range = range
        self.replacement = replacement
    }
}

/// A place in a file other than the spec (a data file's cell), with the text of its line for the snippet.
public struct OtherFile: Sendable, Equatable {
    /// The file's path as the spec's path is shown (the spec's folder joined with the name written).
    public var path: String
    public var lineText: String

    public init(path: String, lineText: String) {
        self.path = path
        self.lineText = lineText
    }
}

public struct Diagnostic: Sendable, Equatable, Error {
    public var code: DiagnosticCode
    public var message: String
    /// In the spec, or in `otherFile` when it is set.
    public var range: SourceRange
    /// The file `range` is in when it is not the spec; the first note then points into the spec.
    public var otherFile: OtherFile? = nil
    public var notes: [DiagnosticNote]
    /// What would fix it: a did-you-mean, an accepted range, a rewrite.
    public var help: String?
    /// The same fix as edits, where it is mechanical (alternatives, the likeliest first).
    public var fixes: [FixIt]

    public var severity: Severity { code.severity }

    /// Where it stands in the spec: its range, or for one in another file its first note's.
    public var anchor: SourceRange { otherFile == nil ? range : notes.first?.range ?? .none }

    public init(_ code: DiagnosticCode, _ message: String, at range: SourceRange,
                notes: [DiagnosticNote] = [], help: String? = nil, fixes: [FixIt] = []) {
        self.code = code
        self.message = message
        self.range = range
        self.notes = notes
        self.help = help
        self.fixes = fixes
    }
}

/// Collects the diagnostics of one file; every stage appends and keeps going where it can.
public struct DiagnosticBag: Sendable {
    public private(set) var all: [Diagnostic] = []
    /// Diagnostics past `limit`, counted but not kept: a file with 60,000 bad keys needs its first
    /// few hundred reported, not a gigabyte of messages.
    public private(set) var omittedErrors = 0
    public private(set) var omittedWarnings = 0

    /// Diagnostics kept per file.
    public static let limit = 200

    public init() {}

    public var hasErrors: Bool { omittedErrors > 0 || all.contains { $0.severity == .error } }
    /// Whether further diagnostics are only counted; callers may skip building their messages.
    public var isFull: Bool { all.count >= Self.limit }
    public var omitted: Int { omittedErrors + omittedWarnings }

    public mutating func report(_ diagnostic: Diagnostic) {
        guard !isFull else { return omit(diagnostic.code) }
        all.append(diagnostic)
    }

    /// Counts a diagnostic without keeping it.
    public mutating func omit(_ code: DiagnosticCode) {
        if code.severity == .error { omittedErrors += 1 } else { omittedWarnings += 1 }
    }

    /// Reports an error or a warning; the code decides which.
    public mutating func report(_ code: DiagnosticCode, _ message: String, at range: SourceRange,
                                notes: [DiagnosticNote] = [], help: String? = nil, fixes: [FixIt] = []) {
        report(Diagnostic(code, message, at: range, notes: notes, help: help, fixes: fixes))
    }

    public mutating func error(_ code: DiagnosticCode, _ message: String, at range: SourceRange,
                               notes: [DiagnosticNote] = [], help: String? = nil, fixes: [FixIt] = []) {
        report(code, message, at: range, notes: notes, help: help, fixes: fixes)
    }

    /// Drops the diagnostics `keep` rejects (suppressed warnings).
    public mutating func filter(_ keep: (Diagnostic) -> Bool) {
        all = all.filter(keep)
    }

    /// The kept diagnostics replaced (notes added), the omitted counts kept.
    public mutating func replace(with diagnostics: [Diagnostic]) {
        all = diagnostics
    }

    public mutating func append(contentsOf other: DiagnosticBag) {
        for d in other.all { report(d) }
        omittedErrors += other.omittedErrors
        omittedWarnings += other.omittedWarnings
    }

    /// The diagnostics in source order (stable for equal positions), as a reader expects them; one in
    /// another file sits where its spec note does.
    public var sorted: [Diagnostic] {
        all.enumerated().sorted { a, b in
            a.element.anchor.start != b.element.anchor.start
                ? a.element.anchor.start < b.element.anchor.start : a.offset < b.offset
        }.map(\.element)
    }
}
