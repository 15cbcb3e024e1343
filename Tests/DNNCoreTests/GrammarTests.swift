// The published grammar is produced from the language table; these tests keep the committed copies current.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

struct GrammarTests {
    @Test func committedSchemaIsCurrent() throws {
        let committed = try String(contentsOfFile: Repo.path("grammar/dnnc.schema.json"), encoding: .utf8)
        #expect(committed == SchemaExport.jsonSchema().pretty + "\n",
                "grammar/dnnc.schema.json is stale: run `swift run dnnc schema > grammar/dnnc.schema.json`")
    }

    @Test func committedReferenceIsCurrent() throws {
        let committed = try String(contentsOfFile: Repo.path("grammar/reference.md"), encoding: .utf8)
        #expect(committed == SchemaExport.reference(),
                "grammar/reference.md is stale: run `swift run dnnc reference > grammar/reference.md`")
    }

    @Test func committedDiagnosticsReferenceIsCurrent() throws {
        let committed = try String(contentsOfFile: Repo.path("grammar/diagnostics.md"), encoding: .utf8)
        #expect(committed == ExplanationDocs.markdown(),
                "grammar/diagnostics.md is stale: run `swift run dnnc reference --diagnostics > grammar/diagnostics.md`")
    }

    @Test func referenceNamesEveryKindAndCode() {
        let reference = SchemaExport.reference()
        for catalog in Language.catalogs {
            for kind in catalog.kinds { #expect(reference.contains("### `\(kind.name)`")) }
        }
        let diagnostics = ExplanationDocs.markdown()
        for code in DiagnosticCode.allCases { #expect(diagnostics.contains("\n## \(code.rawValue)\n")) }
    }

    @Test func schemaDescribesEveryChoice() {
        let schema = SchemaExport.jsonSchema().compact
        for name in Language.activations.allNames + Language.optimizers.allNames + Language.losses.allNames {
            #expect(schema.contains("\"\(name)\""), "\(name) is missing from the schema")
        }
        #expect(schema.contains("\"$schema\":\"https://json-schema.org/draft/2020-12/schema\""))
    }
}
