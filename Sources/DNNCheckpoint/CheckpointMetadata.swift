// What a checkpoint carries besides its tensors, in safetensors' `__metadata__` (string → string):
// the normalization statistics, the class names, the model's hash and dnnc's version, so that
// `predict`, `evaluate` and `export` use the statistics the model was trained with, and a checkpoint
// of another model is refused before it is used.

import Foundation
import DNNSyntax
import DNNModel

public struct CheckpointMetadata: Sendable, Equatable {
    public static let versionKey = "dnnc_version"
    /// The key of a training checkpoint's state (the loop's counters, generators and schedule state).
    public static let trainingStateKey = "dnnc_state"
    public static let modelHashKey = "dnnc_model_hash"
    public static let inputNormalizationKey = "dnnc_input_normalization"
    public static let targetNormalizationKey = "dnnc_target_normalization"
    public static let classesKey = "dnnc_classes"
    public static let encodingKey = "dnnc_input_encoding"
    public static let epochKey = "dnnc_epoch"

    public var version: String
    public var modelHash: String
    public var inputNormalizer: Normalizer
    public var targetNormalizer: Normalizer
    public var classes: [String]?
    /// The input columns' encoding fitted on the training rows (TabularEncoder), when the model has one.
    public var encoder: TabularEncoder?
    /// The epochs trained when it was written (nil when not recorded).
    public var epochsTrained: Int?

    public init(version: String = DNNCVersion.current, modelHash: String, inputNormalizer: Normalizer,
                targetNormalizer: Normalizer, classes: [String]?, encoder: TabularEncoder? = nil, epochsTrained: Int? = nil) {
        self.version = version
        self.modelHash = modelHash
        self.inputNormalizer = inputNormalizer
        self.targetNormalizer = targetNormalizer
        self.classes = classes
        self.encoder = encoder
        self.epochsTrained = epochsTrained
    }

    public var strings: [String: String] {
        var m = [
            Self.versionKey: version,
            Self.modelHashKey: modelHash,
            Self.inputNormalizationKey: Self.encode(inputNormalizer),
            Self.targetNormalizationKey: Self.encode(targetNormalizer),
        ]
        if let classes { m[Self.classesKey] = JSONValue.array(classes.map { .string($0) }).compact }
        if let epochsTrained { m[Self.epochKey] = String(epochsTrained) }
        if let encoder { m[Self.encodingKey] = encoder.json.compact }
        return m
    }

    /// Reads the metadata dnnc wrote; nil when the file carries none of it (a checkpoint from
    /// elsewhere, or from dnnc before it wrote metadata).
    public static func read(_ metadata: [String: String]) throws(CheckpointError) -> CheckpointMetadata? {
        guard let hash = metadata[modelHashKey] else { return nil }
        func normalizer(_ key: String) throws(CheckpointError) -> Normalizer {
            guard let text = metadata[key], let n = decode(text) else {
                throw CheckpointError("its metadata `\(key)` is missing or malformed")
            }
            return n
        }
        var classes: [String]? = nil
        if let text = metadata[classesKey] {
            guard let list = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String] else {
                throw CheckpointError("its metadata `\(classesKey)` is not a JSON list of names")
            }
            classes = list
        }
        var encoder: TabularEncoder? = nil
        if let text = metadata[encodingKey] {
            guard let read = TabularEncoder(json: text) else { throw CheckpointError("its metadata `\(encodingKey)` is malformed") }
            encoder = read
        }
        return CheckpointMetadata(version: metadata[versionKey] ?? "unknown", modelHash: hash,
                                  inputNormalizer: try normalizer(inputNormalizationKey),
                                  targetNormalizer: try normalizer(targetNormalizationKey), classes: classes, encoder: encoder,
                                  epochsTrained: metadata[epochKey].flatMap { Int($0) })
    }

    /// `{"kind":"standard","shift":[…],"scale":[…]}`, every number in Swift's shortest round-trip form.
    static func encode(_ n: Normalizer) -> String {
        func list(_ values: [Double]) -> String { "[" + values.map { "\($0)" }.joined(separator: ",") + "]" }
        return "{\"kind\":\"\(n.kind.rawValue)\",\"shift\":\(list(n.shift)),\"scale\":\(list(n.scale))}"
    }

    static func decode(_ text: String) -> Normalizer? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              let kind = (object["kind"] as? String).flatMap(Normalization.init(rawValue:)),
              let shift = (object["shift"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.doubleValue }),
              let scale = (object["scale"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.doubleValue }),
              shift.count == scale.count, scale.allSatisfy({ $0.isFinite && $0 != 0 }), shift.allSatisfy(\.isFinite) else { return nil }
        return Normalizer(kind: kind, shift: shift, scale: scale)
    }
}

