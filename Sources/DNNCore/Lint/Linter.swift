// Lint rules that know neural networks: they run over a spec that verified (its tree and its IR) and
// report warnings for what runs but is likely wrong. Each rule is one function, named for its code;
// grammar/diagnostics.md (from Explanations.swift) says why each matters, with examples.

import DNNSyntax
import DNNModel
import DNNCheckpoint
import DNNRuntime

public enum Linter {
    /// Inputs or targets whose largest magnitude exceeds this, unnormalized, get a warning (W0350, W0351).
    static let largeMagnitude = 100.0
    /// Input columns whose scales differ by more than this factor, unnormalized, get a warning (W0350).
    static let scaleRatio = 100.0

    /// The learning rates practitioners use with each optimizer; outside them, W0450.
    static func plausibleLearningRates(_ optimizer: Optimizer) -> ClosedRange<Double> { optimizer.rule.plausibleLearningRates }

    public static func lint(_ spec: ResolvedSpec, _ model: ModelIR, diagnostics bag: inout DiagnosticBag) {
        unscaledInputs(spec, model, &bag)
        unscaledTargets(spec, model, &bag)
        bottleneck(spec, model, &bag)
        outputActivation(spec, model, &bag)
        symmetricInit(spec, model, &bag)
        implausibleLearningRate(spec, model, &bag)
        logEveryBeyondEpochs(spec, model, &bag)
        graphUse(spec, model, &bag)
        doubleActivation(spec, model, &bag)
        sequenceLayout(spec, model, &bag)
        windowsSplitAtRandom(spec, model, &bag)
    }

    /// W0360: rows that are overlapping windows of one series (row r + 1 is row r one time step on),
    /// held out at random. Consecutive training rows are compared; most must repeat their predecessor
    /// shifted by one step (the last axis of a [window, features] input, else one value).
    static func windowsSplitAtRandom(_ spec: ResolvedSpec, _ model: ModelIR, _ bag: inout DiagnosticBag) {
        guard case .split(let fraction)? = spec.data.validation, !spec.data.train.isSeries, !model.train.inputs.isStreamed else { return }
        let rows = model.train.inputs, n = rows.columns
        let step = model.inputShape.count == 2 ? model.inputShape[1] : 1
        guard rows.rows >= 4, n > step else { return }
        var shifted = 0
        for r in 0 ..< rows.rows - 1 where rows.row(r).dropFirst(step).elementsEqual(rows.row(r + 1).dropLast(step)) { shifted += 1 }
        guard 2 * shifted >= rows.rows - 1 else { return }
        bag.report(.windowsSplitAtRandom,
                   "\(shifted) of \(rows.rows - 1) consecutive training rows repeat the row before shifted by one step, overlapping windows of one series; a random split leaves each held-out window's neighbors in training",
                   at: fraction.range, notes: [DiagnosticNote("the windows are here", at: spec.data.train.inputs.range)],
                   help: "give the series as `{series: …, window: \(rows.columns / step)}`, whose split holds out its last windows in time order")
    }

    /// W0359: [length, features] read as [channels, length]. The shapes fit, so nothing else notices.
    static func sequenceLayout(_ spec: ResolvedSpec, _ model: ModelIR, _ bag: inout DiagnosticBag) {
        /// The layer whose sequence layer `l`'s output still is, following the layers that keep the axes.
        func sequenceSource(_ l: Int) -> Int? {
            var l = l
            while l >= 0 {
                let layer = model.layers[l]
                if layer.kind.facts.outputsSequence { return layer.outputShape.count == 2 ? l : nil }
                guard layer.kind.facts.keepsLayout, let input = layer.inputs.first else { return nil }
                l = input
            }
            return nil
        }
        let entries = spec.model.layers ?? []
        for (l, layer) in model.layers.enumerated() where layer.kind.facts.readsChannelsFirst && layer.inputShape.count == 2 {
            guard let input = layer.inputs.first, input >= 0, let source = sequenceSource(input) else { continue }
            let producer = model.layers[source]
            let (length, features) = (layer.inputShape[0], layer.inputShape[1])
            var fixes: [FixIt] = []
            // Where the layer reads the one before and is a line of a block-style list (`- conv1d: ...`),
            // the fix inserts the permute as the line before it.
            if l < entries.count, entries[l].inputs == nil, let line = spec.file.line(layer.range.start.line) {
                let lead = line.unicodeScalars.prefix(layer.range.start.column - 1)
                let text = String(String.UnicodeScalarView(lead))
                if text.hasSuffix("- "), text.dropLast(2).allSatisfy({ $0 == " " }) {
                    let at = SourceRange(start: layer.range.start, end: layer.range.start)
                    fixes.append(FixIt(at, "permute: {dims: [1, 0]}\n" + text))
                }
            }
            bag.report(.sequenceLayout,
                       "\(layer.kind.name) `\(layer.name)` reads [channels, length], but its input is the [length, features] sequence of \(producer.kind.name) `\(producer.name)`: it would treat the \(length) positions as channels and the \(features) features as the length",
                       at: layer.source.kind, notes: [DiagnosticNote("the [\(length), \(features)] sequence comes from here", at: producer.source.kind)],
                       help: "insert `- permute: {dims: [1, 0]}` before `\(layer.name)`, to give it [\(features), \(length)]",
                       fixes: fixes)
        }
    }

