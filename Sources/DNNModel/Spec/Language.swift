// The spec language as data: one table per concept (sections, layer kinds, activations, initializers,
// losses, optimizers, schedules). The checker, the JSON Schema, the reference docs and did-you-mean all
// read it; the ops' own entries (Ops/) make up the catalogs of kinds.

/// The v1 language. Defaults follow PyTorch's update rules and Keras's initializer conventions;
/// grammar/README.md says why where frameworks disagree.

import DNNSyntax

public enum Language {
    public static let version = 1

    /// Every catalog, in the order the reference lists them.
    public static var catalogs: [Catalog] { [layers, activations, initializers, losses, optimizers, schedules, clipping, columnTypes, augmentations] }

    /// Every activation: the types' own entries (Ops/Activations/, listed by `Ops.activations`).
    public static let activations = Catalog(name: "activation", kinds: Ops.activations.flatMap { $0.kinds })

    public static let initializers = Catalog(name: "initializer", kinds: [
        ChoiceKind(name: "zeros", doc: "every value 0"),
        ChoiceKind(name: "ones", doc: "every value 1"),
        ChoiceKind(name: "constant", params: [
            .required("value", .number(.any), "the value"),
        ], doc: "every value the same"),
        ChoiceKind(name: "uniform", params: [
            .optional("low", .number(.any), default: .number(-0.05), "lower bound (Keras's default)"),
            .optional("high", .number(.any), default: .number(0.05), "upper bound, greater than low"),
        ], doc: "uniform on [low, high)"),
        ChoiceKind(name: "normal", params: [
            .optional("mean", .number(.any), default: .number(0), "mean"),
            .optional("stddev", .number(.positive), default: .number(0.05), "standard deviation (Keras's default)"),
        ], doc: "normal distribution"),
        ChoiceKind(name: "truncated_normal", params: [
            .optional("mean", .number(.any), default: .number(0), "mean"),
            .optional("stddev", .number(.positive), default: .number(0.05), "standard deviation before truncation (Keras's default)"),
        ], doc: "normal distribution, values beyond 2 stddev from the mean redrawn (as TensorFlow's)"),
        ChoiceKind(name: "glorot_uniform", aliases: ["xavier_uniform"],
                   doc: "uniform on ±sqrt(6 / (fan_in + fan_out))"),
        ChoiceKind(name: "glorot_normal", aliases: ["xavier_normal"],
                   doc: "normal with stddev sqrt(2 / (fan_in + fan_out)), untruncated as PyTorch's xavier_normal_"),
        ChoiceKind(name: "he_uniform", aliases: ["kaiming_uniform"],
                   doc: "uniform on ±sqrt(6 / fan_in)"),
        ChoiceKind(name: "he_normal", aliases: ["kaiming_normal"],
                   doc: "normal with stddev sqrt(2 / fan_in), untruncated as PyTorch's kaiming_normal_"),
    ])

    /// Every loss: the types' own entries (Ops/Losses/, listed by `Ops.losses`).
    public static let losses = Catalog(name: "loss", kinds: Ops.losses.flatMap { $0.kinds })

    /// Every optimizer: the rules' own entries (Ops/Optimizers/, listed by `Ops.optimizers`).
    public static let optimizers = Catalog(name: "optimizer", kinds: Ops.optimizers.flatMap { $0.kinds })

    static func weightDecay(_ value: Double) -> Field {
        .optional("weight_decay", .number(.nonNegative), default: .number(value), "L2 penalty added to the gradient (decoupled for adamw)")
    }

    /// Every schedule: the types' own entries (Ops/Schedules/, listed by `Ops.schedules`).
    public static let schedules = Catalog(name: "schedule", kinds: Ops.schedules.flatMap { $0.kinds })

    public static let clipping = Catalog(name: "clip", kinds: [
        ChoiceKind(name: "norm", params: [.required("max", .number(.positive), "the largest global L2 norm of all gradients")],
                   doc: "scale every gradient so that their global L2 norm is at most max, as clip_grad_norm_"),
        ChoiceKind(name: "value", params: [.required("max", .number(.positive), "the largest magnitude of any gradient element")],
                   doc: "clamp every gradient element to [−max, max], as clip_grad_value_"),
    ])

