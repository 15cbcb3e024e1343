// Every diagnostic code is documented with a spec that triggers exactly that code and a fixed spec
// that triggers nothing; `dnnc explain` and grammar/diagnostics.md show them.

import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

struct ExplanationTests {
    @Test(arguments: DiagnosticCode.allCases)
    func theBadExampleTriggersExactlyItsCode(_ code: DiagnosticCode) {
        // A code found while training: the example checks clean, and training it reports the code.
        let found = ExplanationDocs.diagnostics(code.explanation).diagnostics
        let codes = found.map(\.code)
        #expect(codes.contains(code) && codes.allSatisfy { $0 == code || code.explanation.accompaniedBy.contains($0) },
                "\(code.rawValue)'s example reports \(found.map { "\($0.code.rawValue) \($0.message)" })")
    }

    @Test(arguments: DiagnosticCode.allCases)
    func theFixedExampleIsClean(_ code: DiagnosticCode) {
        let result = Compiler.compile(SourceFile(path: "example.yaml", text: code.explanation.good), options: CompileOptions(limits: code.explanation.limits))
        #expect(result.diagnostics.all.isEmpty,
                "\(code.rawValue)'s fixed example reports \(result.diagnostics.all.map { "\($0.code.rawValue) \($0.message)" })")
        #expect(result.model != nil)
        if code.explanation.stage == .run {
            var fixed = code.explanation
            fixed.bad = fixed.good
            let trained = ExplanationDocs.diagnostics(fixed).diagnostics
            #expect(trained.isEmpty, "\(code.rawValue)'s fixed example reports \(trained.map(\.message)) when trained")
        }
    }

    @Test func codesAreUniqueAndFollowTheNumbering() {
        let raw = DiagnosticCode.allCases.map(\.rawValue)
        #expect(Set(raw).count == raw.count)
        for code in DiagnosticCode.allCases {
            let number = Int(code.rawValue.dropFirst())!
            #expect((101...499).contains(number) && code.rawValue.count == 5, "\(code.rawValue)")
            // Errors count from 01 within their stage, warnings from 50.
            #expect((number % 100 >= 50) == (code.severity == .warning), "\(code.rawValue)")
        }
    }

    @Test func explainShowsTheRuleTheReportAndTheFix() {
        let text = ExplanationDocs.text(.unknownKind)
        #expect(text.hasPrefix("E0203 (error): an unknown layer, activation, initializer, loss or optimizer\n\n"))
        #expect(text.contains("        - dense: {units: 8, activation: tahn, name: hidden}\n"))
        #expect(text.contains("    example.yaml:9:37: error[E0203]: unknown activation `tahn`\n"))
        #expect(text.contains("      help: did you mean `tanh`?\n"))
        #expect(text.hasSuffix("        - dense: {units: 8, activation: tanh, name: hidden}\n        - dense: {units: 1, name: out}\n    train:\n      loss: mse\n      optimizer: {sgd: {lr: 0.1}}\n      epochs: 100\n"))
        for line in text.split(separator: "\n") where !line.hasPrefix("    ") {
            #expect(line.count <= 100, "a description line is not wrapped: \(line)")
        }
    }
}
