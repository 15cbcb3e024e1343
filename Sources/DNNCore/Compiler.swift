// The front end as one call: bytes → YAML nodes → spec tree → verified IR → lint, with every diagnostic.

import DNNSyntax
import DNNModel
import DNNCheckpoint
import DNNRuntime

public struct CompileResult: Sendable {
    public var file: SourceFile
    /// The checked tree, whole or with stand-ins for what failed.
    public var spec: SpecRecord?
    /// The checked tree as typed values, where the tree was whole enough to resolve.
    public var resolved: ResolvedSpec?
    public var model: ModelIR?
    public var diagnostics: DiagnosticBag
    /// The warnings `# dnnc: disable` comments silenced.
    public var silenced: [Diagnostic] = []
    /// Where `--set` overrides replaced values: the values there are not the file's text.
    public var overridden: [SourceRange] = []
    /// The model the IR builder made even though the spec has errors elsewhere (an unknown key): what an
    /// editor's hover shows; never trained, exported or linted.
    public var partialModel: ModelIR? = nil
}

/// What a compile may read: the YAML limits, and whether data may come from outside the project.
public enum Compiler {
    public static func compile(_ file: SourceFile, options: CompileOptions = CompileOptions()) -> CompileResult {
        // No overrides: nothing to throw.
        (try? compile(file, overrides: [], options: options)) ?? CompileResult(file: file, spec: nil, model: nil, diagnostics: DiagnosticBag())
    }

    /// Compiles with `--set` overrides applied to the YAML; a bad override throws before anything else.
    public static func compile(_ file: SourceFile, overrides: [Override], options: CompileOptions = CompileOptions()) throws(OverrideError) -> CompileResult {
        var bag = DiagnosticBag()
        var result = CompileResult(file: file, spec: nil, model: nil, diagnostics: bag)
        guard var root = YAMLParser.parse(file, limits: options.limits, diagnostics: &bag) else {
            result.diagnostics = bag
            return result
        }
        var placed: [(range: SourceRange, override: Override)] = []
        if !overrides.isEmpty { (root, placed) = try Overrides.apply(overrides, to: root) }
        result.overridden = placed.map(\.range)
        let suppressions = Suppressions.parse(file, quoted: quotedRanges(root), diagnostics: &bag)
        var checker = SpecChecker()
        let spec = checker.check(root)
        bag.append(contentsOf: checker.bag)
        result.spec = spec
        // The IR is built from a whole tree (every required key there, every value of its type): its
        // builder relies on that. Errors that leave the tree whole (an unknown key, left out) do not
        // stop it, so its shape and data errors are reported in the same run, as rustc keeps going;
        // but a model with any error is not returned, and is not linted.
        if let spec {
            var building = DiagnosticBag()
            let resolved = ResolvedSpec.resolve(spec, file: file, diagnostics: &building)
            result.resolved = resolved
            var model = IRBuilder.build(resolved, file: file, options: options, diagnostics: &building)
            // A diagnostic about a block parameter's value also points at where the block uses it.
            let substitutions = resolved.model.substitutions
            if !substitutions.isEmpty {
                let before = building
                building.replace(with: before.all.map { d in
                    var d = d
                    for use in substitutions where use.value == d.range && !d.notes.contains(where: { $0.range == use.use }) {
                        d.notes.append(DiagnosticNote("it is `${\(use.name)}` of block `\(use.block)`, used here", at: use.use))
                    }
                    return d
                })
                model = building.hasErrors ? nil : model
            }
            let clean = !bag.hasErrors
            result.partialModel = model
            bag.append(contentsOf: building)
            if clean, let model {
                result.model = model
                Linter.lint(resolved, model, diagnostics: &bag)
            }
        }
        result.silenced = Suppressions.apply(suppressions, to: &bag, reportUnused: result.model != nil)
        result.diagnostics = bag
        if !placed.isEmpty {
            // A diagnostic about an overridden value says so: its snippet shows the text it replaced.
            var annotated = bag
            annotated.replace(with: bag.all.map { d in
                var d = d
                if let p = placed.last(where: { $0.range == d.range }) {
                    d.notes.append(DiagnosticNote("the value here was replaced by --set \(p.override.argument)"))
                }
                return d
            })
            result.diagnostics = annotated
        }
        return result
    }

    /// The ranges of quoted and block scalars, where `#` is text rather than a comment.
    static func quotedRanges(_ root: YAMLNode) -> [SourceRange] {
        var ranges: [SourceRange] = []
        func walk(_ node: YAMLNode) {
            switch node.content {
            case .scalar(let s): if !s.isPlain { ranges.append(node.range) }
            case .sequence(let items): items.forEach(walk)
            case .mapping(let pairs): for pair in pairs { walk(pair.key); walk(pair.value) }
            }
        }
        walk(root)
        return ranges
    }
}
