// The long form of every diagnostic code, for `dnnc explain CODE` and grammar/diagnostics.md: what the
// rule checks, why it matters, a spec that triggers exactly that code and the same spec fixed.
// Examples are edits of one small valid spec, so each shows only what differs; a test compiles
// every bad example (it must report its code and no other) and every good one (it must be clean).

public struct Explanation: Sendable {
    public var code: DiagnosticCode
    /// Paragraphs: what the rule checks and why it matters.
    public var description: String
    public var bad: String
    public var good: String
    /// The limits the examples are checked with: small ones where the rule is about a limit.
    public var limits = YAMLLimits()
    /// Where the code is reported: by `dnnc check`, or while `dnnc run` trains (the bad example then
    /// checks clean, and training it reports the code).
    public var stage = Stage.check
    /// Codes that come with it by nature, which its example may report too: a run diverges after its
    /// steps have overshot (W0453).
    public var accompaniedBy: [DiagnosticCode] = []
    /// Data files the bad example reads, beside it: a path (its folders are made) and the bytes.
    public var files: [(name: String, contents: [UInt8])] = []

    public enum Stage: Sendable, Equatable { case check, run }
}

extension DiagnosticCode {
    /// The small valid spec the examples edit.
    static let exampleBase = """
    dnnc: 1
    data:
      train:
        inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]
        targets: [[0], [1], [1], [2]]
    model:
      input: [2]
      layers:
        - dense: {units: 8, activation: tanh, name: hidden}
        - dense: {units: 1, name: out}
    train:
      loss: mse
      optimizer: {sgd: {lr: 0.1}}
      epochs: 100

    """

