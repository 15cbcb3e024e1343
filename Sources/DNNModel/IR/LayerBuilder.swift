// The layers of a spec as a graph with inferred shapes. Each layer reads the layer before it, or the
// layers its `inputs` name (`input` is the model's input); a layer may read only layers written before
// it, so spec order is a topological order and a cycle cannot be written. Each kind infers its output
// shape from its inputs' and declares its parameters with PyTorch's names and layouts. Shapes are per
// sample: [features] after dense, [channels, height, width] for images, [channels, length] for conv1d.

import DNNSyntax

package struct LayerBuilder {
    let model: ModelSection
    var bag = DiagnosticBag()

    package init(model: ModelSection) {
        self.model = model
    }

    mutating func build() -> [Layer]? {
        let inputShape = model.input.value, inputShapeRange = model.input.range
        guard let entries = model.layers else { return nil }
        var layers: [Layer] = []
        // Per layer: the padded token positions its values descend from (Padding), if any.
        var paddings: [Padding?] = []
        var indexOf: [String: Int] = [:]
        let names = entries.map(\.name.value)
        var parameterTotal = 0
        // A layer that cannot be lowered (its errors reported) stays in the list as a stand-in without a
        // shape, and the layers that read it are skipped: every other layer is still checked, as rustc
        // goes on past an error, without errors that would only follow from the first.
        var unknown = Set<Int>()
        func standIn(_ entry: LayerEntry, inputs: [Int]) {
            unknown.insert(layers.count)
            paddings.append(nil)
            layers.append(Layer(name: entry.name.value, kind: ActivationLayer(), activation: .identity, inputs: inputs, inputShapes: [],
                                outputShape: [], parameters: [], range: entry.range,
                                source: LayerSource(kind: entry.choice.nameRange, name: entry.name.range)))
        }
        for (l, entry) in entries.enumerated() {
            let choice = entry.choice, name = entry.name.value
            if let first = indexOf[name] {
                bag.error(.duplicateName, "a layer named `\(name)` already exists", at: entry.name.range,
                          notes: [DiagnosticNote("the first `\(name)` is here", at: entries[first].name.range)],
                          help: "give each layer a unique `name`")
                standIn(entry, inputs: [])
                continue
            }
            if name == "input" {
                bag.error(.duplicateName, "`input` names the model's input; a layer cannot take that name", at: entry.name.range)
                standIn(entry, inputs: [])
                continue
            }
            // Inputs: the layer before, or the named ones.
            var inputs: [Int] = []
            var resolved = true
            if let written = entry.inputs {
                for reference in written {
                    let target = reference.name
                    if target == "input" { inputs.append(-1); continue }
                    if let index = indexOf[target] { inputs.append(index); continue }
                    if let later = names.firstIndex(of: target) {
                        bag.error(.badReference, "`\(name)` reads `\(target)`, which comes after it: a layer reads only layers written before it, so the graph has no cycles",
                                  at: reference.range, notes: [DiagnosticNote("`\(target)` is here", at: entries[later].name.range)],
                                  help: "move `\(target)` before `\(name)`")
                    } else {
                        let guess = Suggestions.guess(target, among: Array(names[..<l]) + ["input"], at: reference.range)
                        bag.error(.badReference, "`\(name)` reads `\(target)`, but no layer has that name", at: reference.range,
                                  help: guess.help
                                      ?? "the layers before it are " + (["input"] + names[..<l]).map { "`\($0)`" }.joined(separator: ", "),
                                  fixes: guess.fixes)
                    }
                    resolved = false
                }
            } else {
                inputs = [l - 1]
            }
            indexOf[name] = l
            guard resolved, !choice.isBroken, !inputs.contains(where: unknown.contains) else {
                standIn(entry, inputs: inputs)
                continue
            }
            let shapes = inputs.map { $0 < 0 ? inputShape : layers[$0].outputShape }
            let ranges = inputs.map { $0 < 0 ? inputShapeRange : layers[$0].range }
            let inputPaddings = inputs.map { $0 < 0 ? nil : paddings[$0] }
            var spec = LayerSpec(entry: entry, inputs: inputs, shapes: shapes, inputRanges: ranges, paddings: inputPaddings,
                                 defaultWeights: model.initWeights.value, defaultBias: model.initBias.value, modelInitRange: model.initRange)
            let lowered = spec.lower()
            bag.append(contentsOf: spec.bag)
            guard let layer = lowered else {
                standIn(entry, inputs: inputs)
                continue
            }
            let count = layer.parameterCount
            guard count <= IRBuilder.maxParameters - parameterTotal, layer.outputSize <= IRBuilder.maxParameters else {
                bag.error(.modelTooLarge, "layer `\(name)` takes the model past \(IRBuilder.maxParameters) parameters or values",
                          at: layer.source.width ?? choice.nameRange, help: "use fewer units")
                return nil
            }
            parameterTotal += count
            layers.append(layer)
            paddings.append(layer.kind.padding ?? inputPaddings.lazy.compactMap { $0 }.first)
        }
        // One padding mask per pass: every embedding that declares a padding_index declares the same.
        let padded = layers.indices.filter { layers[$0].kind.padding != nil }
        if let first = padded.first, let other = padded.first(where: { layers[$0].kind.padding != layers[first].kind.padding }) {
            bag.error(.layerGeometry, "embeddings `\(layers[first].name)` and `\(layers[other].name)` declare different padding indices; the model's tokens have one padding",
                      at: entries[other].choice["padding_index"]?.range ?? layers[other].range,
                      notes: [DiagnosticNote("the first is here", at: entries[first].choice["padding_index"]?.range ?? layers[first].range)],
                      help: "give both the same padding_index")
        }
        guard unknown.isEmpty, model.isWhole else { return nil }
        return bag.hasErrors ? nil : layers
    }
}