    /// W0356 and W0357: layers whose output nobody reads, and dropout on the output.
    static func graphUse(_ spec: ResolvedSpec, _ model: ModelIR, _ bag: inout DiagnosticBag) {
        let read = Set(model.plan.steps.flatMap { $0.reads.map(\.value) })
        for (l, layer) in model.layers.enumerated().dropLast() where !read.contains(.output(of: l)) {
            bag.report(.unusedLayer, "no layer reads the output of `\(layer.name)`, so it has no effect on the model's output",
                       at: layer.source.kind,
                       help: "name it in a later layer's `inputs:`, or remove it")
        }
        if let last = model.layers.last, last.kind.facts.dropsInTraining {
            bag.report(.dropoutLast, "dropout `\(last.name)` is the last layer: in training it zeroes some of the model's outputs",
                       at: last.source.kind, help: "put dropout between layers, before the output layer")
        }
    }

    /// W0358: a softmax or sigmoid output before a loss that applies it again.
    static func doubleActivation(_ spec: ResolvedSpec, _ model: ModelIR, _ bag: inout DiagnosticBag) {
        guard let last = model.layers.last else { return }
        guard let (applied, form, instead) = model.loss.appliesItself, last.activation.function.probabilityForm == form else { return }
        let range = last.source.activation ?? last.source.kind
        bag.report(.doubleActivation,
                   "\(model.loss.name) applies \(applied) to its input itself, so the \(last.activation.name) on `\(last.name)` is applied twice",
                   at: range, help: "remove the activation (\(model.loss.name) takes logits), or use \(instead)")
    }

    /// W0350: features on scales far from 1, or far apart, slow or stall gradient descent.
    static func unscaledInputs(_ spec: ResolvedSpec, _ model: ModelIR, _ bag: inout DiagnosticBag) {
        // (A streamed set's images are in [0, 1] and not read before training.)
        guard model.inputNormalization == .none, !model.train.inputs.isStreamed else { return }
        // An encoded table's slots, one-hot and 0/1 values are not magnitudes: only numeric columns count.
        let scaled = model.encoder?.scaled
        let scales = columnScales(model.train.inputs).enumerated().map { scaled?[$0.offset] ?? true ? $0.element : 0 }
        let largest = scales.max() ?? 0
        let help = "add `normalize: {inputs: standard}` under `data:`, or rescale the inputs"
        if largest > largeMagnitude {
            bag.report(.unscaledInputs,
                       "inputs reach magnitude \(Format.number(largest)) and are not normalized; gradients scale with them",
                       at: spec.data.train.inputs.range, help: help)
        } else if let smallest = scales.filter({ $0 > 0 }).min(), largest / smallest > scaleRatio {
            let wide = scales.firstIndex(of: largest)!, narrow = scales.firstIndex(of: smallest)!
            bag.report(.unscaledInputs,
                       "input column \(wide + 1) spans \(Format.number(largest)) but column \(narrow + 1) only \(Format.number(smallest)), and the inputs are not normalized",
                       at: spec.data.train.inputs.range, notes: [DiagnosticNote("one learning rate cannot suit both columns")],
                       help: help)
        }
    }

    /// W0351: a regression on large targets starts with a huge loss and huge gradients.
    static func unscaledTargets(_ spec: ResolvedSpec, _ model: ModelIR, _ bag: inout DiagnosticBag) {
        // Class indices are labels, not magnitudes: normalizing them would be wrong advice.
        guard model.targetNormalization == .none, !model.loss.isClassification else { return }
        let largest = columnScales(model.train.targets).max() ?? 0
        guard largest > largeMagnitude else { return }
        bag.report(.unscaledTargets,
                   "targets reach magnitude \(Format.number(largest)) and are not normalized; the first gradients will be that large",
                   at: spec.data.train.targets.range,
                   help: "add `normalize: {targets: standard}` under `data:`; predictions are still printed in original units")
    }

    /// W0352: a width-1 hidden layer squeezes everything the net knows through one number.
    static func bottleneck(_ spec: ResolvedSpec, _ model: ModelIR, _ bag: inout DiagnosticBag) {
        for (index, layer) in model.layers.enumerated().dropLast() where layer.outputShape == [1] {
            // A bottleneck only when a later layer with weights works from that one number.
            guard let reader = model.layers[(index + 1)...].firstIndex(where: \.kind.facts.mixesThroughWeights) else { continue }
            let next = model.layers[reader]
            bag.report(.bottleneck,
                       "hidden layer `\(layer.name)` has 1 unit: everything after it sees a single number",
                       at: layer.source.width ?? layer.range,
                       notes: [DiagnosticNote("`\(next.name)` works from it here", at: next.source.kind)],
                       help: "widen `\(layer.name)`, or remove it if the bottleneck is not intended")
        }
    }

