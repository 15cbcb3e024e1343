// A layer kind as one definition. Each kind (or family of kinds: conv1d and conv2d) is one type in one
// file under Ops/ that carries everything dnnc knows about it: its keys (the language table's entry,
// so the checker, schema, reference and did-you-mean read them), its shape rule and parameters with
// located diagnostics, its forward and backward (calling into Kernels/), the buffers it needs, its
// multiply-adds, the facts lint asks, its ONNX nodes and its PyTorch module with the Python class that
// defines it. `Ops.layers` is the one list; nothing else switches over layer kinds.
//
// Shape letters: B = rows in the batch, S = values per sample of the layer's output.

/// What lowering a layer gives: the op with its geometry, the output shape per sample, its tensors.

import DNNSyntax

public struct LoweredLayer {
    public var op: any LayerOp
    public var output: [Int]
    public var parameters: [Parameter] = []
    /// The key that sets the output's width (dense's `units`), for diagnostics about the width.
    public var width: SourceRange?

    public init(_ op: any LayerOp, output: [Int], parameters: [Parameter] = [], width: SourceRange? = nil) {
        self.op = op
        self.output = output
        self.parameters = parameters
        self.width = width
    }
}

/// The buffers a layer needs beside its output and gradient, in values, for `capacity` rows.
public struct OpBuffers: Sendable, Equatable {
    /// What backward reads that forward computed: dropout's mask, the norms' x̂.
    public var saved = 0
    /// The norms' 1/σ.
    public var invstd = 0
    /// Max pooling's argmax (Int32, as wide as a Float).
    public var argmax = 0
    /// Scratch shared by every layer, one per worker lane: im2col columns (and as many for their
    /// gradient); per-chunk partial weight gradients.
    public var columns = 0
    public var partial = 0
    /// The padding mask it writes for the layers after it (PassContext.padding): the embedding's.
    public var padding = 0

    public init(saved: Int = 0, invstd: Int = 0, argmax: Int = 0, columns: Int = 0, partial: Int = 0, padding: Int = 0) {
        self.saved = saved
        self.invstd = invstd
        self.argmax = argmax
        self.columns = columns
        self.partial = partial
        self.padding = padding
    }
}

/// What the trainer's census pass tallies for an op whose parts can stop working (recurrent gates,
/// attention heads): per slot (the op says what a slot is), the least and the largest value of a
/// statistic over every sample of the training set.
public struct PartTally: Sendable, Equatable {
    public var low: [Float]
    public var high: [Float]

    public init(slots: Int) {
        low = [Float](repeating: .infinity, count: slots)
        high = [Float](repeating: -.infinity, count: slots)
    }

    @inline(__always)
    public mutating func add(_ slot: Int, _ value: Float) {
        if value < low[slot] { low[slot] = value }
        if value > high[slot] { high[slot] = value }
    }

    /// Whether the slot saw a value.
    public func observed(_ slot: Int) -> Bool { high[slot] >= low[slot] }
}

/// A part of a layer that did the same for every sample of the training set: a gate saturated, a head
/// collapsed.
public struct StuckPart: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case gate, head }
    public var kind: Kind
    /// "forget gate", "update gate (reverse)", "head 2".
    public var part: String
    /// "saturated near 1", "uniform over its keys", "on one key".
    public var state: String

    public init(_ kind: Kind, _ part: String, _ state: String) {
        self.kind = kind
        self.part = part
        self.state = state
    }

    public var description: String { "\(part) \(state)" }
}

/// Padded token positions: the model's input is `length` tokens, and a position holding `index` (an
/// embedding's padding_index) is padding. Values that descend from that embedding carry it, and the
/// layers that can leave padding out (attention's keys, global_avgpool's mean) do so.
public struct Padding: Sendable, Equatable {
    public var length: Int
    public var index: Int

    public init(length: Int, index: Int) {
        self.length = length
        self.index = index
    }
}

/// What lint asks of a layer kind.
public struct OpFacts: Sendable, Equatable {
    /// Its units mix their inputs through a weight tensor (dense, convolutions): a layer whose units
    /// start equal stays symmetric, and a 1-wide layer before it is a bottleneck.
    public var mixesThroughWeights = false
    /// It zeroes values in training (dropout), which makes no sense on the output.
    public var dropsInTraining = false
    /// A 2-d output of it is a sequence, [length, features], positions first (embedding).
    public var outputsSequence = false
    /// Its output keeps its first input's axes in their order (activations, dropout, layernorm, add).
    public var keepsLayout = false
    /// It reads [channels, positions...], channels first (conv1d, 1-d and global pooling).
    public var readsChannelsFirst = false

    public init(mixesThroughWeights: Bool = false, dropsInTraining: Bool = false, outputsSequence: Bool = false,
                keepsLayout: Bool = false, readsChannelsFirst: Bool = false) {
        self.mixesThroughWeights = mixesThroughWeights
        self.dropsInTraining = dropsInTraining
        self.outputsSequence = outputsSequence
        self.keepsLayout = keepsLayout
        self.readsChannelsFirst = readsChannelsFirst
    }
}