/// One layer being lowered: its checked choice, its inputs and their shapes. Each op's `lower` reads it
/// and reports its errors into `bag`, located in the spec.
public struct LayerSpec {
    let entry: LayerEntry
    let inputs: [Int]
    let shapes: [[Int]]
    let inputRanges: [SourceRange]
    /// Per input: the padded token positions its values descend from (an embedding's padding_index).
    let paddings: [Padding?]

    /// The padding index of input k's tokens when `positions` of its positions are one per token (an
    /// embedding's padding_index upstream, and as many positions as tokens); else nil.
    func paddingIndex(input k: Int, positions: Int) -> Int? {
        paddings[k].flatMap { $0.length == positions ? $0.index : nil }
    }
    let defaultWeights: Initializer
    let defaultBias: Initializer
    let modelInitRange: SourceRange?
    var bag = DiagnosticBag()

    var name: String { entry.name.value }
    /// The layer's checked choice: its op reads its own keys here.
    var choice: SpecChoice { entry.choice }

    /// The first input's shape.
    var shape: [Int] { shapes[0] }

    mutating func fail(_ message: String, at: SourceRange? = nil, help: String? = nil) -> LoweredLayer? {
        fail(.layerGeometry, message, at: at, help: help)
    }

    mutating func fail(_ code: DiagnosticCode, _ message: String, at: SourceRange? = nil, help: String? = nil) -> LoweredLayer? {
        bag.error(code, message, at: at ?? choice.nameRange,
                  notes: [DiagnosticNote("its input, of shape \(shape), comes from here", at: inputRanges[0])], help: help)
        return nil
    }

    func parameter(_ suffix: String, _ role: Parameter.Role, _ shape: [Int], _ initializer: Initializer, fanIn: Int, fanOut: Int) -> Parameter {
        Parameter(name: "\(name).\(suffix)", role: role, shape: shape, initializer: initializer, fanIn: fanIn, fanOut: fanOut)
    }

    /// Refuses a layer whose tensors or output would not fit: each size is counted with overflow checks.
    mutating func checkSizes(_ parameters: [Parameter], output: [Int]) -> Bool {
        for shape in parameters.map(\.shape) + [output] {
            guard let count = IRBuilder.checkedProduct(shape), count <= IRBuilder.maxParameters else {
                bag.error(.modelTooLarge, "layer `\(name)` needs a tensor of shape \(shape), more than \(IRBuilder.maxParameters) values",
                          at: choice.nameRange, help: "use fewer units, filters or positions")
                return false
            }
        }
        return true
    }

    /// The weights' initializer: the layer's `weights`, else model.init's; checked.
    mutating func weightInitializer() -> Initializer {
        let weights = entry.weights?.value ?? defaultWeights
        checkInitializer(weights, at: entry.weights?.range ?? modelInitRange ?? choice.nameRange)
        return weights
    }

    /// The bias initializer, or nil for `bias: false`; checked.
    mutating func biasInitializer() -> Initializer? {
        let bias = entry.bias.map(\.value) ?? defaultBias
        if let bias { checkInitializer(bias, at: entry.bias?.range ?? modelInitRange ?? choice.nameRange) }
        return bias
    }

    mutating func checkInitializer(_ initializer: Initializer, at range: SourceRange) {
        if case .uniform(let low, let high) = initializer, !(low < high) {
            bag.error(.inconsistentValues, "uniform needs low < high, found low \(Format.number(low)) and high \(Format.number(high))",
                      at: range, help: "swap the bounds or widen the interval")
        }
    }

    /// A per-dimension size: one number for all `count` dimensions, or one each.
    mutating func dims(_ key: String, count: Int, default value: Int) -> [Int]? {
        guard let written = choice[key] else { return Array(repeating: value, count: count) }
        if let single = written.int { return Array(repeating: single, count: count) }
        let list = written.list!.map { $0.int! }
        guard list.count == count else {
            bag.error(.layerGeometry, "`\(key)` of \(choice.kind) `\(name)` needs 1 or \(count) values, found \(list.count)", at: written.range)
            return nil
        }
        return list
    }

    /// The layer: its op's lowering, then its activation (the `activation` key, or an activation
    /// layer's `fn`) with what that needs of the output.
    mutating func lower() -> Layer? {
        let written = entry.activation
        let activation = written?.value ?? .identity
        guard let op = Ops.layer(named: choice.kind) else { preconditionFailure("layer kind \(choice.kind) is in the table but has no op") }
        guard var lowered = op.lower(&self) else { return nil }
        let output = lowered.output
        guard let own = activation.function.parameters(&self, output: output, at: written?.range ?? choice.nameRange) else { return nil }
        lowered.parameters += own
        guard checkSizes(lowered.parameters, output: output) else { return nil }
        let source = LayerSource(kind: choice.nameRange, name: entry.name.range, width: lowered.width,
                                 activation: written?.writtenRange, weights: entry.weights?.writtenRange)
        return Layer(name: name, kind: lowered.op, activation: activation, inputs: inputs, inputShapes: shapes, outputShape: output,
                     parameters: lowered.parameters, l1: Float(entry.l1), l2: Float(entry.l2), range: entry.range, source: source)
    }
}