    /// What a table's input column holds (`data.types`); TabularEncoder encodes each.
    public static let columnTypes = Catalog(name: "column type", kinds: [
        ChoiceKind(name: "numeric", doc: "a number per row, scaled as `data.normalize.inputs` says"),
        ChoiceKind(name: "categorical", params: [
            .optional("embedding", .integer(.size), default: .off("one-hot"),
                      "a learned vector of this size per category instead of one-hot, as an embedding of its slot (torch.nn.Embedding)"),
        ], doc: "one of a set of values, text or numbers: one-hot, a slot per value the training rows hold (sorted) and one for a value they never held; or `{categorical: {embedding: d}}`, a learned vector of size d per slot"),
        ChoiceKind(name: "binary",
                   doc: "two values: one input, 0 for no, false, 0 or n (else the first in sorted order) and 1 for the other"),
    ])

    /// `data.augment`'s kinds: each augmentation's own entry (Data/Augmentation.swift).
    public static let augmentations = Catalog(name: "augmentation", kinds: Augmentation.kinds)

    /// What an empty cell of an input column becomes.
    static let fillStrategy = ValueType.oneOf([
        .word(["error", "mean", "median", "most_frequent"]),
        .record(Record(name: "data.missing.constant", fields: [
            .required("constant", .oneOf([.number(.any), .string]), "the value an empty cell takes: a number, or a category"),
        ])),
    ])

    // Fields several layer kinds share.
    static let nameField = Field.optional("name", .string, default: .contextual("`<kind>_<n>`, n counting that kind from 1"),
                                          "unique name; parameters are saved as `<name>.weight`, `<name>.bias`, ...")
    static let inputsField = Field.optional("inputs", .list(.string, minCount: 1), default: .contextual("the layer before"),
                                            "the layers it reads, by name; `input` is the model's input")
    static let activationField = Field.optional("activation", .choice(activations), default: .choice("identity"),
                                                "applied to the layer's output")
    static let weightsField = Field.optional("weights", .choice(initializers), default: .contextual("model.init.weights"),
                                             "initializer of the weights")
    static let biasField = Field.optional("bias", .oneOf([.boolean, .choice(initializers)]), default: .contextual("model.init.bias"),
                                          "initializer of the bias, or false for no bias (true: model.init.bias)")
    static let paddingType = ValueType.oneOf([.word(["valid", "same"]), .dims(.padding)])
    static let l1Field = Field.optional("l1", .number(.nonNegative), default: .number(0), "L1 penalty λ·Σ|w| on the weights, added to the loss")
    static let l2Field = Field.optional("l2", .number(.nonNegative), default: .number(0), "L2 penalty λ·Σw² on the weights, added to the loss")

    /// Every layer kind: the ops' own entries (Ops/, listed by `Ops.layers`), then `block`, which the
    /// IR expands before any op sees it.
    public static let layers = Catalog(name: "layer", kinds: Ops.layers.flatMap { $0.kinds } + [
        ChoiceKind(name: "block", params: [
            .required("use", .string, "the name of a block declared under model.blocks"),
            .optional("name", .string, default: .contextual("`block_<n>`"),
                      "the instance's name; its layers are named `<name>.<layer>` and saved as `<name>.<layer>.weight`"),
            inputsField,
            .optional("with", .bindings, default: .off("none"),
                      "the block's parameters: each `${name}` in its layers takes this value, checked where it is used"),
        ], doc: "the layers of a declared block, expanded in place; inside the block `input` is the block's input, and the block's output is its last layer; a block may use other blocks, and its layers may write `${name}` for a value each instance gives in `with:`"),
    ])

    static let normalization = ValueType.word(["none", "standard", "minmax"])

