// The corpus of broken inputs (Tests/dnncTests/Corpus, made by tools/make_broken_corpus.py): every
// case gives its exit code and its diagnostic at its place, and leaves every file as it was.

import Foundation
import Testing

struct CorpusTests {
    static let folder = Binary.root.appendingPathComponent("Tests/dnncTests/Corpus")

    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var command: String
        var extra: [String]
        var status: Int32
        var expected: String
        var description: String { "\(command) \(file) \(extra.joined(separator: " "))" }
    }

    static let cases: [Case] = {
        let text = (try? String(contentsOf: folder.appendingPathComponent("manifest.tsv"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Case(file: fields[0], command: fields[1], extra: fields[2].split(separator: " ").map(String.init),
                        status: Int32(fields[3])!, expected: fields[4])
        }
    }()

    /// Every file in a folder with its bytes.
    static func snapshot(_ url: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: url.path) {
            files[name] = try Data(contentsOf: url.appendingPathComponent(name))
        }
        return files
    }

    @Test func theCorpusHoldsAtLeastFortyCases() {
        #expect(Self.cases.count >= 40)
    }

    @Test(arguments: cases)
    func eachBrokenInputIsAnErrorThatChangesNothing(_ c: Case) throws {
        let work = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.folder.path) {
            try FileManager.default.copyItem(at: Self.folder.appendingPathComponent(name), to: work.appendingPathComponent(name))
        }
        let before = try Self.snapshot(work)
        let r = try Binary.run([c.command, c.file] + c.extra, directory: work)
        #expect(r.status == c.status, "\(c): exit \(r.status)\n\(r.stdout)\(r.stderr)")
        #expect((r.stdout + r.stderr).contains(c.expected), "\(c): expected `\(c.expected)` in\n\(r.stdout)\(r.stderr)")
        #expect(try Self.snapshot(work) == before, "\(c) created or changed a file")
    }
}
