// The machine formats of `dnnc check`: JSON, SARIF 2.1.0 and GitHub workflow commands, and colour.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

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
        #expect(Set(first.keys) == ["file", "line", "column", "end_line", "end_column", "severity", "code", "message", "notes", "help", "fixes"])
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

/// Fix-its as data: each did-you-mean is also an edit of the misspelt name's own span, carried in
/// JSON and SARIF; applying the first fix of every finding gives a spec that compiles clean.
struct FixItTests {
    static let text = spec(replacing: "epochs: 10", with: "epohcs: 10")
        .replacingOccurrences(of: "activation: relu", with: "activation: rleu")
        .replacingOccurrences(of: "{units: 1, name: fc2}", with: "{untis: 1, name: fc2}")

    /// The text with each range replaced, the last first so that earlier positions stay valid.
    static func apply(_ fixes: [FixIt], to text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        for fix in fixes.sorted(by: { $0.range.start > $1.range.start }) {
            precondition(fix.range.start.line == fix.range.end.line, "one-line fixes")
            let l = fix.range.start.line - 1
            lines[l].replaceSubrange(fix.range.start.column - 1 ..< fix.range.end.column - 1, with: fix.replacement.unicodeScalars)
        }
        return lines.map { String(String.UnicodeScalarView($0)) }.joined(separator: "\n")
    }

    @Test func didYouMeanIsAnEditThatFixesTheSpec() throws {
        let result = compile(Self.text)
        // Three misspellings (each also leaves a required key missing, which has no fix of its own).
        let findings = result.diagnostics.all.filter { !$0.fixes.isEmpty }
        #expect(findings.count == 3, "\(result.diagnostics.all.map(\.message))")
        #expect(findings.allSatisfy { finding in finding.fixes.first?.range == finding.range }, "each fix replaces the misspelt name")
        #expect(Set(findings.compactMap(\.fixes.first?.replacement)) == ["epochs", "relu", "units"])
        let fixed = compile(Self.apply(findings.compactMap(\.fixes.first), to: Self.text))
        #expect(fixed.model != nil && fixed.diagnostics.all.isEmpty, "\(fixed.diagnostics.all.map(\.message))")

        let json = try #require(try FormatTests.parse(DiagnosticFormats.json([result])) as? [[String: Any]])
        let fixes = json.compactMap { ($0["fixes"] as? [[String: Any]])?.first }
        #expect(fixes.count == 3 && fixes.allSatisfy { $0["replacement"] is String && $0["line"] is Int && $0["end_column"] is Int })
        let sarif = try #require(try FormatTests.parse(DiagnosticFormats.sarif([result])) as? [String: Any])
        let results = try #require(((sarif["runs"] as? [[String: Any]])?.first?["results"]) as? [[String: Any]])
        let replacements = results.compactMap { result -> String? in
            let fix = (result["fixes"] as? [[String: Any]])?.first
            let change = (fix?["artifactChanges"] as? [[String: Any]])?.first
            let replacement = (change?["replacements"] as? [[String: Any]])?.first
            return (replacement?["insertedContent"] as? [String: Any])?["text"] as? String
        }
        #expect(Set(replacements) == ["epochs", "relu", "units"])
    }

    @Test func noFixWithoutACloseName() {
        let result = compile(spec(replacing: "epochs: 10", with: "epochs: 10\n  zzzzzz: 1"))
        #expect(result.diagnostics.all.count == 1 && result.diagnostics.all[0].fixes.isEmpty)
    }
}

/// Every independent error in one run: an unknown key is left out and the later stages still check
/// the rest (issue 14: an unknown key in one layer hid a data-width mismatch and a shape error).
struct KeepGoingTests {
    @Test func anUnknownKeyDoesNotHideShapeOrDataErrors() {
        let text = """
            dnnc: 1
            data: {train: {inputs: [[0, 0, 1], [0, 1, 1]], targets: [[0], [1]]}}
            model:
              input: [2]
              layers:
                - dense: {units: 4, activaton: relu}
                - conv2d: {filters: 2, kernel: 3}
                - dense: {units: 1}
            train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 10}
            """
        let result = compile(text)
        let codes = Set(result.diagnostics.all.map(\.code))
        #expect(codes.contains(.unknownKey) && codes.contains(.inputWidth) && codes.contains(.layerGeometry), "\(result.diagnostics.all.map(\.message))")
        #expect(result.model == nil, "a spec with errors yields no model")
    }

