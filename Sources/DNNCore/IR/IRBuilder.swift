// Lowers the checked spec tree to the verified IR: resolves defaults that depend on context (layer
// names, model-wide initializers), infers each layer's shapes from the input shape, and checks the
// data against the model. A mismatch names both sides and both places.

public enum IRBuilder {
    /// Builds the IR from a spec whose tree passed the checker; nil with diagnostics when it does not verify.
    public static func build(_ spec: SpecRecord, file: SourceFile, diagnostics bag: inout DiagnosticBag) -> ModelIR? {
        let errorsBefore = bag.all.count
        let data = spec["data"]!.record!
        let train = data["train"]!.record!
        let inputsValue = train["inputs"]!, targetsValue = train["targets"]!
        let inputs = inputsValue.matrix!, targets = targetsValue.matrix!
        let model = spec["model"]!.record!
        let inputShapeValue = model["input"]!
        let inputShape = inputShapeValue.list!.map { $0.int! }
        guard let inputWidth = checkedProduct(inputShape), inputWidth <= maxParameters else {
            bag.error(.modelTooLarge, "model.input \(inputShape) holds more than \(maxParameters) values per sample",
                      at: inputShapeValue.range, help: "use a smaller input shape")
            return nil
        }
        let modelInit = model["init"]?.record
        let defaultWeights = modelInit?["weights"].map(initializer) ?? .glorotUniform
        let defaultBias = modelInit?["bias"].map(initializer) ?? .zeros

        // Layers: names, shapes, parameters.
        var layers: [Layer] = []
        var shape = inputShape
        var parameterTotal = 0
        var counts: [String: Int] = [:]
        var firstNamed: [String: SourceRange] = [:]
        for layerValue in model["layers"]!.list! {
            let choice = layerValue.choice!
            counts[choice.kind, default: 0] += 1
            let name = choice["name"]?.string ?? "\(choice.kind)_\(counts[choice.kind]!)"
            let nameRange = choice["name"]?.range ?? choice.nameRange
            if let first = firstNamed[name] {
                bag.error(.duplicateName, "a layer named `\(name)` already exists", at: nameRange,
                          notes: [DiagnosticNote("the first `\(name)` is here", at: first)],
                          help: "give each layer a unique `name`")
            } else {
                firstNamed[name] = nameRange
            }
            switch choice.kind {
            case "dense":
                guard shape.count == 1 else {
                    bag.error(.inputWidth, "dense layer `\(name)` takes one feature vector per sample, but its input has shape \(shape)",
                              at: choice.nameRange, notes: [DiagnosticNote("that shape is declared by model.input here", at: inputShapeValue.range)],
                              help: "make model.input a single number of features, e.g. [\(shape.reduce(1, *))]")
                    return nil
                }
                let inFeatures = shape[0], units = choice["units"]!.int!
                guard let weights = checkedProduct([units, inFeatures]), weights <= maxParameters - parameterTotal else {
                    bag.error(.modelTooLarge,
                              "layer `\(name)` takes the model past \(maxParameters) parameters (\(units) units × \(inFeatures) inputs)",
                              at: choice["units"]!.range, help: "use fewer units")
                    return nil
                }
                parameterTotal += weights + 2 * units
                let activation = self.activation(choice["activation"]!)
                let weightInit = choice["weights"].map(initializer) ?? defaultWeights
                let bias = choice["bias"].map(initializer) ?? defaultBias
                for (value, initializer) in [(choice["weights"], weightInit), (choice["bias"], bias)] {
                    checkInitializer(initializer, at: value?.range ?? modelInit?.range ?? choice.nameRange, bag: &bag)
                }
                var parameters = [
                    Parameter(name: "\(name).weight", role: .weight, shape: [units, inFeatures], initializer: weightInit,
                              fanIn: inFeatures, fanOut: units),
                    Parameter(name: "\(name).bias", role: .bias, shape: [units], initializer: bias,
                              fanIn: inFeatures, fanOut: units),
                ]
                if case .prelu(let slope) = activation {
                    parameters.append(Parameter(name: "\(name).prelu", role: .preluSlope, shape: [units],
                                                initializer: .constant(slope), fanIn: 1, fanOut: 1))
                }
                layers.append(Layer(name: name, kind: .dense(inFeatures: inFeatures, outFeatures: units),
                                    activation: activation, inputShape: shape, outputShape: [units],
                                    parameters: parameters, range: layerValue.range))
                shape = [units]
            default:
                preconditionFailure("layer kind \(choice.kind) is in the table but not lowered")
            }
        }

        // Data against the model.
        for (value, matrix) in [(inputsValue, inputs), (targetsValue, targets)] {
            if let r = matrix.rows.firstIndex(where: { row in row.contains { !Float($0).isFinite } }) {
                bag.error(.invalidNumber, "row \(r + 1) holds a value beyond float32's range (±3.4e38)",
                          at: matrix.rowRanges[r], notes: [DiagnosticNote("in the data here", at: value.range)],
                          help: "rescale the data")
            }
        }
        if inputs.columns != inputWidth {
            bag.error(.inputWidth,
                      "each input row has \(inputs.columns) value\(inputs.columns == 1 ? "" : "s"), but model.input \(inputShape) (line \(inputShapeValue.range.start.line)) takes \(inputWidth)",
                      at: inputs.rowRanges[0], notes: [DiagnosticNote("model.input is declared here", at: inputShapeValue.range)],
                      help: "make model.input [\(inputs.columns)] or fix the rows")
        }
        if inputs.rows.count != targets.rows.count {
            bag.error(.rowCountMismatch,
                      "the targets have \(targets.rows.count) row\(targets.rows.count == 1 ? "" : "s"), but the inputs (line \(inputsValue.range.start.line)) have \(inputs.rows.count)",
                      at: targetsValue.range, notes: [DiagnosticNote("the inputs are here", at: inputsValue.range)],
                      help: "give one target row per input row")
        }
        if let last = layers.last, last.outputShape.reduce(1, *) != targets.columns {
            let width = last.outputShape.reduce(1, *)
            let unitsRange = model["layers"]!.list!.last!.choice!["units"]?.range ?? last.range
            bag.error(.outputWidth,
                      "\(last.name) outputs \(width) value\(width == 1 ? "" : "s") per sample, but the targets (line \(targetsValue.range.start.line)) have \(targets.columns)",
                      at: unitsRange, notes: [DiagnosticNote("the targets are here", at: targets.rowRanges[0])],
                      help: "make the last layer's units \(targets.columns), or fix the targets")
        }

        let trainRecord = spec["train"]!.record!
        let optimizerValue = trainRecord["optimizer"]!
        let optimizer = self.optimizer(optimizerValue.choice!)
        if case .sgd(_, let momentum, true) = optimizer, momentum == 0 {
            bag.error(.invalidOptimizer, "nesterov momentum needs momentum > 0", at: optimizerValue.choice!["nesterov"]!.range,
                      help: "set `momentum:` (e.g. 0.9) or drop `nesterov: true`")
        }
        // A default batch size is clamped to the training set; a written one that exceeds it is a mistake.
        let batchValue = trainRecord["batch_size"]!
        if !batchValue.isDefault, batchValue.int! > inputs.rows.count {
            bag.error(.batchLargerThanData,
                      "batch_size \(batchValue.int!) is larger than the training set, which has \(inputs.rows.count) sample\(inputs.rows.count == 1 ? "" : "s")",
                      at: batchValue.range, notes: [DiagnosticNote("the training inputs are here", at: inputsValue.range)],
                      help: "use a batch_size of at most \(inputs.rows.count), or omit it to train on the whole set per step")
        }
        guard bag.all.count == errorsBefore else { return nil }

        let normalize = data["normalize"]?.record
        return ModelIR(
            name: spec["name"]?.string ?? file.stem,
            seed: UInt64(spec["seed"]!.int!),
            train: Dataset(inputs: matrix(inputs), targets: matrix(targets)),
            inputNormalization: Normalization(rawValue: normalize?["inputs"]?.string ?? "none")!,
            targetNormalization: Normalization(rawValue: normalize?["targets"]?.string ?? "none")!,
            inputShape: inputShape,
            layers: layers,
            loss: loss(trainRecord["loss"]!.choice!),
            optimizer: optimizer,
            schedule: Schedule(epochs: trainRecord["epochs"]!.int!,
                               // The default is clamped to the training set; a written size was checked above.
                               batchSize: batchValue.isDefault ? min(batchValue.int!, inputs.rows.count) : batchValue.int!,
                               shuffle: trainRecord["shuffle"]!.bool!,
                               logEvery: trainRecord["log_every"]!.int!))
    }

