// `dnnc resolve`: the resolved spec writes out every default, marks each `# default`, and means
// exactly what the original means.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

/// Everything the IR says about a run, without source ranges.
func fingerprint(_ ir: ModelIR) -> String {
    "\(ir.name) \(ir.seed) \(ir.inputShape) \(ir.layers.map { ($0.name, $0.kind, $0.activation, $0.parameters) }) "
        + "\(ir.loss) \(ir.optimizer) \(ir.schedule) \(ir.inputNormalization) \(ir.targetNormalization) "
        + "\(ir.train.inputs) \(ir.train.targets)"
}

/// The paths of values that were left to a default, or missing, in a tree checked against its table.
func defaultedPaths(_ record: SpecRecord, _ table: Record, path: String = "") -> [String] {
    var found: [String] = []
    for field in table.fields {
        let here = path.isEmpty ? field.name : "\(path).\(field.name)"
        guard let value = record[field.name] else {
            if case .off = field.defaultValue { continue }  // omitted means off; resolve leaves it out
            found.append(here + " (missing)")
            continue
        }
        if value.isDefault { found.append(here) }
        switch (value.content, field.type) {
        case (.record(let r), .record(let t)): found += defaultedPaths(r, t, path: here)
        case (.choice(let c), .choice(let catalog)):
            found += defaultedPaths(c.params, Record(name: c.kind, fields: catalog.kind(named: c.kind)!.params), path: here)
        case (.list(let items), .list(.choice(let catalog), _)):
            for (i, item) in items.enumerated() {
                let c = item.choice!
                found += defaultedPaths(c.params, Record(name: c.kind, fields: catalog.kind(named: c.kind)!.params),
                                        path: "\(here)[\(i)]")
            }
        default: break
        }
    }
    return found
}

struct ResolveTests {
    static func examples() throws -> [(String, String)] {
        let specs = try FileManager.default.subpathsOfDirectory(atPath: Repo.path("specs"))
            .filter { $0.hasSuffix(".yaml") }.sorted()
        var all = try specs.map { ("specs/\($0)", try String(contentsOfFile: Repo.path("specs/\($0)"), encoding: .utf8)) }
        all.append(("test.yaml", baseSpec))
        // A validation set, written like train: resolve once printed it as an empty `validation:`.
        all.append(("validation-set.yaml", spec(replacing: "model:\n", with: "  validation:\n    inputs: [[1, 1], [3, 3]]\n    targets: [[2.0], [1.0]]\nmodel:\n")))
        for code in DiagnosticCode.allCases { all.append(("example-\(code.rawValue).yaml", code.explanation.good)) }
        return all
    }

    @Test func theResolvedSpecMeansTheSameAndLeavesNothingToDefaults() throws {
        for (path, text) in try Self.examples() {
            let original = compile(text, path: path)
            let resolved = try #require(Resolver.resolve(original), "\(path) should resolve")
            let again = compile(resolved, path: path)
            let errors = again.diagnostics.all.filter { $0.severity == .error }
            #expect(errors.isEmpty, "\(path): \(errors.map { DiagnosticRenderer.text($0, in: again.file) })")
            guard let model = again.model else {
                Issue.record("\(path) resolves to a spec that does not compile:\n\(resolved)")
                continue
            }
            #expect(fingerprint(model) == fingerprint(original.model!), "\(path)")
            #expect(defaultedPaths(again.spec!, Language.spec) == [], "\(path):\n\(resolved)")
            // The same warnings: what the original silenced stays silenced.
            #expect(again.diagnostics.all.map(\.code) == original.diagnostics.all.map(\.code), "\(path)")
        }
    }

    @Test func defaultsAreMarkedAndWrittenValuesAreNot() throws {
        let resolved = try #require(Resolver.resolve(compile(baseSpec)))
        let lines = resolved.split(separator: "\n").map(String.init)
        #expect(lines[0] == "# test.yaml resolved by dnnc \(DNNCVersion.current): `# default` marks what the spec left out")
        #expect(lines.contains("name: test  # default: the file's stem"))
        #expect(lines.contains("seed: 3"))
        #expect(lines.contains("  log_every: 1  # default"))
        #expect(lines.contains("  batch_size: 1"))
        #expect(lines.contains("  normalize:  # default"))
        #expect(lines.contains("    inputs: none  # default"))
        #expect(lines.contains("        activation: identity  # default"))
        #expect(lines.contains("        weights: glorot_uniform  # default: model.init.weights"))
        #expect(lines.contains("      momentum: 0  # default"))
        #expect(lines.contains("    targets:"))
        #expect(lines.contains("      - [1.6666667]"), "written numbers keep their spelling")
        // Every line that was not written in the original is marked.
        let written = try #require(compile(baseSpec).spec)
        #expect(defaultedPaths(written, Language.spec).count > 0)
    }

    @Test func resolvingTwiceChangesNothingButTheMarks() throws {
        let once = try #require(Resolver.resolve(compile(baseSpec)))
        let twice = try #require(Resolver.resolve(compile(once)))
        func stripped(_ s: String) -> String {
            s.split(separator: "\n").dropFirst().map { $0.components(separatedBy: "  # default")[0] }.joined(separator: "\n")
        }
        #expect(!twice.split(separator: "\n").dropFirst().joined().contains("# default"))
        #expect(stripped(once) == stripped(twice))
    }

    @Test func namesThatYAMLWouldReadAsOtherTypesAreQuoted() throws {
        for stem in ["true", "null", "12", "my spec", "-x"] {
            let resolved = try #require(Resolver.resolve(compile(baseSpec, path: "\(stem).yaml")))
            #expect(try #require(compile(resolved).model).name == stem)
        }
    }

    @Test func anchorsAndAliasesResolveToTheirValues() throws {
        let text = spec(replacing: "units: 10", with: "units: &width 10").replacingOccurrences(of: "epochs: 10", with: "epochs: *width")
        let resolved = try #require(Resolver.resolve(compile(text)))
        #expect(resolved.contains("        units: 10\n") && resolved.contains("  epochs: 10\n"))
        #expect(!resolved.contains("&") && !resolved.contains("*"))
    }

    @Test func aSpecWithErrorsDoesNotResolve() {
        #expect(Resolver.resolve(compile(spec(replacing: "units: 10", with: "units: 0"))) == nil)
    }
}
