// The layers of a spec as a graph with inferred shapes. Each layer reads the layer before it, or the
// layers its `inputs` name (`input` is the model's input); a layer may read only layers written before
// it, so spec order is a topological order and a cycle cannot be written. Each kind infers its output
// shape from its inputs' and declares its parameters with PyTorch's names and layouts. Shapes are per
// sample: [features] after dense, [channels, height, width] for images, [channels, length] for conv1d.

struct LayerBuilder {
    let model: SpecRecord
    let inputShape: [Int]
    let inputShapeRange: SourceRange
    var bag = DiagnosticBag()

    init(model: SpecRecord, inputShape: [Int], inputShapeRange: SourceRange) {
        self.model = model
        self.inputShape = inputShape
        self.inputShapeRange = inputShapeRange
    }

    /// One layer of the expanded list: blocks replaced by their layers, names and references final.
    struct Entry {
        var choice: SpecChoice
        var name: String
        var nameRange: SourceRange
        /// The names it reads, with where each is written; nil: the entry before.
        var inputs: [(name: String, range: SourceRange)]?
        var range: SourceRange
    }

    /// The spec's layers with every `block` expanded: a block's layers are named `<instance>.<name>`,
    /// `input` inside it means the block's input, and the instance's name stands for its last layer.
    mutating func expand() -> [Entry]? {
        var blocks: [String: (layers: [SpecValue], range: SourceRange)] = [:]
        for block in model["blocks"]?.list ?? [] {
            let record = block.record!
            let name = record["name"]!.string!
            if let earlier = blocks[name] {
                bag.error(.duplicateName, "a block named `\(name)` is already declared", at: record["name"]!.range,
                          notes: [DiagnosticNote("the first is here", at: earlier.range)], help: "give each block its own name")
                continue
            }
            blocks[name] = (record["layers"]!.list!, record["name"]!.range)
        }
        var entries: [Entry] = []
        var naming = LayerNaming()
        var aliases: [String: String] = [:]  // block instance → its last layer
        func references(_ choice: SpecChoice) -> [(name: String, range: SourceRange)]? {
            choice["inputs"]?.list?.map { ($0.string!, $0.range) }
        }
        for value in model["layers"]!.list! {
            let choice = value.choice!
            let name = naming.name(kind: choice.kind, written: choice["name"]?.string)
            let nameRange = choice["name"]?.range ?? choice.nameRange
            guard choice.kind == "block" else {
                entries.append(Entry(choice: choice, name: name, nameRange: nameRange, inputs: references(choice), range: value.range))
                continue
            }
            let use = choice["use"]!.string!
            guard let block = blocks[use] else {
                let guess = Suggestions.guess(use, among: blocks.keys.sorted(), at: choice["use"]!.range)
                bag.error(.badReference, "no block named `\(use)` is declared under model.blocks", at: choice["use"]!.range,
                          help: guess.help
                              ?? (blocks.isEmpty ? "declare it: `blocks: [{name: \(use), layers: [...]}]` under model" : "the blocks are " + blocks.keys.sorted().map { "`\($0)`" }.joined(separator: ", ")),
                          fixes: guess.fixes)
                return nil
            }
            // The block's input: the instance's single input, or the entry before it.
            let blockInput: (name: String, range: SourceRange)
            if let written = references(choice) {
                guard written.count == 1 else {
                    bag.error(.badReference, "block `\(name)` takes one input, but `inputs` names \(written.count)", at: choice["inputs"]!.range)
                    return nil
                }
                blockInput = written[0]
            } else {
                blockInput = (entries.last?.name ?? "input", choice.nameRange)
            }
            var innerNaming = LayerNaming()
            var previous: String? = nil
            for inner in block.layers {
                let innerChoice = inner.choice!
                if innerChoice.kind == "block" {
                    bag.error(.badReference, "block `\(use)` uses another block; blocks do not nest", at: innerChoice.nameRange)
                    return nil
                }
                let innerName = innerNaming.name(kind: innerChoice.kind, written: innerChoice["name"]?.string)
                let full = "\(name).\(innerName)"
                let inputs: [(name: String, range: SourceRange)]
                if let written = references(innerChoice) {
                    inputs = written.map { ref in ref.name == "input" ? blockInput : ("\(name).\(ref.name)", ref.range) }
                } else {
                    inputs = [previous.map { ($0, innerChoice.nameRange) } ?? blockInput]
                }
                entries.append(Entry(choice: innerChoice, name: full, nameRange: innerChoice["name"]?.range ?? innerChoice.nameRange,
                                     inputs: inputs, range: inner.range))
                previous = full
            }
            aliases[name] = previous
        }
        // A reference to a block instance means its last layer.
        for index in entries.indices {
            entries[index].inputs = entries[index].inputs?.map { ref in (aliases[ref.name] ?? ref.name, ref.range) }
        }
        return entries
    }