    /// A data matrix written inline, or read from a file beside the spec.
    static let column = ValueType.oneOf([.integer(.countOrZero), .string])
    static let dataMatrix = ValueType.oneOf([.matrix, .record(Record(name: "file", fields: [
        .required("file", .string, "a .csv or .npy file, relative to the spec's folder"),
        .optional("columns", .oneOf([.list(column, minCount: 1), .record(Record(name: "columns", fields: [
            .required("exclude", .list(column, minCount: 1), "the columns left out, by name, index or range"),
        ]))]), default: .contextual("every column (the inputs: every column but the targets' `column`)"),
                  "the columns to read: header names, indices from 0, ranges (`sepal_length..petal_width`, `0..12`, both ends included), or `{exclude: [...]}`"),
        .optional("stream", .boolean, default: .bool(false),
                  "the training inputs only, a .npy file: read each batch's rows from disk while the batch before trains, instead of reading the file whole (for files larger than memory; no 1 GiB limit); the same order and bytes"),
        .optional("prefetch", .integer(.count), default: .int(4), "with `stream`: the batches read ahead of the one training"),
    ]))])
    /// The targets: like the inputs, or one column of the inputs' file.
    static let targetsMatrix = ValueType.oneOf([.matrix, .record(Record(name: "column", fields: [
        .required("column", column, "the target column of the inputs' file, by header name or index from 0; the inputs then read every other column unless they say"),
    ])), dataMatrix])

    static let dataSet = Record(name: "data.train", fields: [
        .required("inputs", dataMatrix, "one row per sample, inline or from a file"),
        .required("targets", targetsMatrix, "one row per sample, as many rows as inputs; class indices or names for classification; or `{column: species}` of the inputs' file"),
    ])

    /// A text corpus cut into windows of characters, each with the characters that follow.
    static let textSet = Record(name: "data.text", fields: [
        .required("text", .string, "a UTF-8 text file, relative to the spec's folder; its characters (code points) are the classes"),
        .required("context", .integer(.size), "characters per window: the model's input is [context] character indices"),
        .optional("stride", .integer(.size), default: .int(1), "characters from one window's start to the next's"),
    ])

    /// Images in class subfolders, or listed by a CSV file (ImageSet.swift).
    static let imageSet = Record(name: "data.images", fields: [
        .required("images", .string, "a folder with one subfolder of images per class (the classes are the subfolders' names, sorted), or a .csv file listing image paths, relative to it, and their targets; PNG or JPEG, made model.input's [C, H, W]: C 1 (grayscale) or 3 (RGB), resized bilinearly to H × W, each value v / 255"),
        .optional("path", column, default: .contextual("column 0"), "a list's column of image paths, by header name or index from 0"),
        .optional("target", column, default: .contextual("column 1"), "a list's column of targets: class names or indices, or numbers"),
        .optional("stream", .boolean, default: .bool(false),
                  "training images only: read each batch's images from disk while the batch before trains, instead of holding the set in memory (for sets larger than memory); the same order and bytes"),
        .optional("prefetch", .integer(.count), default: .int(4), "with `stream`: the batches decoded ahead of the one training, the memory a streamed set takes"),
    ])

    /// A time series cut into windows of consecutive rows, each with the row `horizon` steps after it.
    static let seriesSet = Record(name: "data.series", fields: [
        .required("series", dataMatrix, "the series: one row per time step, in time order, inline or from a file"),
        .required("window", .integer(.size), "time steps per window: the model's input is [window, columns]"),
        .optional("horizon", .integer(.size), default: .int(1), "how many steps after the window's last the target row is"),
        .optional("targets", .list(.oneOf([.integer(.countOrZero), .string]), minCount: 1), default: .contextual("every column"),
                  "the series' columns to predict, by header name or index from 0 among those read"),
        .optional("stride", .integer(.size), default: .int(1), "time steps from one window's start to the next's"),
    ])