    /// A value of the wrong type no longer stops the run at the checker: an optional key's default stands
    /// in for it, and a layer with an error stays in the list as a stand-in, so the other layers' shapes
    /// and the data are still checked.
    @Test func aWrongValueDoesNotHideShapeOrDataErrors() {
        let text = """
            dnnc: 1
            data: {train: {inputs: [[0, 0, 1], [0, 1, 1]], targets: [[0], [1]]}}
            model:
              input: [2]
              layers:
                - dense: {units: "four"}
                - dense: {units: 3, inputs: [input], name: side}
                - conv2d: {filters: 2, kernel: 3, inputs: [side]}
                - dense: {units: 1, inputs: [side]}
            train: {loss: mse, optimizer: {sgd: {lr: 0.1, momentum: high}}, epochs: 10, batch_size: 0}
            """
        let result = compile(text)
        let found = result.diagnostics.all.map { "\($0.code.rawValue) \($0.range.start.line)" }
        #expect(found.sorted() == ["E0201 10", "E0201 6", "E0205 10", "E0301 2", "E0311 8"].sorted(), "\(result.diagnostics.all.map(\.message))")
        #expect(result.model == nil)
    }

    /// The layers that read a layer with an error are not checked against a shape it does not have:
    /// no error follows from the first.
    @Test func layersReadingABrokenLayerAddNoErrors() {
        let text = """
            dnnc: 1
            data: {train: {inputs: [[0, 1], [1, 1]], targets: [[0], [1]]}}
            model:
              input: [2]
              layers:
                - dense: {units: -4, name: a}
                - conv2d: {filters: 2, kernel: 3, name: b}
                - dense: {units: 1, inputs: [b]}
                - dense: {units: 1, inputs: [a]}
                - add: {inputs: [a, b]}
            train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 10}
            """
        let result = compile(text)
        #expect(result.diagnostics.all.map(\.code) == [.outOfRange], "\(result.diagnostics.all.map(\.message))")
        let unrelated = compile(text.replacingOccurrences(of: "inputs: [a]}", with: "inputs: [input]}\n    - maxpool2d: {size: 2, inputs: [input]}"))
        #expect(Set(unrelated.diagnostics.all.map(\.code)) == [.outOfRange, .layerGeometry], "\(unrelated.diagnostics.all.map(\.message))")
    }

    /// A default that stands in for an invalid value keeps the spec whole, but its layer is not lowered:
    /// a merge whose `inputs` were invalid would otherwise read only the layer before and report that.
    @Test func aDefaultStandingInDoesNotLowerItsLayer() {
        let text = """
            dnnc: 1
            data: {train: {inputs: [[0, 1], [2, 3]], targets: [[1], [0]]}}
            model:
              input: [2]
              layers:
                - dense: {units: 4, name: a}
                - dense: {units: 4, name: b, inputs: [input]}
                - add: {inputs: 5}
                - dense: {units: 1, activation: rleu}
                - conv2d: {filters: 2, kernel: 3, inputs: [a]}
            train: {loss: mse, optimizer: {sgd: {lr: 0.1}}, epochs: 2}
            """
        let result = compile(text)
        #expect(result.diagnostics.all.map(\.code) == [.wrongType, .unknownKind, .layerGeometry], "\(result.diagnostics.all.map(\.message))")
    }

    @Test func aMissingRequiredKeyStillStopsBeforeTheIR() {
        // `untis` for `units`: unknown, and `units` missing; the IR builder, which needs it, is not run.
        let result = compile(spec(replacing: "{units: 1, name: fc2}", with: "{untis: 1, name: fc2}"))
        #expect(Set(result.diagnostics.all.map(\.code)) == [.unknownKey, .missingKey])
        #expect(result.model == nil)
    }
}