    mutating func build() -> [Layer]? {
        let modelInit = model["init"]?.record
        let defaultWeights = modelInit?["weights"].map(Lowering.initializer) ?? .glorotUniform
        let defaultBias = modelInit?["bias"].map(Lowering.initializer) ?? .zeros
        guard let entries = expand() else { return nil }
        var layers: [Layer] = []
        var indexOf: [String: Int] = [:]
        let names = entries.map(\.name)
        var parameterTotal = 0
        for (l, entry) in entries.enumerated() {
            let choice = entry.choice, name = entry.name
            if let first = indexOf[name] {
                bag.error(.duplicateName, "a layer named `\(name)` already exists", at: entry.nameRange,
                          notes: [DiagnosticNote("the first `\(name)` is here", at: entries[first].nameRange)],
                          help: "give each layer a unique `name`")
                return nil
            }
            if name == "input" {
                bag.error(.duplicateName, "`input` names the model's input; a layer cannot take that name", at: entry.nameRange)
                return nil
            }
            // Inputs: the layer before, or the named ones.
            var inputs: [Int] = []
            if let written = entry.inputs {
                for reference in written {
                    let target = reference.name
                    if target == "input" { inputs.append(-1); continue }
                    if let index = indexOf[target] { inputs.append(index); continue }
                    if let later = names.firstIndex(of: target) {
                        bag.error(.badReference, "`\(name)` reads `\(target)`, which comes after it: a layer reads only layers written before it, so the graph has no cycles",
                                  at: reference.range, notes: [DiagnosticNote("`\(target)` is here", at: entries[later].nameRange)],
                                  help: "move `\(target)` before `\(name)`")
                    } else {
                        let guess = Suggestions.guess(target, among: Array(names[..<l]) + ["input"], at: reference.range)
                        bag.error(.badReference, "`\(name)` reads `\(target)`, but no layer has that name", at: reference.range,
                                  help: guess.help
                                      ?? "the layers before it are " + (["input"] + names[..<l]).map { "`\($0)`" }.joined(separator: ", "),
                                  fixes: guess.fixes)
                    }
                    return nil
                }
            } else {
                inputs = [l - 1]
            }
            let shapes = inputs.map { $0 < 0 ? inputShape : layers[$0].outputShape }
            let ranges = inputs.map { $0 < 0 ? inputShapeRange : layers[$0].range }
            var spec = LayerSpec(name: name, choice: choice, range: entry.range, inputs: inputs, shapes: shapes, inputRanges: ranges,
                                 defaultWeights: defaultWeights, defaultBias: defaultBias, modelInitRange: modelInit?.range)
            guard let layer = spec.lower() else {
                bag.append(contentsOf: spec.bag)
                return nil
            }
            bag.append(contentsOf: spec.bag)
            let count = layer.parameterCount
            guard count <= IRBuilder.maxParameters - parameterTotal, layer.outputSize <= IRBuilder.maxParameters else {
                bag.error(.modelTooLarge, "layer `\(name)` takes the model past \(IRBuilder.maxParameters) parameters or values",
                          at: choice["units"]?.range ?? choice["filters"]?.range ?? choice.nameRange, help: "use fewer units")
                return nil
            }
            parameterTotal += count
            indexOf[name] = l
            layers.append(layer)
        }
        return bag.hasErrors ? nil : layers
    }
}

