// The front end as one call: bytes → YAML nodes → spec tree → verified IR, with every diagnostic.

public struct CompileResult: Sendable {
    public var file: SourceFile
    public var spec: SpecRecord?
    public var model: ModelIR?
    public var diagnostics: DiagnosticBag
}

public enum Compiler {
    public static func compile(_ file: SourceFile) -> CompileResult {
        var bag = DiagnosticBag()
        var result = CompileResult(file: file, spec: nil, model: nil, diagnostics: bag)
        guard let root = YAMLParser.parse(file, diagnostics: &bag) else {
            result.diagnostics = bag
            return result
        }
        var checker = SpecChecker()
        let spec = checker.check(root)
        bag.append(contentsOf: checker.bag)
        result.spec = spec
        // The IR is built only from a tree without errors: its builder relies on every required key.
        if let spec, !bag.hasErrors {
            result.model = IRBuilder.build(spec, file: file, diagnostics: &bag)
        }
        result.diagnostics = bag
        return result
    }
}
