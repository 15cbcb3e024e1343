// A text corpus for character-level models (`data.train: {text, context, stride}`): the file's Unicode
// code points, the vocabulary (the training text's distinct code points in code-point order, as
// Python's sorted(set(text))), and its windows: `context` characters every `stride`, each with the
// characters that follow, one per position (targets [context]) or the window's next one (targets [1]).
// The window starting at s reads characters s ..< s + context and is followed by s + 1 ... s + context,
// so the last window starts where its last target is the text's last character.

import Foundation
import DNNSyntax

public struct TextCorpus: Sendable {
    public var characters: [Unicode.Scalar]

    /// Most values the windows of a set may hold (inputs and targets together): past it, a larger
    /// stride is the fix.
    public static let maxValues = 1 << 28

    /// The file as UTF-8; an invalid byte is an error at its line and column.
    public static func read(_ path: String, displayName: String) throws(DataFileError) -> TextCorpus {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw DataFileError(message: "cannot read \(displayName): no such file", help: "paths are relative to the spec's folder")
        }
        if let size = DataFiles.fileSize(path), size > DataFiles.maxBytes {
            throw DataFileError(message: "\(displayName) is larger than 1 GiB", help: nil)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataFileError(message: "cannot read \(displayName): permission denied or unreadable", help: nil)
        }
        var characters: [Unicode.Scalar] = []
        characters.reserveCapacity(data.count)
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = data.makeIterator()
        var line = 1, column = 1
        loop: while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                characters.append(scalar)
                if scalar == "\n" { line += 1; column = 1 } else { column += 1 }
            case .error:
                throw DataFileError(message: "\(displayName):\(line):\(column): the text is not valid UTF-8", help: "save the file as UTF-8")
            case .emptyInput:
                break loop
            }
        }
        return TextCorpus(characters: characters)
    }

    /// The distinct characters, in code-point order.
    public var vocabulary: [Unicode.Scalar] { Array(Set(characters)).sorted { $0.value < $1.value } }

    /// Each character's index in `vocabulary`; the first character it lacks (with its line and
    /// column) is an error.
    public func indices(in vocabulary: [Unicode.Scalar], displayName: String) throws(DataFileError) -> [Float] {
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, Float($0)) })
        var out: [Float] = []
        out.reserveCapacity(characters.count)
        var line = 1, column = 1
        for c in characters {
            guard let k = index[c] else {
                throw DataFileError(message: "\(displayName):\(line):\(column): \(Self.describe(c)) is not a character of the training text",
                                    help: "the vocabulary is the training text's characters; add it there, or remove it here")
            }
            out.append(k)
            if c == "\n" { line += 1; column = 1 } else { column += 1 }
        }
        return out
    }

    /// The starts of the windows of `context` characters every `stride` whose targets are in the text.
    public static func windowStarts(count: Int, context: Int, stride: Int) -> StrideTo<Int> {
        Swift.stride(from: 0, to: max(count - context, 0), by: stride)
    }

    /// The windows' inputs [rows, context] and targets [rows, targetColumns] (context: the character
    /// after each position; 1: the one after the window).
    public static func windows(_ ids: [Float], context: Int, stride: Int, targetColumns: Int) -> (inputs: DataTable, targets: DataTable) {
        let starts = windowStarts(count: ids.count, context: context, stride: stride)
        var inputs: [Float] = [], targets: [Float] = []
        inputs.reserveCapacity(starts.underestimatedCount * context)
        for s in starts {
            inputs += ids[s ..< s + context]
            targets += targetColumns == 1 ? [ids[s + context]] : Array(ids[s + 1 ... s + context])
        }
        let rows = inputs.count / max(context, 1)
        return (DataTable(rows: rows, columns: context, numbers: [], floats: inputs, texts: [], header: nil),
                DataTable(rows: rows, columns: targetColumns, numbers: [], floats: targets, texts: [], header: nil))
    }

    /// `` `a` ``, or the code point of a character a terminal would not show (`U+000A`).
    public static func describe(_ c: Unicode.Scalar) -> String {
        c.properties.generalCategory == .control || c == " " ? String(format: "U+%04X", c.value) : "`\(c)`"
    }
}