/// One layer being lowered: its checked choice, its inputs and their shapes.
struct LayerSpec {
    let name: String
    let choice: SpecChoice
    let range: SourceRange
    let inputs: [Int]
    let shapes: [[Int]]
    let inputRanges: [SourceRange]
    let defaultWeights: Initializer
    let defaultBias: Initializer
    let modelInitRange: SourceRange?
    var bag = DiagnosticBag()

    var shape: [Int] { shapes[0] }

    mutating func fail(_ message: String, at: SourceRange? = nil, help: String? = nil) -> Layer? {
        fail(.layerGeometry, message, at: at, help: help)
    }

    mutating func fail(_ code: DiagnosticCode, _ message: String, at: SourceRange? = nil, help: String? = nil) -> Layer? {
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

    /// The bias initializer, or nil for `bias: false`.
    var biasInitializer: Initializer? {
        guard let value = choice["bias"] else { return defaultBias }
        if let flag = value.bool { return flag ? defaultBias : nil }
        return Lowering.initializer(value)
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

    mutating func lower() -> Layer? {
        var activation = choice["activation"].map { Lowering.activation($0.choice!) } ?? .identity
        if choice.kind == "activation" { activation = Lowering.activation(choice["fn"]!.choice!) }
        var parameters: [Parameter] = []
        let kind: LayerKind
        var output: [Int]
        switch choice.kind {
        case "dense":
            guard shape.count == 1 else {
                return fail(.inputWidth, "dense layer `\(name)` takes one feature vector per sample, but its input has shape \(shape)",
                            help: "put a flatten layer before it, or make model.input a single number of features, e.g. [\(shape.reduce(1, *))]")
            }
            let I = shape[0], O = choice["units"]!.int!
            let weights = choice["weights"].map(Lowering.initializer) ?? defaultWeights
            checkInitializer(weights, at: choice["weights"]?.range ?? modelInitRange ?? choice.nameRange)
            parameters.append(parameter("weight", .weight, [O, I], weights, fanIn: I, fanOut: O))
            if let bias = biasInitializer {
                checkInitializer(bias, at: choice["bias"]?.range ?? modelInitRange ?? choice.nameRange)
                parameters.append(parameter("bias", .bias, [O], bias, fanIn: I, fanOut: O))
            }
            kind = .dense(inFeatures: I, outFeatures: O, bias: biasInitializer != nil)
            output = [O]
        case "conv1d", "conv2d":
            let spatial = choice.kind == "conv1d" ? 1 : 2
            guard shape.count == spatial + 1 else {
                return fail("\(choice.kind) `\(name)` takes [channels, \(spatial == 1 ? "length" : "height, width")] per sample, but its input has shape \(shape)",
                            help: spatial == 2 ? "make model.input [channels, height, width], e.g. [1, 8, 8]" : "make model.input [channels, length]")
            }
            guard let kernel = dims("kernel", count: spatial, default: 1), let stride = dims("stride", count: spatial, default: 1),
                  let dilation = dims("dilation", count: spatial, default: 1) else { return nil }
            let C = shape[0], F = choice["filters"]!.int!, groups = choice["groups"]!.int!
            guard C % groups == 0, F % groups == 0 else {
                return fail("\(choice.kind) `\(name)` has groups \(groups), which must divide its \(C) input channels and \(F) filters",
                            at: choice["groups"]!.range)
            }
            let sizes = Array(shape.dropFirst())
            var before = [Int](repeating: 0, count: spatial), after = before
            if let word = choice["padding"]?.string {
                if word == "same" {
                    guard stride.allSatisfy({ $0 == 1 }) else {
                        return fail("padding `same` needs stride 1, as in PyTorch", at: choice["padding"]!.range,
                                    help: "use padding: N with stride \(stride)")
                    }
                    for d in 0..<spatial {
                        let total = dilation[d] * (kernel[d] - 1)
                        before[d] = total / 2
                        after[d] = total - total / 2
                    }
                }
            } else if let pad = dims("padding", count: spatial, default: 0) {
                before = pad
                after = pad
            } else {
                return nil
            }
            var out: [Int] = []
            for d in 0..<spatial {
                let span = dilation[d] * (kernel[d] - 1) + 1
                let padded = sizes[d] + before[d] + after[d]
                guard padded >= span else {
                    return fail("the kernel of \(choice.kind) `\(name)` spans \(span) positions, more than its input's \(padded) (padding included)",
                                at: choice["kernel"]!.range, help: "use a smaller kernel or more padding")
                }
                out.append((padded - span) / stride[d] + 1)
            }
            // conv1d runs as conv2d with height 1: sizes get h 1, paddings h 0.
            let twoD = { (v: [Int]) in spatial == 1 ? (h: 1, w: v[0]) : (h: v[0], w: v[1]) }
            let twoDPadding = { (v: [Int]) in spatial == 1 ? (h: 0, w: v[0]) : (h: v[0], w: v[1]) }
            let receptive = kernel.reduce(1, *)
            let weights = choice["weights"].map(Lowering.initializer) ?? defaultWeights
            checkInitializer(weights, at: choice["weights"]?.range ?? modelInitRange ?? choice.nameRange)
            parameters.append(parameter("weight", .weight, [F, C / groups] + kernel, weights,
                                        fanIn: C / groups * receptive, fanOut: F * receptive))
            let bias = biasInitializer
            if let bias { parameters.append(parameter("bias", .bias, [F], bias, fanIn: C / groups * receptive, fanOut: F * receptive)) }
            kind = .conv(Convolution(inChannels: C, outChannels: F, input: twoD(sizes), output: twoD(out), kernel: twoD(kernel),
                                     stride: twoD(stride), padding: twoDPadding(before), dilation: twoD(dilation), groups: groups,
                                     hasBias: bias != nil, oneDimensional: spatial == 1))
            output = [F] + out
        case "maxpool2d", "avgpool2d":
            guard shape.count == 3 else {
                return fail("\(choice.kind) `\(name)` takes [channels, height, width] per sample, but its input has shape \(shape)")
            }
            guard let size = dims("size", count: 2, default: 1), let padding = dims("padding", count: 2, default: 0),
                  let stride = choice["stride"] == nil ? size : dims("stride", count: 2, default: 1) else { return nil }
            var out: [Int] = []
            for d in 0..<2 {
                guard padding[d] * 2 <= size[d] else {
                    return fail("padding \(padding[d]) of `\(name)` is more than half its window \(size[d]), which PyTorch refuses",
                                at: choice["padding"]!.range)
                }
                let padded = shape[d + 1] + 2 * padding[d]
                guard padded >= size[d] else {
                    return fail("the window of `\(name)` (\(size[d])) is larger than its input (\(padded))", at: choice["size"]!.range)
                }
                out.append((padded - size[d]) / stride[d] + 1)
            }
            kind = .pool(Pooling(isMax: choice.kind == "maxpool2d", channels: shape[0], input: (shape[1], shape[2]),
                                 output: (out[0], out[1]), size: (size[0], size[1]), stride: (stride[0], stride[1]),
                                 padding: (padding[0], padding[1])))
            output = [shape[0]] + out
        case "global_avgpool":
            guard shape.count >= 2 else {
                return fail("global_avgpool `\(name)` averages the positions of each channel, but its input \(shape) has none",
                            help: "use it after a convolution")
            }
            kind = .globalAvgPool(channels: shape[0], spatial: shape.dropFirst().reduce(1, *))
            output = [shape[0]]
        case "flatten":
            kind = .flatten
            output = [shape.reduce(1, *)]
        case "reshape":
            let target = choice["shape"]!.list!.map { $0.int! }
            let count = IRBuilder.checkedProduct(target)
            guard count == shape.reduce(1, *) else {
                return fail("reshape `\(name)` to \(target) needs \(count.map(String.init) ?? "more than 2^63") values, but its input \(shape) has \(shape.reduce(1, *))",
                            at: choice["shape"]!.range)
            }
            kind = .reshape
            output = target
        case "dropout":
            kind = .dropout(rate: Float(choice["rate"]!.double!))
            output = shape
        case "batchnorm":
            let C = shape[0]
            parameters = [parameter("weight", .weight, [C], .ones, fanIn: 1, fanOut: 1),
                          parameter("bias", .bias, [C], .zeros, fanIn: 1, fanOut: 1),
                          parameter("running_mean", .runningMean, [C], .zeros, fanIn: 1, fanOut: 1),
                          parameter("running_var", .runningVariance, [C], .ones, fanIn: 1, fanOut: 1)]
            kind = .batchnorm(channels: C, spatial: shape.dropFirst().reduce(1, *), momentum: Float(choice["momentum"]!.double!),
                              eps: Float(choice["eps"]!.double!))
            output = shape
        case "layernorm":
            let D = shape.last!
            parameters = [parameter("weight", .weight, [D], .ones, fanIn: 1, fanOut: 1),
                          parameter("bias", .bias, [D], .zeros, fanIn: 1, fanOut: 1)]
            kind = .layernorm(features: D, eps: Float(choice["eps"]!.double!))
            output = shape
        case "embedding":
            guard inputs == [-1] else {
                return fail("embedding `\(name)` reads integer indices, so it must read the model's input", help: "make it the first layer")
            }
            let vocab = choice["vocab"]!.int!, dim = choice["dim"]!.int!
            let weights = Lowering.initializer(choice["weights"]!)
            parameters = [parameter("weight", .weight, [vocab, dim], weights, fanIn: vocab, fanOut: dim)]
            kind = .embedding(vocab: vocab, dim: dim)
            output = shape == [1] ? [dim] : shape + [dim]
        case "activation":
            kind = .activation
            output = shape
        case "add", "multiply", "concat":
            guard inputs.count >= 2 else {
                return fail(.badReference, "\(choice.kind) `\(name)` joins layers, but it reads \(inputs.count)",
                            at: choice["inputs"]?.range, help: "name two or more layers in `inputs: [a, b]`")
            }
            for (k, other) in shapes.enumerated().dropFirst() {
                let fits = choice.kind == "concat"
                    ? other.count == shape.count && Array(other.dropFirst()) == Array(shape.dropFirst())
                    : other == shape
                if !fits {
                    let reference = choice["inputs"]!.list!
                    bag.error(.branchMismatch,
                              choice.kind == "concat"
                                ? "concat `\(name)` joins shapes \(shape) and \(other), which differ beyond their first dimension"
                                : "\(choice.kind) `\(name)` joins shapes \(shape) and \(other); they must be equal",
                              at: reference[k].range,
                              notes: [DiagnosticNote("shape \(shape) comes from here", at: inputRanges[0]),
                                      DiagnosticNote("shape \(other) comes from here", at: inputRanges[k])],
                              help: "make the branches the same shape, e.g. with a dense or conv layer on one of them")
                    return nil
                }
            }
            kind = choice.kind == "add" ? .add : choice.kind == "multiply" ? .multiply : .concat
            output = choice.kind == "concat" ? [shapes.reduce(0) { $0 + $1[0] }] + shape.dropFirst() : shape
        default:
            preconditionFailure("layer kind \(choice.kind) is in the table but not lowered")
        }
        // Activations that need a particular output.
        switch activation {
        case .prelu(let slope):
            parameters.append(parameter("prelu", .preluSlope, [output[0]], .constant(slope), fanIn: 1, fanOut: 1))
        case .softmax(let axis), .logSoftmax(let axis):
            guard axis >= -output.count && axis < output.count else {
                let where_ = (choice["activation"] ?? choice["fn"])!.range
                return fail("axis \(axis) of `\(name)`'s \(activation.name) is outside its output \(output), which has \(output.count) dimension\(output.count == 1 ? "" : "s")",
                            at: where_, help: "use an axis from \(-output.count) to \(output.count - 1)")
            }
        default: break
        }
        guard checkSizes(parameters, output: output) else { return nil }
        return Layer(name: name, kind: kind, activation: activation, inputs: inputs, inputShapes: shapes, outputShape: output,
                     parameters: parameters, l1: Float(choice["l1"]?.double ?? 0), l2: Float(choice["l2"]?.double ?? 0),
                     range: range)
    }
}
