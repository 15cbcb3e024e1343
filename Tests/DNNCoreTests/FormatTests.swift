// The machine formats of `dnnc check`: JSON, SARIF 2.1.0 and GitHub workflow commands, and colour.

import Foundation
import Testing
@testable import DNNCore

struct FormatTests {
    /// Two findings in one file: an error with a located note, and a warning.
    static let result = compile(spec(replacing: "epochs: 10", with: "epochs: 10\n  log_every: 20")
        .replacingOccurrences(of: "{units: 1, name: fc2}", with: "{units: 1, name: fc1}"), path: "dir/a b.yaml")

    static func parse(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    @Test func jsonIsOneArrayOfLocatedFindings() throws {
        #expect(Self.result.diagnostics.all.map(\.code) == [.duplicateName])
        let warning = compile(spec(replacing: "lr: 0.01", with: "lr: 3"))
        let items = try #require(try Self.parse(DiagnosticFormats.json([Self.result, warning])) as? [[String: Any]])
        #expect(items.count == 2)
        let first = items[0]
        #expect(Set(first.keys) == ["file", "line", "column", "end_line", "end_column", "severity", "code", "message", "notes", "help"])
        #expect(first["file"] as? String == "dir/a b.yaml")
        #expect(first["line"] as? Int == 11 && first["column"] as? Int == 31)
        #expect(first["end_line"] as? Int == 11 && first["end_column"] as? Int == 34)
        #expect(first["severity"] as? String == "error" && first["code"] as? String == "E0208")
        let note = try #require((first["notes"] as? [[String: Any]])?.first)
        #expect(note["message"] as? String == "the first `fc1` is here")
        #expect(note["line"] as? Int == 10 && note["column"] as? Int == 50)
        #expect(first["help"] as? String == "give each layer a unique `name`")
        #expect(items[1]["severity"] as? String == "warning" && items[1]["code"] as? String == "W0450")
        #expect(try Self.parse(DiagnosticFormats.json([])) as? [Any] != nil)
    }

    @Test func sarifDescribesEveryRuleAndLocatesEveryResult() throws {
        let log = try #require(try Self.parse(DiagnosticFormats.sarif([Self.result])) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "dnnc")
        let rules = try #require(driver["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String } == DiagnosticCode.allCases.map(\.rawValue))
        #expect((rules[0]["shortDescription"] as? [String: Any])?["text"] as? String == DiagnosticCode.yamlSyntax.summary)
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == 1)
        let r = results[0]
        #expect(r["ruleId"] as? String == "E0208" && r["level"] as? String == "error")
        #expect(rules[r["ruleIndex"] as! Int]["id"] as? String == "E0208")
        let physical = try #require(((r["locations"] as? [[String: Any]])?.first)?["physicalLocation"] as? [String: Any])
        #expect((physical["artifactLocation"] as? [String: Any])?["uri"] as? String == "dir/a%20b.yaml")
        let region = try #require(physical["region"] as? [String: Int])
        #expect(region == ["startLine": 11, "startColumn": 31, "endLine": 11, "endColumn": 34])
        #expect((r["relatedLocations"] as? [Any])?.count == 1)
        #expect(run["columnKind"] as? String == "unicodeCodePoints")
    }

    @Test func githubCommandsAnnotateTheLineWithEscapedText() {
        let out = DiagnosticFormats.github([Self.result])
        #expect(out == "::error file=dir/a b.yaml,line=11,col=31,endLine=11,endColumn=33,title=E0208::a layer named `fc1` already exists%0Anote: the first `fc1` is here (line 10)%0Ahelp: give each layer a unique `name`\n")
        #expect(DiagnosticFormats.escapeProperty("a:b,c%\n") == "a%3Ab%2Cc%25%0A")
        let warning = DiagnosticFormats.github([compile(spec(replacing: "lr: 0.01", with: "lr: 3"))])
        #expect(warning.hasPrefix("::warning file=test.yaml,line=14,col=25,title=W0450::"))
    }

    @Test func theSnippetsOfOneDiagnosticShareOneGutter() {
        let result = compile(spec(replacing: "batch_size: 1", with: "batch_size: 9"))
        let text = DiagnosticRenderer.text(result.diagnostics.all[0], in: result.file)
        #expect(text.contains("\n 16 |   batch_size: 9\n    |               ^\n"))
        #expect(text.contains("\n  5 |     inputs:  [[0, 1], [2, 3], [4, 5], [6, 7]]\n    |              ^"))
    }

    @Test func colourOnlyWhenAsked() {
        let d = Self.result.diagnostics.all[0]
        let plain = DiagnosticRenderer.text(d, in: Self.result.file)
        let colored = DiagnosticRenderer.text(d, in: Self.result.file, color: true)
        #expect(!plain.contains("\u{1B}["))
        #expect(colored.contains("\u{1B}[1;31merror[E0208]:\u{1B}[0m"))
        #expect(colored.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression) == plain)
    }
}