    /// Parameters a model may have: 2^28 (1 GiB of float32 per copy; training keeps four copies).
    static let maxParameters = 1 << 28

    /// The product of sizes, or nil when it overflows.
    static func checkedProduct(_ sizes: [Int]) -> Int? {
        var product = 1
        for size in sizes {
            let (p, overflow) = product.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            product = p
        }
        return product
    }

    private static func matrix(_ m: SpecMatrix) -> DataMatrix {
        DataMatrix(rows: m.rows.count, columns: m.columns, values: m.rows.flatMap { $0.map { Float($0) } })
    }

    static func activation(_ value: SpecValue) -> Activation {
        let c = value.choice!
        switch c.kind {
        case "identity": return .identity
        case "relu": return .relu
        case "leaky_relu": return .leakyRelu(alpha: Float(c["alpha"]!.double!))
        case "prelu": return .prelu(initialSlope: Float(c["init"]!.double!))
        case "sigmoid": return .sigmoid
        case "tanh": return .tanh
        default: preconditionFailure("activation \(c.kind) is in the table but not lowered")
        }
    }

    static func initializer(_ value: SpecValue) -> Initializer {
        let c = value.choice!
        switch c.kind {
        case "zeros": return .zeros
        case "ones": return .ones
        case "constant": return .constant(Float(c["value"]!.double!))
        case "uniform": return .uniform(low: c["low"]!.double!, high: c["high"]!.double!)
        case "normal": return .normal(mean: c["mean"]!.double!, stddev: c["stddev"]!.double!)
        case "truncated_normal": return .truncatedNormal(mean: c["mean"]!.double!, stddev: c["stddev"]!.double!)
        case "glorot_uniform": return .glorotUniform
        case "glorot_normal": return .glorotNormal
        case "he_uniform": return .heUniform
        case "he_normal": return .heNormal
        default: preconditionFailure("initializer \(c.kind) is in the table but not lowered")
        }
    }

    private static func checkInitializer(_ initializer: Initializer, at range: SourceRange, bag: inout DiagnosticBag) {
        if case .uniform(let low, let high) = initializer, !(low < high) {
            bag.error(.outOfRange, "uniform needs low < high, found low \(Format.number(low)) and high \(Format.number(high))",
                      at: range, help: "swap the bounds or widen the interval")
        }
    }

    static func loss(_ c: SpecChoice) -> Loss {
        switch c.kind {
        case "mse": return .mse
        case "sse": return .sse
        case "mae": return .mae
        case "huber": return .huber(delta: Float(c["delta"]!.double!))
        default: preconditionFailure("loss \(c.kind) is in the table but not lowered")
        }
    }

    static func optimizer(_ c: SpecChoice) -> Optimizer {
        switch c.kind {
        case "sgd":
            return .sgd(lr: c["lr"]!.double!, momentum: c["momentum"]!.double!, nesterov: c["nesterov"]!.bool!)
        case "adam":
            return .adam(lr: c["lr"]!.double!, beta1: c["beta1"]!.double!,
                         beta2: c["beta2"]!.double!, eps: c["eps"]!.double!)
        default: preconditionFailure("optimizer \(c.kind) is in the table but not lowered")
        }
    }
}
