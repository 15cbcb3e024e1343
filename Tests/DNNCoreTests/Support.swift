// Helpers shared by the tests: paths inside the repository, compiling spec text, closeness checks.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

enum Repo {
    /// The repository's top folder, found from this file's path.
    static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func file(_ relative: String) throws -> SourceFile {
        let data = try Data(contentsOf: root.appendingPathComponent(relative))
        return SourceFile(path: relative, bytes: Array(data))
    }
}

/// Compiles spec text, as if read from `test.yaml`.
func compile(_ text: String, path: String = "test.yaml") -> CompileResult {
    Compiler.compile(SourceFile(path: path, text: text))
}

/// Compiles spec text that must be valid, returning its IR.
func model(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> ModelIR {
    let result = compile(text)
    let rendered = result.diagnostics.all.map { DiagnosticRenderer.text($0, in: result.file) }.joined()
    return try #require(result.model, "the spec should compile:\n\(rendered)", sourceLocation: sourceLocation)
}

/// The largest |a − b| / (atol + rtol·|b|) over two arrays: at most 1 means every pair is close.
func closeness(_ a: [Float], _ b: [Double], rtol: Double, atol: Double) -> (worst: Double, index: Int) {
    var worst = 0.0, index = -1
    for (i, (x, y)) in zip(a, b).enumerated() {
        let score = abs(Double(x) - y) / (atol + rtol * abs(y))
        if score > worst || index < 0 { worst = score; index = i }
    }
    return (worst, index)
}

/// A small valid spec to vary in tests: `replacing` swaps one line for another.
let baseSpec = """
dnnc: 1
seed: 3
data:
  train:
    inputs:  [[0, 1], [2, 3], [4, 5], [6, 7]]
    targets: [[1.6666667], [3.6666667], [1.0], [1.6666667]]
model:
  input: [2]
  layers:
    - dense: {units: 10, activation: relu, name: fc1}
    - dense: {units: 1, name: fc2}
train:
  loss: mse
  optimizer: {sgd: {lr: 0.01}}
  epochs: 10
  batch_size: 1
  shuffle: false

"""

func spec(replacing old: String, with new: String) -> String {
    precondition(baseSpec.contains(old), "baseSpec has no `\(old)`")
    return baseSpec.replacingOccurrences(of: old, with: new)
}