    /// W0353 and W0354: the output layer's activation against the targets the network must reach.
    static func outputActivation(_ spec: ResolvedSpec, _ model: ModelIR, _ bag: inout DiagnosticBag) {
        guard let layer = model.layers.last else { return }
        let range = layer.source.activation ?? layer.source.kind
        let targets = Normalizer(model.appliedTargetNormalization, fittedOn: model.train.targets).apply(model.train.targets)
        let low = Double(targets.values.min() ?? 0), high = Double(targets.values.max() ?? 0)
        let seen = model.appliedTargetNormalization == .none ? "the targets" : "the \(model.appliedTargetNormalization.rawValue)-normalized targets"
        let outputRange = layer.activation.function.outputRange
        // Classification losses compare with class indices or probabilities, not with the outputs' values.
        guard !model.loss.isClassification, !model.loss.takesLogits else { return }
        let fix = "use identity, leaky_relu or prelu on the output layer"
        if let outputRange, low < outputRange.low || high > outputRange.high {
            let outside = low < outputRange.low ? low : high
            bag.report(.unreachableTargets,
                       "output layer `\(layer.name)` uses \(layer.activation.name), whose outputs are \(outputRange.text), but \(seen) reach \(Format.number(outside))",
                       at: range, notes: [DiagnosticNote("the targets are here", at: spec.data.train.targets.range)], help: fix)
        } else if layer.activation.function.diesToZero {
            bag.report(.dyingOutput,
                       "relu on output layer `\(layer.name)` can die: once its pre-activation is negative for every sample, its gradient is 0 and the predictions stay 0",
                       at: range, notes: [DiagnosticNote("this is the ReLU study's failure: the cost stays at the sum of the squared targets")],
                       help: fix)
        }
    }

    /// W0355: units that start equal get equal gradients and stay equal; the layer acts as one unit.
    static func symmetricInit(_ spec: ResolvedSpec, _ model: ModelIR, _ bag: inout DiagnosticBag) {
        for layer in model.layers.dropLast() where layer.outputShape.reduce(1, *) > 1 {
            // Only layers whose units mix their inputs through weights (a normalization's scale starts at 1 by design).
            guard layer.kind.facts.mixesThroughWeights else { continue }
            guard let weights = layer.parameters.first(where: { $0.role == .weight }) else { continue }
            switch weights.initializer {
            case .zeros, .ones, .constant: break
            default: continue
            }
            let range = layer.source.weights ?? spec.model.initWeights.writtenRange ?? layer.source.kind
            bag.report(.symmetricInit,
                       "every weight of hidden layer `\(layer.name)` starts at the same value, so its \(layer.outputShape[0]) units compute the same thing and get the same updates",
                       at: range, help: "use a random initializer such as glorot_uniform or he_normal")
        }
    }

    /// W0450: a learning rate far outside what works for the optimizer diverges or never moves.
    static func implausibleLearningRate(_ spec: ResolvedSpec, _ model: ModelIR, _ bag: inout DiagnosticBag) {
        let lr = model.optimizer.learningRate
        let plausible = plausibleLearningRates(model.optimizer)
        guard !plausible.contains(lr) else { return }
        let optimizer = spec.train.optimizer
        let range = spec.train.learningRate.writtenRange ?? optimizer.nameRange
        let direction = lr > plausible.upperBound ? "above" : "below"
        bag.report(.implausibleLearningRate,
                   "learning rate \(Format.number(lr)) is \(direction) the usual range for \(optimizer.kind) (\(Format.number(plausible.lowerBound)) to \(Format.number(plausible.upperBound)))",
                   at: range,
                   help: lr > plausible.upperBound ? "lower it; too large a step makes the cost diverge"
                       : "raise it; steps this small barely move the weights")
    }

    /// W0451: with log_every past the last epoch, only the final cost is logged.
    static func logEveryBeyondEpochs(_ spec: ResolvedSpec, _ model: ModelIR, _ bag: inout DiagnosticBag) {
        let schedule = model.schedule
        let value = spec.train.logEvery
        guard schedule.logEvery > schedule.epochs, !value.isDefault else { return }
        bag.report(.logEveryBeyondEpochs,
                   "log_every \(schedule.logEvery) is larger than epochs \(schedule.epochs): only the last epoch's cost is logged",
                   at: value.range, notes: [DiagnosticNote("epochs is set here", at: spec.train.epochs.range)],
                   help: "make log_every at most \(schedule.epochs)")
    }

    /// The largest magnitude in each column.
    static func columnScales(_ m: DataMatrix) -> [Double] {
        (0..<m.columns).map { j in (0..<m.rows).map { Double(abs(m.values[$0 * m.columns + j])) }.max() ?? 0 }
    }
}