/// One layer's buffers in a network's workspace, fixed when the network is built: plain pointers, so
/// that a step does no reference counting. Rows are samples; every buffer holds `capacity` rows.
public struct LayerIO {
    /// The first input (B, its size) and ∂L/∂ of it (nil for the model's input, which needs none).
    public var x: UnsafeMutablePointer<Float>
    public var dx: UnsafeMutablePointer<Float>?
    /// Every input and its gradient, in `inputs` order.
    public var inputs: UnsafeBufferPointer<UnsafeMutablePointer<Float>>
    public var inputGradients: UnsafeBufferPointer<UnsafeMutablePointer<Float>?>
    /// The op's output before the activation, (B, S).
    public var z: UnsafeMutablePointer<Float>
    public var size: Int
    public var saved: UnsafeMutablePointer<Float>?
    public var invstd: UnsafeMutablePointer<Float>?
    public var argmax: UnsafeMutablePointer<Int32>?

    /// The layer's tensors by role, and the learnable ones' gradients.
    public var weight, bias, runningMean, runningVar: UnsafeMutablePointer<Float>?
    public var dweight, dbias: UnsafeMutablePointer<Float>?
    /// The layer's learnable tensors, one after another in the order its op declared them, and their
    /// gradients likewise: for an op with more than one weight (lstm's weight_ih, weight_hh, ...).
    public var parameters, gradients: UnsafeMutablePointer<Float>?

    package init(x: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?, inputs: UnsafeBufferPointer<UnsafeMutablePointer<Float>>,
                 inputGradients: UnsafeBufferPointer<UnsafeMutablePointer<Float>?>, z: UnsafeMutablePointer<Float>, size: Int,
                 saved: UnsafeMutablePointer<Float>? = nil, invstd: UnsafeMutablePointer<Float>? = nil, argmax: UnsafeMutablePointer<Int32>? = nil,
                 weight: UnsafeMutablePointer<Float>? = nil, bias: UnsafeMutablePointer<Float>? = nil,
                 runningMean: UnsafeMutablePointer<Float>? = nil, runningVar: UnsafeMutablePointer<Float>? = nil,
                 dweight: UnsafeMutablePointer<Float>? = nil, dbias: UnsafeMutablePointer<Float>? = nil,
                 parameters: UnsafeMutablePointer<Float>? = nil, gradients: UnsafeMutablePointer<Float>? = nil) {
        self.x = x
        self.dx = dx
        self.inputs = inputs
        self.inputGradients = inputGradients
        self.z = z
        self.size = size
        self.saved = saved
        self.invstd = invstd
        self.argmax = argmax
        self.weight = weight
        self.bias = bias
        self.runningMean = runningMean
        self.runningVar = runningVar
        self.dweight = dweight
        self.dbias = dbias
        self.parameters = parameters
        self.gradients = gradients
    }
}

/// What every layer of one pass shares: the rows, the mode, the threads, dropout's stream, the scratch.
public struct PassContext {
    public var rows = 0
    /// Training mode: dropout drops and batchnorm uses the batch's statistics.
    public var training = false
    /// Threads a matrix multiply may use; the result is the same whatever the count (Gemm.swift).
    public var threads = 1
    /// Dropout's draws: the seed's stream 2, shared by every dropout layer in forward order.
    public var dropout: RandomStream

    /// Scratch sized by the largest `OpBuffers.columns` and `partial` (one `columns` per lane).
    public var columns, columnGradients, partial: UnsafeMutablePointer<Float>
    /// [B, Padding.length]: 1 where the model's input token is padding, else 0; written by the embedding
    /// that declares a padding_index in each forward pass, read by the layers after it (nil when none).
    public var padding: UnsafeMutablePointer<Float>? = nil

    package init(rows: Int = 0, training: Bool = false, threads: Int = 1, dropout: RandomStream, columns: UnsafeMutablePointer<Float>,
                 columnGradients: UnsafeMutablePointer<Float>, partial: UnsafeMutablePointer<Float>) {
        self.rows = rows
        self.training = training
        self.threads = threads
        self.dropout = dropout
        self.columns = columns
        self.columnGradients = columnGradients
        self.partial = partial
    }
}

/// A layer kind: see the file's header.
public protocol LayerOp: Sendable {
    /// The kinds this type defines, as the language table lists them.
    static var kinds: [ChoiceKind] { get }
    /// The output shape and tensors of a checked layer of one of `kinds`; nil after an error in `layer.bag`.
    static func lower(_ layer: inout LayerSpec) -> LoweredLayer?
    /// The Python class(es) its PyTorch modules are instances of (subclasses of the runtime's `Layer`).
    static var pythonClass: String { get }