    public static let spec = Record(name: "spec", fields: [
        .required("dnnc", .integer(.any), "the language version; this dnnc reads 1"),
        .optional("name", .string, default: .contextual("the file's stem"), "the run's name, printed in the summary"),
        .optional("seed", .integer(.seed), default: .int(0), "seeds every random draw: initializers, shuffling, dropout and splits"),
        .required("data", .record(Record(name: "data", fields: [
            .required("train", .oneOf([.record(dataSet), .record(textSet), .record(seriesSet), .record(imageSet)]),
                      "the training set: inputs and targets; or `{images: folder/}`, images in class subfolders (or listed by a .csv file); or `{text: corpus.txt, context: 64}`, windows of a text with the next character of each position (an [context, classes] output) or of the window (a [classes] output), the vocabulary the sorted characters of the training text; or `{series: {file: f.csv}, window: 24, horizon: 1}`, windows of a time series with the row `horizon` steps after each"),
            .optional("validation", .oneOf([.record(Record(name: "data.validation", fields: [
                .required("split", .number(Bounds(min: 0, minExclusive: true, max: 1, maxExclusive: true)),
                          "the share of the training rows held out, drawn with the seed (a series: its last windows, in time order)"),
            ])), .record(dataSet), .record(textSet), .record(seriesSet), .record(imageSet)]), default: .off("none"),
                      "a validation set: inline or from files like train, a text with the training text's characters, or `{split: 0.2}` of the training rows"),
            .optional("test", .oneOf([.record(dataSet), .record(textSet), .record(seriesSet), .record(imageSet)]), default: .off("none"),
                      "a test set like train, evaluated once after training and reported apart (`test_` metrics); never used to choose anything"),
            .optional("classes", .list(.string, minCount: 2), default: .off("the sorted distinct names in the targets"),
                      "class names in index order, for targets written as names"),
            .optional("types", .columns(.choice(columnTypes)), default: .off("inferred from the training rows"),
                      "input columns' types by header name, where inference is not wanted: numbers are numeric, two values such as yes/no or true/false binary, other text categorical"),
            .optional("missing", .oneOf([.record(Record(name: "data.missing", fields: [
                .optional("strategy", fillStrategy, default: .word("error"), "what an empty cell of any input column becomes"),
                .optional("columns", .columns(fillStrategy), default: .off("none"), "a strategy per column, by header name, over `strategy`"),
                .optional("indicator", .boolean, default: .bool(false),
                          "add a 0/1 input `<column>_missing` after each column that has empty cells in the training rows"),
            ])), fillStrategy]), default: .word("error"),
                      "empty cells of the input columns: `error` (located), `mean`, `median`, `most_frequent` or `{constant: V}`, fitted on the training rows"),
            .optional("augment", .list(.choice(augmentations), minCount: 1), default: .off("none"),
                      "random changes to each training sample, applied in order each time it is drawn, from the seed's own stream (so `--resume` stays exact), before normalization; evaluation, predict and export never augment; model.input must be [C, H, W]"),
            .optional("normalize", .record(Record(name: "data.normalize", fields: [
                .optional("inputs", normalization, default: .word("none"), "per column, fitted on the training inputs"),
                .optional("targets", normalization, default: .word("none"),
                          "per column, fitted on the training targets; predictions are printed in original units"),
            ])), default: .contextual("no normalization"), "statistics fitted on the training set only")
        ])), "the data to train on"),
        .required("model", .record(Record(name: "model", fields: [
            .required("input", .shape, "the shape of one sample, e.g. [2], or [1, 8, 8] for 8×8 images"),
            .optional("init", .record(Record(name: "model.init", fields: [
                .optional("weights", .choice(initializers), default: .choice("glorot_uniform"),
                      "weights' initializer: glorot_uniform as Keras's Dense (PyTorch's Linear draws uniform on ±1/sqrt(fan_in))"),
                .optional("bias", .choice(initializers), default: .choice("zeros"),
                      "biases' initializer: zeros as Keras's Dense (PyTorch's Linear draws uniform on ±1/sqrt(fan_in))"),
            ])), default: .contextual("glorot_uniform weights, zero biases"),
                      "model-wide initializers, overridable per layer with the same keys"),
            .optional("blocks", .list(.record(Record(name: "model.blocks", fields: [
                .required("name", .string, "the block's name, for `- block: {use: name}`"),
                .required("layers", .list(.choice(layers), minCount: 1), "its layers; `input` in their `inputs` is the block's input; `${name}` stands for a parameter each instance gives in `with:`"),
            ])), minCount: 1), default: .off("none"), "reusable lists of layers, each used by `- block: {use: name}` in layers"),
            .required("layers", .list(.choice(layers), minCount: 1), "the layers in order; each reads the one before unless it names its `inputs`"),
        ])), "the network"),
        .required("train", .record(Record(name: "train", fields: [
            .required("loss", .choice(losses), "what training minimizes"),
            .required("optimizer", .choice(optimizers), "how parameters are updated"),
            .required("epochs", .integer(.count), "passes over the training set, numbered from 0"),
            .optional("batch_size", .integer(.count), default: .int(32),
                      "samples per update (Keras's default); the default is clamped to the training set, a larger written size is an error"),
            .optional("shuffle", .boolean, default: .bool(true), "reshuffle the samples before each epoch"),
            .optional("log_every", .integer(.count), default: .int(1),
                      "log the cost every N epochs, and after the last"),
            .optional("phases", .list(.record(Record(name: "train.phases", fields: [
                .required("epochs", .integer(.count), "epochs of this phase"),
                .optional("optimizer", .choice(optimizers), default: .contextual("train.optimizer"),
                          "the optimizer of this phase; its state starts fresh, as in a new Caffe solver stage"),
                .optional("freeze", .list(.string, minCount: 1), default: .off("nothing frozen"),
                          "layers whose parameters this phase leaves unchanged (fine-tuning)"),
            ])), minCount: 1), default: .off("one phase: train.optimizer for train.epochs"),
                      "stages run in order, their epochs adding up to train.epochs"),
            .optional("schedule", .choice(schedules), default: .choice("constant"), "how the learning rate changes"),
            .optional("warmup", .integer(.countOrZero), default: .int(0), "batches of linear warmup from lr/warmup up to the scheduled lr"),
            .optional("clip", .choice(clipping), default: .off("no clipping"), "gradient clipping before each step"),
            .optional("validate_every", .integer(.count), default: .int(1), "epochs between evaluations of the validation set"),
            .optional("early_stopping", .record(Record(name: "train.early_stopping", fields: [
                .optional("monitor", .word(["loss", "val_loss"]), default: .contextual("val_loss with validation data, else loss"), "the value watched"),
                .optional("patience", .integer(.count), default: .int(10), "evaluations without improvement before stopping"),
                .optional("min_delta", .number(.nonNegative), default: .number(0), "the smallest decrease that counts as improvement"),
                .optional("restore_best", .boolean, default: .bool(true), "end with the parameters of the best evaluation"),
            ])), default: .off("off"), "stop when the monitored loss stops improving"),
            .optional("checkpoint", .record(Record(name: "train.checkpoint", fields: [
                .required("every", .integer(.count), "epochs between checkpoints"),
                .optional("keep", .integer(.count), default: .int(3), "the newest checkpoints kept; older ones are deleted"),
                .optional("path", .string, default: .contextual("checkpoints/ followed by the spec's name"),
                          "the folder of the checkpoints, relative to the spec's folder"),
            ])), default: .off("off"),
                      "save the whole training state every N epochs as epoch-NNNNNN.safetensors, for `dnnc run --resume`"),
            .optional("tensorboard", .record(Record(name: "train.tensorboard", fields: [
                .required("path", .string, "the folder of the event files, relative to the spec's folder (inside the project, as checkpoints)"),
                .optional("histogram_every", .integer(.count), default: .int(10), "epochs between the weights' histograms; the last epoch's is always written"),
            ])), default: .off("off"),
                      "write TensorBoard event files: each logged epoch's scalars (as the jsonl log), weight histograms, the resolved spec as text"),
        ])), "the training schedule"),
    ])
}
