// `dnnc explain CODE`: the long description of a diagnostic, with a spec that triggers it and the fix.

import ArgumentParser
import DNNCore

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explain a diagnostic code, with an example that triggers it and the fix.")

    @Argument(help: "A code such as E0203 or W0354.")
    var code: String?

    @Flag(help: "List every code with its meaning.")
    var list = false

    func validate() throws {
        if code == nil && !list { throw ValidationError("give a code such as E0203, or --list") }
    }

    func run() throws {
        if list {
            Console.out(DiagnosticCode.allCases.map { "\($0.rawValue)  \($0.severity.rawValue.padding(7))  \($0.summary)\n" }.joined())
            return
        }
        let name = code!.uppercased()
        guard let diagnostic = DiagnosticCode(rawValue: name) else {
            let hint = Suggestions.didYouMean(name, among: DiagnosticCode.allCases.map(\.rawValue)).map { "; \($0)" } ?? ""
            throw Console.fail("no diagnostic code `\(code!)`\(hint) (`dnnc explain --list` lists them)")
        }
        Console.out(ExplanationDocs.text(diagnostic))
    }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