    /// The kind as written in a spec.
    var name: String { get }
    /// Its text in the model's fingerprint (ModelIR.architectureHash), which checkpoints carry. v1's
    /// kinds keep the text v1's enum printed; no kind's text changes once it has shipped.
    var fingerprint: String { get }
    var facts: OpFacts { get }
    /// The integer indices it reads, when it looks its input up in a table (embedding): values must be
    /// integers in [0, vocabulary).
    var vocabulary: Int? { get }
    /// The padded positions it marks in PassContext.padding (an embedding with a padding_index).
    var padding: Padding? { get }
    /// Whether it reads PassContext.padding (attention's keys, global_avgpool): the PyTorch program
    /// passes it the padding mask.
    var readsPadding: Bool { get }
    /// Slots its census tally keeps (PartTally); 0 when no part of it can get stuck.
    var watchedSlots: Int { get }
    /// Adds the last forward pass's `pass.rows` samples to the tally.
    func watch(_ io: LayerIO, _ pass: PassContext, _ tally: inout PartTally)
    /// The parts the tally shows doing the same for every sample.
    func stuckParts(_ tally: PartTally) -> [StuckPart]
    /// Sets what its module's constructor fixes after its tensors are drawn (embedding: the padding row
    /// is zeros); `parameters` is its learnable tensors, contiguous.
    func initialized(_ parameters: UnsafeMutablePointer<Float>)
    func buffers(_ layer: Layer, capacity: Int) -> OpBuffers
    /// Multiply-adds of one sample's forward pass.
    func multiplyAdds(_ layer: Layer) -> Int

    /// z = op(inputs) for `pass.rows` rows.
    func forward(_ io: LayerIO, _ pass: inout PassContext)
    /// Adds ∂L/∂(parameters) and ∂L/∂(inputs) given dz = ∂L/∂z.
    func backward(_ io: LayerIO, dz: UnsafeMutablePointer<Float>, _ pass: inout PassContext)

    /// The ONNX nodes computing z from `inputs` (value names); returns z's name. Parameters are graph
    /// initializers under their checkpoint names.
    func onnx<G: ONNXGraph>(_ layer: Layer, inputs: [String], _ graph: inout G) -> String
    /// The Python expression building its module; `activation` is the runtime's activation tuple.
    func pytorch(_ layer: Layer, activation: String) -> String
}

extension LayerOp {
    public var facts: OpFacts { OpFacts() }
    public var vocabulary: Int? { nil }
    public var padding: Padding? { nil }
    public var readsPadding: Bool { false }
    public var watchedSlots: Int { 0 }
    public func watch(_ io: LayerIO, _ pass: PassContext, _ tally: inout PartTally) {}
    public func stuckParts(_ tally: PartTally) -> [StuckPart] { [] }
    public func initialized(_ parameters: UnsafeMutablePointer<Float>) {}
    public func buffers(_ layer: Layer, capacity: Int) -> OpBuffers { OpBuffers() }
    public func multiplyAdds(_ layer: Layer) -> Int { 0 }
}

/// A height-width pair as v1's fingerprints print it: `(h: 3, w: 3)`.
func fingerprintPair(_ pair: (h: Int, w: Int)) -> String { "(h: \(pair.h), w: \(pair.w))" }

/// A kind's name as v1's enum case was spelled in fingerprints: `leaky_relu` → `leakyRelu`.
func fingerprintCaseName(_ name: String) -> String {
    var out = "", upper = false
    for c in name {
        if c == "_" { upper = true } else { out += upper ? c.uppercased() : String(c); upper = false }
    }
    return out
}

/// An ONNX attribute of a node.
public enum ONNXAttribute: Sendable, Equatable {
    case int(String, Int)
    case ints(String, [Int])
    case float(String, Float)
    case string(String, String)
    case strings(String, [String])
}

/// Where ops add their ONNX nodes (DNNExport builds the protobuf behind it). Node and value names carry
/// the layer's name.
public protocol ONNXGraph {
    /// Adds a node; returns its (fresh) output's name.
    mutating func node(_ op: String, _ inputs: [String], _ attributes: [ONNXAttribute]) -> String
    /// A float constant; returns its name.
    mutating func floats(_ values: [Float], shape: [Int]) -> String
    /// An int64 vector constant (a shape); returns its name.
    mutating func int64s(_ values: [Int64]) -> String
    /// The model's input, before normalization (token indices, for an embedding's padding).
    var modelInput: String { get }
}

extension ONNXGraph {
    public mutating func node(_ op: String, _ inputs: [String]) -> String { node(op, inputs, []) }
}

/// ONNX's TensorProto data type of int64, for Cast.
public let onnxInt64Type = 7

/// The registry: every layer kind dnnc has. The language table, lowering, the interpreter, the memory
/// estimate, lint, the summary and both exports reach the kinds through it.
public enum Ops {
    public static let layers: [any LayerOp.Type] = [
        Dense.self, Convolution.self, Pooling.self, GlobalPooling.self, Reshape.self, Dropout.self, BatchNorm.self,
        LayerNorm.self, Embedding.self, ActivationLayer.self, Merge.self, ColumnEmbedding.self,
        Permute.self, Upsample.self, ConvTranspose.self, GroupNorm.self, RMSNorm.self, Recurrent.self, Attention.self, PositionEncoding.self,
    ]

    /// The type defining a layer kind, by its spec name.
    public static func layer(named name: String) -> (any LayerOp.Type)? {
        layers.first { type in type.kinds.contains { $0.name == name || $0.aliases.contains(name) } }
    }
}