extension CheckpointMetadata {
    /// Everything the metadata says, checked against the spec's model before any of it is used (also
    /// under --force, which only waives the model hash): each normalization has the spec's kind, one
    /// statistic per column, and values that keep every normalized number finite; the class names are
    /// distinct, no more than a classifier's outputs, and the spec's own when the spec names them.
    public func check(for model: ModelIR) throws(CheckpointError) {
        let targetKind = model.appliedTargetNormalization
        for (what, normalizer, kind, width) in [("input", inputNormalizer, model.inputNormalization, model.inputShape.reduce(1, *)),
                                                ("target", targetNormalizer, targetKind, model.outputWidth)] {
            guard normalizer.kind == kind else {
                throw CheckpointError("its \(what) normalization is `\(normalizer.kind.rawValue)`, but the spec's is `\(kind.rawValue)`")
            }
            guard kind != .none else { continue }
            guard normalizer.shift.count == width, normalizer.scale.count == width else {
                throw CheckpointError("its \(what) normalization has \(normalizer.shift.count) columns, but the model has \(width)")
            }
            // Float's range is about 3.4e38: a shift beyond 1e30 or a scale below 1e-30 would overflow it.
            if let j = (0 ..< width).first(where: { !(abs(normalizer.shift[$0]) <= 1e30) || !(abs(normalizer.scale[$0]) >= 1e-30 && abs(normalizer.scale[$0]) <= 1e30) }) {
                throw CheckpointError("its \(what) normalization of column \(j) (shift \(normalizer.shift[j]), scale \(normalizer.scale[j])) would not give finite values")
            }
        }
        // The encoding must give the model's input width from the columns the spec reads.
        switch (encoder, model.encoder) {
        case (nil, nil): break
        case (nil, _?): throw CheckpointError("it carries no input encoding, but the spec's inputs have categories or empty cells to encode")
        case (_?, nil): throw CheckpointError("it carries an input encoding, but the spec's inputs are numbers read as they are")
        case (let stored?, let own?):
            guard stored.columns.map(\.name) == own.columns.map(\.name) else {
                throw CheckpointError("its input columns (\(stored.columns.prefix(5).map(\.name).joined(separator: ", "))) are not the spec's (\(own.columns.prefix(5).map(\.name).joined(separator: ", ")))")
            }
            guard stored.width == model.inputShape.reduce(1, *) else {
                throw CheckpointError("its input encoding gives \(stored.width) values per row, but model.input takes \(model.inputShape.reduce(1, *))")
            }
        }
        if let classes {
            guard Set(classes).count == classes.count else { throw CheckpointError("its class names are not distinct") }
            if model.loss.isClassification, classes.count > max(model.outputWidth, 2) {
                throw CheckpointError("it names \(classes.count) classes, but the model has \(model.outputWidth) outputs")
            }
            if let own = model.classes, own != classes {
                throw CheckpointError("its classes (\(classes.prefix(5).joined(separator: ", "))\(classes.count > 5 ? ", …" : "")) are not the spec's (\(own.prefix(5).joined(separator: ", "))\(own.count > 5 ? ", …" : ""))")
            }
        }
    }
}

/// FNV-1a, 64 bits (Fowler, Noll, Vo): a fingerprint of text against mistakes, not against forgery.
package enum FNV1a {
    package static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// A checkpoint read for use with a spec's model: its tensors and, when dnnc wrote it, its metadata.
public struct Checkpoint: Sendable {
    public var tensors: [String: Tensor]
    public var metadata: CheckpointMetadata?

    package init(tensors: [String: Tensor], metadata: CheckpointMetadata? = nil) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// Reads a checkpoint's tensors and metadata; a damaged file is an error saying what is wrong.
    public static func decode(_ bytes: [UInt8]) throws(CheckpointError) -> Checkpoint {
        let (tensors, strings) = try SafeTensors.decodeWithMetadata(bytes)
        return Checkpoint(tensors: tensors, metadata: try CheckpointMetadata.read(strings))
    }

    /// Reads and checks a checkpoint against `model`.
    public static func read(_ bytes: [UInt8], for model: ModelIR, force: Bool) throws(CheckpointError) -> Checkpoint {
        let checkpoint = try decode(bytes)
        try checkpoint.check(for: model, force: force)
        return checkpoint
    }

    /// Whether it fits `model`: a checkpoint of another model (a different hash) is refused unless
    /// `force`; every parameter must be there, with the model's shape and finite values.
    public func check(for model: ModelIR, force: Bool) throws(CheckpointError) {
        if let metadata, metadata.modelHash != model.architectureHash, !force {
            throw CheckpointError("it was written for another model (model hash \(metadata.modelHash), this spec's is \(model.architectureHash), dnnc \(metadata.version)); give --force to use it anyway when its tensors have this model's names and shapes")
        }
        for p in model.parameters {
            guard let t = tensors[p.name] else {
                let names = tensors.keys.filter { !$0.hasPrefix("dnnc_state.") }.sorted()
                throw CheckpointError("the checkpoint has no tensor `\(p.name)`"
                    + (names.isEmpty ? "" : " (it has " + names.prefix(8).map { "`\($0)`" }.joined(separator: ", ") + (names.count > 8 ? ", …" : "") + ")"))
            }
            guard t.shape == p.shape else {
                throw CheckpointError("tensor `\(p.name)` has shape \(t.shape), but the model needs \(p.shape)")
            }
            if let bad = t.values.firstIndex(where: { !$0.isFinite }) {
                throw CheckpointError("tensor `\(p.name)` holds a non-finite value (\(t.values[bad]) at index \(bad))")
            }
        }
        if let metadata { try metadata.check(for: model) }
    }
}