    /// Tiny PNG files for the image rules' examples: 4×4 gray stripes, and 2×2 RGB.
    static let grayPNG4x4: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00, 0x8C, 0x9A, 0xC1, 0xA2, 0x00, 0x00, 0x00, 0x0E, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0x60, 0xF8, 0x0F, 0x84, 0xA8, 0x04, 0x00, 0x4B, 0xC8, 0x07, 0xF9, 0x76, 0xB6, 0x61, 0x0A, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
    static let rgbPNG2x2: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xFD, 0xD4, 0x9A, 0x73, 0x00, 0x00, 0x00, 0x12, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0xF8, 0xCF, 0xC0, 0xC0, 0x00, 0xC2, 0x0C, 0xFF, 0x81, 0x00, 0x00, 0x1F, 0xEE, 0x05, 0xFB, 0xF1, 0xAB, 0xBA, 0x77, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]

    /// The base spec with each `old` text replaced by `new` (each must occur).
    static func edit(_ edits: (String, String)...) -> String { edited(edits) }

    /// The example spec trained on `{images: shapes}` (two classes, a and b) as images of `input`.
    static func imageSetExample(input: String) -> String {
        edit(("  train:\n    inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]\n" + targetsLine, "  train: {images: shapes}\n"),
             ("  input: [2]", "  input: \(input)"), ("- dense: " + hidden, "- flatten\n    - dense: " + hidden),
             ("{units: 1, name: out}", "{units: 2, name: out}"), ("loss: mse", "loss: cross_entropy"))
    }

    static let hidden = "{units: 8, activation: tanh, name: hidden}"
    static let out = "{units: 1, name: out}"
    static let targetsLine = "    targets: [[0], [1], [1], [2]]\n"

    /// Ten training rows for the data rules' examples: a first column as given, a second of distinct
    /// fractions, and targets that neither determines.
    static func tenRows(first: [String]) -> [(String, String)] {
        let second = ["0.3", "0.9", "0.1", "0.7", "0.5", "0.2", "0.8", "0.4", "0.6", "0.15"]
        return [("    inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]\n", "    inputs: [" + zip(first, second).map { "[\($0), \($1)]" }.joined(separator: ", ") + "]\n"),
                (targetsLine, "    targets: [" + tenTargets.map { "[\($0)]" }.joined(separator: ", ") + "]\n")]
    }
    static let tenTargets = ["0.2", "0.5", "0.1", "0.9", "0.4", "0.6", "0.3", "0.8", "0.7", "0"]
    static let twoValues = (0 ..< 10).map { String($0 % 2 + 1) }

    /// The base spec with each `old` text replaced by `new`.
    static func edited(_ edits: [(String, String)]) -> String {
        var text = exampleBase
        for (old, new) in edits {
            precondition(text.contains(old), "the example base has no `\(old)`")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }

    public var explanation: Explanation {
        let base = DiagnosticCode.exampleBase
        let edit = DiagnosticCode.edit
        let (hidden, out, targetsLine) = (DiagnosticCode.hidden, DiagnosticCode.out, DiagnosticCode.targetsLine)
        func make(_ description: String, bad: String, good: String? = nil) -> Explanation {
            Explanation(code: self, description: description, bad: bad, good: good ?? base)
        }
        func whileTraining(_ description: String, bad: String, good: String? = nil, accompaniedBy: [DiagnosticCode] = []) -> Explanation {
            Explanation(code: self, description: description, bad: bad, good: good ?? base, stage: .run, accompaniedBy: accompaniedBy)
        }
        switch self {
        case .yamlSyntax:
            return make("""
                The file is not well-formed YAML: a bracket or quote is not closed, indentation is \
                inconsistent, or a tab indents a line. Nothing else can be checked until the YAML reads, \
                so this is the only error reported for the file. The position is where the YAML reader \
                noticed the problem, which can be after the real mistake: look at the line above too.
                """, bad: edit((targetsLine, "    targets: [[0], [1], [1], [2]\n")))
        case .duplicateKey:
            return make("""
                A mapping has the same key twice. Many YAML readers silently keep the last value, so a \
                setting you think you changed may not be the one used; dnnc refuses the file instead and \
                points at both places.
                """, bad: edit(("  epochs: 100\n", "  epochs: 100\n  epochs: 200\n")))
        case .undefinedAlias:
            return make("""
                An alias (`*name`) refers to an anchor (`&name`) that is not defined before it. An anchor \
                must come earlier in the file than every alias that uses it.
                """, bad: edit((hidden, "{units: *width, activation: tanh, name: hidden}")),
                good: edit((hidden, "{units: &width 8, activation: tanh, name: hidden}")))
        case .aliasBudget:
            return make("""
                Aliases can repeat a node many times, and aliases of aliases multiply: ten lines can \
                expand to billions of nodes (the "billion laughs" attack). dnnc stops expanding at \
                100,000 nodes, far more than any real spec needs.
                """, bad: base + """
                x1: &x1 [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
                x2: &x2 [*x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1, *x1]
                x3: &x3 [*x2, *x2, *x2, *x2, *x2, *x2, *x2, *x2, *x2, *x2]
                x4: &x4 [*x3, *x3, *x3, *x3, *x3, *x3, *x3, *x3, *x3, *x3]
                x5: &x5 [*x4, *x4, *x4, *x4, *x4, *x4, *x4, *x4, *x4, *x4]
                x6: [*x5, *x5, *x5, *x5, *x5, *x5, *x5, *x5, *x5, *x5]

                """)
        case .unsupportedTag:
            return make("""
                A node carries a tag other than YAML's core tags (`!!str`, `!!int`, `!!float`, `!!bool`, \
                `!!null`, `!!seq`, `!!map`). Custom tags ask the reader to build application objects; a \
                spec is plain data, so dnnc refuses them.
                """, bad: edit(("  epochs: 100", "  epochs: !long 100")))
        case .multipleDocuments:
            return make("""
                The file holds more than one YAML document (separated by `---`). A spec is one document; \
                put each spec in its own file.
                """, bad: base + "---\ndnnc: 1\n")
        case .emptyDocument:
            return make("""
                The file holds no YAML content at all (it is empty or only comments), so there is no spec \
                to check.
                """, bad: "# the spec will go here\n")
        case .nestingTooDeep:
            return make("""
                Lists or mappings are nested more than 64 levels deep. No spec needs that; the limit \
                keeps a hostile file from exhausting the stack or taking quadratic time to read.
                """, bad: edit(("    inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]",
                                "    inputs: " + String(repeating: "[", count: 70) + String(repeating: "]", count: 70))))
        case .specTooLarge:
            var e = make("""
                The spec file is larger than dnnc reads: 1 MiB by default (`--max-spec-size`). dnnc reads \
                no more than that and stops, so a huge or endless file (a device, a runaway generator) \
                cannot exhaust memory. Large data belongs in .csv or .npy files beside the spec. (The \
                example is checked with a limit of 300 bytes.)
                """, bad: edit(("  epochs: 100", "  epochs: 100  # training runs for a hundred passes over the four samples")))
            e.limits.maxSpecBytes = 300
            return e
        case .encoding:
            return make("""
                The file is not UTF-8 text (UTF-16, or invalid bytes), or holds a NUL byte or a control \
                character other than tab, line feed and carriage return. dnnc checks the text before \
                reading the YAML and points at the offending character; the example's comment holds \
                U+0007, the bell.
                """, bad: edit(("  epochs: 100", "  epochs: 100  # \u{07}")))
        case .tooManyNodes:
            var e = make("""
                The spec has more YAML nodes (mappings, lists and scalars, aliases expanded) than dnnc \
                builds: 250,000 by default, enough for inline data of about a megabyte. Larger data \
                belongs in .csv or .npy files. (The example is checked with a limit of 70 nodes.)
                """, bad: edit(("  epochs: 100", "  epochs: 100\n  batch_size: 2\n  shuffle: false\n  log_every: 10")))
            e.limits.maxNodes = 70
            return e
        case .mergeKey:
            return make("""
                A YAML 1.1 merge key (`<<: {...}` or `<<: *base`) copies keys from another mapping. It is \
                not part of YAML 1.2, parsers disagree on it, and it hides which value applies; dnnc \
                refuses it. Write the keys out, or reuse a whole value with an alias.
                """, bad: edit((hidden, "{<<: {units: 8}, activation: tanh, name: hidden}")))
        case .unusedSuppression:
            return make("""
                A `# dnnc: disable=CODE` comment names a warning that is not reported where the comment \
                applies: on its own line, on the next line when the comment stands alone, or anywhere for \
                `disable-file=`. Perhaps the spec was fixed and the comment stayed behind; a stale \
                suppression would hide the warning if the problem came back. Remove it. (Reported only \
                for files without errors, where every rule has run.)
                """, bad: edit(("  epochs: 100", "  epochs: 100  # dnnc: disable=W0451")))
        case .invalidSuppression:
            return make("""
                A `# dnnc:` comment is not a suppression dnnc understands: an unknown directive (only \
                `disable` and `disable-file` exist), a code that does not exist, or an error code. Errors \
                cannot be silenced, because a spec with an error cannot run.
                """, bad: edit(("  epochs: 100", "  epochs: 100  # dnnc: disable=E0205")),
                good: edit(("  epochs: 100", "  epochs: 100\n  log_every: 500  # dnnc: disable=W0451 we want one log line")))
        case .wrongType:
            return make("""
                A value has the wrong type: text where a number belongs, a single value where a list \
                belongs. Numbers must be written without quotes; YAML 1.2 reads `yes`, `no`, `on` and \
                `off` as text, so booleans are `true` and `false`.
                """, bad: edit(("  epochs: 100", "  epochs: \"100\"")))
        case .unknownKey:
            return make("""
                A key the language does not define at this place, usually a misspelling. dnnc does not \
                ignore unknown keys, because a misspelt setting silently falls back to its default. The \
                help suggests the closest known key.
                """, bad: edit((out, "{units: 1, name: out, activaton: identity}")),
                good: edit((out, "{units: 1, name: out, activation: identity}")))
        case .unknownKind:
            return make("""
                An unknown layer kind, activation, initializer, loss, optimizer or normalization. The help \
                suggests the closest known name; `dnnc reference` lists them all.
                """, bad: edit((hidden, "{units: 8, activation: tahn, name: hidden}")))
        case .missingKey:
            return make("""
                A required key is missing. Required keys are those without a sensible default: the data, \
                the layers, the loss, the optimizer, the number of epochs, and `lr` for sgd.
                """, bad: edit(("  epochs: 100\n", "")))
        case .outOfRange:
            return make("""
                A number lies outside the range its key accepts, or a list is shorter than its key needs: \
                a layer needs at least 1 unit, a learning rate must be positive, Adam's betas lie in \
                [0, 1). The message states the accepted range.
                """, bad: edit((hidden, "{units: 0, activation: tanh, name: hidden}")))
        case .inconsistentValues:
            return make("""
                Values that each lie in their key's range contradict each other: a multistep schedule's \
                milestones must increase (each is an epoch at which the rate decays once more), and a \
                uniform initializer's low must lie below its high.
                """, bad: edit(("  epochs: 100", "  epochs: 100\n  schedule: {multistep: {milestones: [60, 30]}}")),
                good: edit(("  epochs: 100", "  epochs: 100\n  schedule: {multistep: {milestones: [30, 60]}}")))
        case .unsupportedVersion:
            return make("""
                The `dnnc:` key names the language version the spec is written in, and this dnnc reads \
                version 1. A spec written for a newer dnnc needs that dnnc.
                """, bad: edit(("dnnc: 1\n", "dnnc: 2\n")))
        case .malformedChoice:
            return make("""
                A choice (a layer, activation, initializer, loss or optimizer) is written either as a bare \
                name (`relu`) or as a mapping with exactly one key, the name, holding its parameters \
                (`{sgd: {lr: 0.1}}`). A mapping with several keys, in the style of other tools' configs, \
                does not say which one is meant.
                """, bad: edit(("{sgd: {lr: 0.1}}", "{name: sgd, lr: 0.1}")))
        case .duplicateName:
            return make("""
                Two layers have the same name. Names identify layers in logs and in checkpoints \
                (`hidden.weight`), so they must be unique. Unnamed layers are called `<kind>_<n>`.
                """, bad: edit((out, "{units: 1, name: hidden}")))
        case .invalidNumber:
            return make("""
                A number that is not finite or does not fit: `1e999` overflows to infinity, an integer \
                beyond 64 bits overflows, data beyond float32's range (±3.4e38) cannot be stored.
                """, bad: edit(("{sgd: {lr: 0.1}}", "{sgd: {lr: 1e999}}")))
        case .inputWidth:
            return make("""
                The data's rows do not match the model's input: each input row must have as many values \
                as `model.input` declares, and a dense layer takes a flat vector. The message names both \
                sides and both places.
                """, bad: edit(("  input: [2]", "  input: [3]")))
        case .rowCountMismatch:
            return make("""
                The inputs and the targets have different numbers of rows. Each input row is one sample \
                and needs exactly one target row.
                """, bad: edit((targetsLine, "    targets: [[0], [1], [1]]\n")))
        case .outputWidth:
            return make("""
                The last layer produces a different number of values per sample than each target row \
                holds, so the loss cannot compare them. Usually the last layer's `units` should equal \
                the width of the targets.
                """, bad: edit((out, "{units: 2, name: out}")))
        case .raggedRows:
            return make("""
                The rows of a data matrix have different lengths. Every row of the inputs (and every row \
                of the targets) must have the same number of values.
                """, bad: edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "[[0, 0], [0, 1], [1], [1, 1]]")))
        case .emptyData:
            return make("""
                A data matrix has no rows, or a row has no values: there is nothing to train on.
                """, bad: edit((targetsLine, "    targets: []\n")))
        case .modelTooLarge:
            return make("""
                The model has more parameters (or an input shape more values) than dnnc allocates: \
                2^28 parameters, 1 GiB per copy of float32 values, of which training keeps four \
                (parameters, gradients and two optimizer states).
                """, bad: edit(("  input: [2]", "  input: [16777216, 16777216]")))
        case .dataFile:
            return make("""
                A data file cannot be used: it does not exist (paths are relative to the spec's folder), it \
                is neither .csv nor .npy, a cell is not a number, rows have different lengths, a named \
                column is missing, or a .npy file declares more values than it holds. The message names the \
                file and, where it applies, the row and column.
                """, bad: edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "{file: no-such-file.csv}")))
        case .classOutOfRange:
            return make("""
                A class label the model has no output for: with cross_entropy or nll the last layer has one \
                output per class, and every class index must be below that count (names are mapped to \
                indices by data.classes, or in sorted order). Embedding inputs must likewise be indices \
                below the vocabulary size.
                """, bad: edit(("  loss: mse", "  loss: cross_entropy"), (out, "{units: 2, name: out}")),
                good: edit(("  loss: mse", "  loss: cross_entropy"), (out, "{units: 3, name: out}")))
        case .badReference:
            return make("""
                A layer's `inputs` name a layer that does not exist, or one written after it. A layer reads \
                only the model's input (`input`) or layers written before it, so the spec's order is the \
                order of computation and a cycle cannot be written.
                """, bad: edit((out, "{units: 1, name: out, inputs: [hiden]}")),
                good: edit((out, "{units: 1, name: out, inputs: [hidden]}")))
        case .branchMismatch:
            return make("""
                add and multiply join inputs of the same shape, element by element; concat joins inputs \
                whose shapes agree beyond their first dimension. The message shows both shapes and where \
                each comes from.
                """, bad: edit((hidden, hidden + "\n    - dense: {units: 4, name: skip, inputs: [input]}\n    - add: {inputs: [hidden, skip]}")),
                good: edit((hidden, hidden + "\n    - dense: {units: 8, name: skip, inputs: [input]}\n    - add: {inputs: [hidden, skip]}")))
        case .layerGeometry:
            return make("""
                A layer cannot apply to the shape of its input: a convolution or pooling layer needs \
                [channels, height, width] (conv1d: [channels, length]), a kernel or window cannot be larger \
                than its padded input, groups must divide the channels, and a reshape must keep the number \
                of values.
                """, bad: edit((hidden, "{units: 8, activation: tanh, name: hidden}\n    - reshape: {shape: [3, 3]}")),
                good: edit((hidden, "{units: 8, activation: tanh, name: hidden}\n    - reshape: {shape: [2, 4]}\n    - flatten")))
        case .outputFolder:
            return make("""
                dnnc writes train.checkpoint's files into a folder the spec names (`path:`, or \
                `checkpoints/<name>` beside the spec), and deletes its own older checkpoints there. Like \
                the data files a spec reads, that folder must lie inside the spec's project (the git top \
                level above the spec, or the spec's folder outside git), so that a spec from elsewhere \
                cannot write or delete files anywhere else: an absolute path, a `..` that climbs out, or a \
                model name with `/` in it is refused unless `--allow-outside-root` is given.
                """, bad: edit(("  epochs: 100\n", "  epochs: 100\n  checkpoint: {every: 10, path: /tmp/dnnc-checkpoints}\n")),
                good: edit(("  epochs: 100\n", "  epochs: 100\n  checkpoint: {every: 10, path: checkpoints/xor}\n")))
        case .splitSize:
            return make("""
                `validation: {split: F}` holds out F of the training rows, rounded to a whole row. On a \
                small set a small fraction rounds to no row at all, and a large one leaves none to train \
                on; either way one side would be empty. The message says how many rows the split holds out.
                """, bad: edit(("    targets: [[0], [1], [1], [2]]\n", "    targets: [[0], [1], [1], [2]]\n  validation: {split: 0.1}\n")),
                good: edit(("    targets: [[0], [1], [1], [2]]\n", "    targets: [[0], [1], [1], [2]]\n  validation: {split: 0.25}\n")))
        case .unusedLayer:
            return make("""
                No layer reads this layer's output, and it is not the last layer, so it changes nothing \
                but the time training takes. Usually an `inputs:` list misses it.
                """, bad: edit((out, "{units: 4, name: side}\n    - dense: {units: 1, name: out, inputs: [hidden]}")))
        case .dropoutLast:
            return make("""
                Dropout as the last layer zeroes some of the model's outputs while training, so the loss \
                sees wrong predictions on purpose; dropout belongs between layers.
                """, bad: edit((out, out + "\n    - dropout: {rate: 0.2}")),
                good: edit((hidden, hidden + "\n    - dropout: {rate: 0.2}")))
        case .doubleActivation:
            return make("""
                The loss applies an activation the output layer already applies: cross_entropy takes logits \
                and applies log_softmax itself, bce_with_logits applies sigmoid itself. A softmax (sigmoid) \
                on the output then runs twice and flattens the gradients. Leave the output layer linear, or \
                use nll after log_softmax, or bce after sigmoid.
                """, bad: edit(("  loss: mse", "  loss: cross_entropy"), (out, "{units: 3, activation: softmax, name: out}")),
                good: edit(("  loss: mse", "  loss: cross_entropy"), (out, "{units: 3, name: out}")))
        case .idLikeColumn:
            return make("""
                An input column holds a different value in every training row: text, or whole numbers that \
                count the rows. Such a column is an identifier (a row number, a customer ID), not a \
                property of the sample: the model can memorize each training row by it, and what it \
                learns from it carries over to no new row. Leave it out of the inputs.
                """, bad: DiagnosticCode.edited(DiagnosticCode.tenRows(first: (1 ... 10).map(String.init))),
                good: DiagnosticCode.edited(DiagnosticCode.tenRows(first: DiagnosticCode.twoValues)))
        case .constantColumn:
            return make("""
                An input column holds the same value in every training row, so it cannot tell samples \
                apart and the model learns nothing from it; after standard normalization it is all zeros. \
                Often it is a filter's leftover (every row of one country) or a broken export.
                """, bad: DiagnosticCode.edited(DiagnosticCode.tenRows(first: Array(repeating: "1", count: 10))),
                good: DiagnosticCode.edited(DiagnosticCode.tenRows(first: DiagnosticCode.twoValues)))
        case .leakingColumn:
            return make("""
                An input column equals the target, determines it (each of its values comes with one \
                target value in every training row, while it has at most half as many values as rows), \
                or for a regression is a linear function of it. Such a column is usually recorded after \
                the outcome (a refund flag beside "fraud", the price per square meter beside the price): \
                the model fits it perfectly in training and fails where the target is unknown.
                """, bad: DiagnosticCode.edited(DiagnosticCode.tenRows(first: DiagnosticCode.tenTargets)),
                good: DiagnosticCode.edited(DiagnosticCode.tenRows(first: DiagnosticCode.twoValues)))
        case .classImbalance:
            let twelve = (0 ..< 12).map { "[\($0 % 2 + 1), \(Format.number(Double($0) / 12))]" }.joined(separator: ", ")
            func targets(_ ones: Int) -> String { "    targets: [" + (0 ..< 12).map { $0 < 12 - ones ? "[0]" : "[1]" }.joined(separator: ", ") + "]\n" }
            let classifier = [("  loss: mse", "  loss: cross_entropy"), (out, "{units: 2, name: out}"),
                              ("    inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]\n", "    inputs: [\(twelve)]\n")]
            return make("""
                The rarest class has fewer than a tenth of the training rows of the commonest. A model can \
                then score high accuracy by always predicting the common class, so accuracy says little: \
                judge it by the rare class's recall and precision and by PR-AUC (`dnnc evaluate` reports \
                them), and collect more rows of the rare class where you can.
                """, bad: DiagnosticCode.edited(classifier + [(targetsLine, targets(1))]),
                good: DiagnosticCode.edited(classifier + [(targetsLine, targets(6))]))
        case .duplicatedAcrossSets:
            let validation = "  validation:\n    inputs: [[VALUE, 0.35]]\n    targets: [[0.5]]\nmodel:\n"
            return make("""
                Rows of the validation or test set are also training rows (the same input values, as the \
                model reads them). The model has seen them, so their loss measures how well it remembers, \
                not how well it does on new data. Remove the duplicates before splitting, or split by \
                whatever makes rows related (a customer, a day).
                """, bad: DiagnosticCode.edited(DiagnosticCode.tenRows(first: DiagnosticCode.twoValues)).replacingOccurrences(of: "model:\n", with: validation.replacingOccurrences(of: "[VALUE, 0.35]", with: "[1, 0.3]")),
                good: DiagnosticCode.edited(DiagnosticCode.tenRows(first: DiagnosticCode.twoValues)).replacingOccurrences(of: "model:\n", with: validation.replacingOccurrences(of: "VALUE", with: "3")))
        case .mostlyMissing:
            var explanation = make("""
                An input column is empty in more than half of the training rows. Whatever `data.missing` \
                fills it with, most of its values are then made up, and the model learns the fill. Leave \
                the column out, or keep it with `missing: {strategy: …, indicator: true}`, so that the \
                model sees where a value was empty, which can itself be informative.
                """, bad: edit(("    inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]\n", "    inputs: {file: rooms.csv}\n"), (targetsLine, "    targets: {column: price}\n  missing: median\n"),
                               ("  input: [2]", "  input: [2]")))
            explanation.files = [("rooms.csv", Array("rooms,garden,price\n1,,0.1\n2,,0.3\n3,,0.2\n2,,0.5\n1,,0.4\n3,,0.2\n2,4,0.3\n1,,0.6\n3,2,0.7\n2,,0.4\n".utf8))]
            return explanation
        case .imagesResized, .imageChannels:
            let resized = self == .imagesResized
            var explanation = make(resized ? """
                Some images of an image set are not model.input's height and width. dnnc resizes each \
                (bilinear, as PyTorch's interpolate with align_corners=False), so training works, but the \
                model sees stretched or blurred images, and whatever predicts with it later must resize \
                the same way. Make the images the size the model takes, or declare model.input with \
                their size.
                """ : """
                Some images of an image set have another number of channels than model.input's first \
                axis: RGB images read by a model of 1 channel are converted to grayscale (luma, as PIL's \
                convert("L")), and gray images read by a model of 3 channels repeat their one channel. \
                That may be what you want; if the colors matter, declare model.input [3, H, W].
                """, bad: DiagnosticCode.imageSetExample(input: "[1, 2, 2]"))
            explanation.files = resized ? [("shapes/a/1.png", Self.grayPNG4x4), ("shapes/b/1.png", Self.grayPNG4x4)]
                                        : [("shapes/a/1.png", Self.rgbPNG2x2), ("shapes/b/1.png", Self.rgbPNG2x2)]
            return explanation
        case .unreadImageFiles:
            var explanation = make("""
                A class folder of an image set holds image files that dnnc does not read: BMP, GIF, \
                WebP, TIFF and the like (dnnc decodes PNG and JPEG). They are skipped, so the set is \
                smaller than the folder looks, and a class may have fewer images than you think, or \
                none. Convert them to PNG (Pillow: `Image.open(path).save(new_path)` with a .png name) \
                or JPEG, or move them out of the set.
                """, bad: DiagnosticCode.imageSetExample(input: "[1, 4, 4]"))
            explanation.files = [("shapes/a/1.png", Self.grayPNG4x4), ("shapes/b/1.png", Self.grayPNG4x4),
                                 ("shapes/b/2.bmp", Array("BM".utf8) + [UInt8](repeating: 0, count: 60))]
            return explanation
        case .windowsSplitAtRandom:
            let windows = "    inputs: [[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6], [5, 6, 7], [6, 7, 8], [7, 8, 9], [8, 9, 10]]\n"
                + "    targets: [[4], [5], [6], [7], [8], [9], [10], [11]]\n"
            return make("""
                The training rows look like overlapping windows of one series: each row repeats the one \
                before it shifted by one time step. A `split` holds out rows at random, so every held-out \
                window has its neighbors, which share all but one of its values, in the training set, and \
                the validation loss says little about data the model has not seen. Give the series itself as \
                `{series: …, window: …}`, whose split holds out its last windows in time order, or validate \
                on a later stretch of the series.
                """, bad: edit(("    inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]\n", windows), (targetsLine, "  validation: {split: 0.25}\n"),
                               ("  input: [2]", "  input: [3]")),
                good: edit(("    inputs: [[0, 0], [0, 1], [1, 0], [1, 1]]\n", "    series: [[1], [2], [3], [4], [5], [6], [7], [8], [9], [10], [11]]\n    window: 3\n"),
                           (targetsLine, "  validation: {split: 0.25}\n"), ("  input: [2]", "  input: [3, 1]"),
                           ("    - dense: {units: 8, activation: tanh, name: hidden}\n", "    - flatten\n    - dense: {units: 8, activation: tanh, name: hidden}\n")))
        case .sequenceLayout:
            let sequence = "- embedding: {vocab: 2, dim: 4}\n"
            return make("""
                A layer that reads [channels, length] (conv1d, maxpool1d, avgpool1d, global pooling) reads a \
                sequence laid out as [length, features]: the output of an embedding (and of the layers that \
                keep its axes, such as dropout or layernorm). The shapes fit, so nothing fails, but the \
                convolution runs across each position's features instead of along the sequence, and global \
                pooling gives one number per position instead of one per feature. A `permute: {dims: [1, 0]}` \
                before the layer turns [length, features] into [features, length]; the fix inserts it.
                """, bad: edit(("- dense: " + hidden + "\n", sequence + "    - conv1d: {filters: 3, kernel: 1}\n    - flatten\n")),
                good: edit(("- dense: " + hidden + "\n", sequence + "    - permute: {dims: [1, 0]}\n    - conv1d: {filters: 3, kernel: 1}\n    - flatten\n")))
        case .unscaledInputs:
            return make("""
                The inputs are not normalized, and either their magnitudes are large (above 100) or \
                their columns' scales differ by more than 100×. Gradients of the first layer scale with \
                the inputs, so one learning rate is too large for the wide columns and too small for \
                the narrow ones: training diverges or crawls. Standardizing each column fixes both; \
                dnnc fits the statistics on the training set and applies them to predictions.
                """, bad: edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "[[0, 0], [0, 100], [1000, 0], [1000, 100]]")),
                good: edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "[[0, 0], [0, 100], [1000, 0], [1000, 100]]"),
                           (targetsLine, targetsLine + "  normalize: {inputs: standard}\n")))
        case .unscaledTargets:
            return make("""
                The targets are not normalized and reach magnitudes above 100. A regression's first \
                errors are as large as the targets, so are its first gradients; with a learning rate \
                tuned for unit-scale data the weights jump far and the cost can diverge. Normalizing the \
                targets keeps the loss near 1; predictions are still reported in the original units.
                """, bad: edit((targetsLine, "    targets: [[0], [1000], [1000], [2000]]\n")),
                good: edit((targetsLine, "    targets: [[0], [1000], [1000], [2000]]\n  normalize: {targets: standard}\n")))
        case .bottleneck:
            return make("""
                A hidden dense layer has a single unit, so every layer after it sees one number per \
                sample: the network can represent little more than a monotone function of one \
                projection of the input. Sometimes intended, usually a typo for a wider layer.
                """, bad: edit((hidden, "{units: 1, activation: tanh, name: hidden}")))
        case .unreachableTargets:
            return make("""
                The output layer's activation has a bounded range (relu: 0 or more, sigmoid: 0 to 1, \
                tanh: -1 to 1), and some targets, as the network sees them after normalization, lie \
                outside it. Those targets can never be predicted; the error on them never goes away. \
                Regression outputs usually take identity; leaky_relu and prelu also reach every value.
                """, bad: edit((out, "{units: 1, activation: sigmoid, name: out}")))
        case .dyingOutput:
            return make("""
                The output layer of a regression uses relu. If the output unit's pre-activation becomes \
                negative for every sample (by an unlucky start or one large step), its output is 0 and \
                its gradient is exactly 0, so no update can bring it back: the cost stays at the sum of \
                the squared targets and every prediction is 0. This is the failure of the ReLU study in \
                specs/seed/relu-dead.yaml. identity, leaky_relu or prelu on the output layer keep a \
                gradient for negative pre-activations.
                """, bad: edit((out, "{units: 1, activation: relu, name: out}")),
                good: edit((out, "{units: 1, activation: leaky_relu, name: out}")))
        case .symmetricInit:
            return make("""
                A hidden layer's weights all start at the same value (zeros, ones or a constant). Then \
                all its units compute the same output, receive the same gradient and stay identical \
                forever: the layer behaves as if it had one unit. Random initializers break the symmetry. \
                (Constant biases are fine, and so are constant weights in the output layer.)
                """, bad: edit((hidden, "{units: 8, activation: tanh, name: hidden, weights: zeros}")))
        case .invalidOptimizer:
            return make("""
                Optimizer settings that cannot work together, such as Nesterov momentum without momentum \
                (PyTorch raises the same error).
                """, bad: edit(("{sgd: {lr: 0.1}}", "{sgd: {lr: 0.1, nesterov: true}}")),
                good: edit(("{sgd: {lr: 0.1}}", "{sgd: {lr: 0.1, momentum: 0.9, nesterov: true}}")))
        case .batchLargerThanData:
            return make("""
                A written `batch_size` is larger than the training set, so no batch can be that large. \
                (When batch_size is omitted, its default of 32 is clamped to the training set.)
                """, bad: edit(("  epochs: 100", "  epochs: 100\n  batch_size: 8")),
                good: edit(("  epochs: 100", "  epochs: 100\n  batch_size: 4")))
        case .phaseEpochs:
            return make("""
                `train.phases` splits training into phases run one after another, each for its own \
                `epochs`; together they must cover `train.epochs` exactly, or some epochs would have no \
                phase (or some phases no epochs).
                """, bad: edit(("  epochs: 100", "  epochs: 100\n  phases:\n    - {epochs: 40, freeze: [hidden]}\n    - {epochs: 50}")),
                good: edit(("  epochs: 100", "  epochs: 100\n  phases:\n    - {epochs: 40, freeze: [hidden]}\n    - {epochs: 60}")))
        case .implausibleLearningRate:
            return make("""
                The learning rate lies outside the range practitioners use with the optimizer: above 1 \
                for sgd or above 0.1 for adam the cost usually diverges; below 1e-6 the weights barely \
                move. A warning, not an error, because unusual data can justify it.
                """, bad: edit(("{sgd: {lr: 0.1}}", "{sgd: {lr: 10}}")))
        case .logEveryBeyondEpochs:
            return make("""
                `log_every` is larger than the number of epochs, so only the last epoch's cost is logged. \
                Usually one of the two numbers is a typo.
                """, bad: edit(("  epochs: 100", "  epochs: 100\n  log_every: 500")),
                good: edit(("  epochs: 100", "  epochs: 100\n  log_every: 50")))
        case .trainingDiverged:
            return whileTraining("""
                A value of the run became infinite or NaN: a prediction, the loss, a gradient or a parameter. \
                `dnnc run` stops at the first such step and names the op and layer it came from, with the range \
                of that op's inputs, so the cause can be read off: most often the learning rate is too large for \
                the scale of the data, and each step overshoots further than the last. The run exits with code \
                3; with --save the last finite parameters are kept.
                """, bad: edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "[[0, 0], [0, 3], [3, 0], [3, 3]]"), ("lr: 0.1", "lr: 0.9")),
                good: edit(("[[0, 0], [0, 1], [1, 0], [1, 1]]", "[[0, 0], [0, 3], [3, 0], [3, 3]]"), ("lr: 0.1", "lr: 0.05")),
                accompaniedBy: [.explodingGradients])
        case .vanishingGradients:
            return whileTraining("""
                In a logged epoch a layer's gradient was below 1e-7 of its weights' norm while the loss still had \
                more than a thousandth of its first value left to lose: the layer has all but stopped learning. \
                Saturated sigmoid or tanh units (pushed far from 0 by their inputs, weights or bias) pass almost \
                no gradient. Start the layer nearer 0, normalize its inputs, or use an activation that does not \
                saturate (relu, gelu, silu).
                """, bad: edit(("{units: 8, activation: tanh, name: hidden}", "{units: 8, activation: sigmoid, name: hidden, bias: {constant: {value: 16}}}"),
                          ("lr: 0.1", "lr: 0.01")),
                good: edit(("{units: 8, activation: tanh, name: hidden}", "{units: 8, activation: sigmoid, name: hidden}"), ("lr: 0.1", "lr: 0.01")))
        case .saturatedGate:
            return whileTraining("""
                In a logged epoch a gate of a recurrent layer (an LSTM's input, forget or output gate, a GRU's \
                reset or update gate) stayed within 0.05 of 0 or of 1, in at least 90% of its units, for every \
                training sample and every step. A saturated gate no longer depends on its input: a forget \
                gate stuck at 0 forgets everything at each step, one stuck at 1 never forgets, an update gate \
                stuck at 1 never takes new input. And a sigmoid at its limits passes almost no gradient, so the \
                gate cannot learn its way out. Large inputs are the usual cause: normalize them, or lower the \
                learning rate. The log names the layer, the gate and the epoch.
                """, bad: edit((hidden, "{units: 8, name: hidden, bias: {constant: {value: 50}}}\n    - reshape: {shape: [2, 4]}\n    - lstm: {units: 4}"),
                               ("lr: 0.1", "lr: 0.01")),
                good: edit((hidden, "{units: 8, name: hidden, activation: tanh}\n    - reshape: {shape: [2, 4]}\n    - lstm: {units: 4}"),
                           ("lr: 0.1", "lr: 0.01")),
                accompaniedBy: [.vanishingGradients])
        case .collapsedHead:
            return whileTraining("""
                In a logged epoch an attention head did the same for every query of every training sample: \
                it spread its weight evenly over the keys it sees (entropy at least 99.9% of the most there \
                can be), or put at least 0.99 of it on one key. An even head passes on the average of the values, \
                whatever the input; a one-key head, a single position. Keys that do not differ cause the \
                first: a sequence whose positions are alike, with nothing to tell them apart (add a \
                position_embedding); a head that has learnt to ignore its input, the second. The log names \
                the layer, the head and the epoch.
                """, bad: edit((hidden, "{units: 2, name: hidden, activation: tanh}\n    - reshape: {shape: [1, 2], name: step}\n    - concat: {inputs: [step, step]}\n    - attention: {heads: 1}\n    - flatten"),
                               ("lr: 0.1", "lr: 0.01")),
                good: edit((hidden, "{units: 8, name: hidden, activation: tanh}\n    - reshape: {shape: [4, 2]}\n    - attention: {heads: 2}\n    - flatten"),
                           ("lr: 0.1", "lr: 0.01")))
        case .explodingGradients:
            return whileTraining("""
                In a logged epoch a layer's steps moved its parameters by more than their own size: the updates \
                overshoot, and the loss jumps about or grows. Lower the learning rate (or clip the gradients, \
                `train.clip`); large unnormalized inputs have the same effect.
                """, bad: edit(("activation: tanh", "activation: relu"), ("lr: 0.1", "lr: 1.0")),
                good: edit(("activation: tanh", "activation: relu"), ("lr: 0.1", "lr: 0.05")))
        }
    }
}
