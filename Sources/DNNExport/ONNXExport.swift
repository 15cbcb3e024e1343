// The inference graph of a trained model as ONNX (opset 17, IR version 8), built with swift-protobuf
// from onnx.proto (onnx.pb.swift, generated once by tools/onnx/generate.sh). One graph input `input`
// [N, ...model.input]; the input normalization folded in as Sub and Div; one node group per layer,
// in the IR's (topological) order, each named after its layer; then `output`: the last layer in the
// targets' units (Mul and Add undo the target normalization), and for a classifier `probabilities`
// and `class` beside it. The weights are initializers under their checkpoint names.

import DNNCore
import Foundation
import SwiftProtobuf

public struct ExportError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum ONNXExport {
    public static let opset: Int64 = 17
    public static let irVersion: Int64 = 8

    /// The serialized ModelProto of `model` with the checkpoint's parameters and normalization.
    public static func serialize(_ model: ModelIR, parameters: [String: Tensor], inputNormalizer: Normalizer,
                                 targetNormalizer: Normalizer, encoder: TabularEncoder? = nil) throws(ExportError) -> [UInt8] {
        var builder = GraphBuilder()
        try builder.build(model, parameters: parameters, inputNormalizer: inputNormalizer, targetNormalizer: targetNormalizer, encoder: encoder)
        var proto = Onnx_ModelProto()
        proto.irVersion = irVersion
        proto.producerName = "dnnc"
        proto.producerVersion = DNNCVersion.current
        proto.modelVersion = 1
        proto.docString = "\(model.name): exported by dnnc \(DNNCVersion.current)"
        var set = Onnx_OperatorSetIdProto()
        set.domain = ""
        set.version = opset
        proto.opsetImport = [set]
        if encoder != nil {
            var ml = Onnx_OperatorSetIdProto()
            ml.domain = "ai.onnx.ml"
            ml.version = 2
            proto.opsetImport.append(ml)
        }
        proto.graph = builder.graph
        proto.graph.name = model.name
        // A classifier's class names, in index order, for a deployment to read (also the `label` output).
        if let classes = model.classes, model.loss.isClassification {
            var entry = Onnx_StringStringEntryProto()
            entry.key = "dnnc_classes"
            entry.value = JSONValue.array(classes.map { .string($0) }).compact
            proto.metadataProps = [entry]
        }
        // What the graph expects, for a deployment to read: the input's layout per sample (row-major, as
        // model.input), its type, and the normalization the graph applies itself (raw values go in).
        var input = Onnx_StringStringEntryProto()
        input.key = "dnnc_input"
        input.value = JSONValue.object([
            ("shape", .array(([nil] + model.inputShape.map(Optional.some)).map { $0.map(JSONValue.int) ?? .string("N") })),
            ("dtype", .string(encoder == nil ? "float32" : "one input per column")),
            ("normalization", .string(inputNormalizer.kind.rawValue)),
            ("normalized_in_graph", .bool(true)),
        ] + pixels(model)).compact
        proto.metadataProps.append(input)
        // The encoding as dnnc fitted it: the columns, their categories and fills, for a deployment to read.
        if let encoder {
            var entry = Onnx_StringStringEntryProto()
            entry.key = "dnnc_input_encoding"
            entry.value = encoder.json.compact
            proto.metadataProps.append(entry)
        }
        do { return try [UInt8](proto.serializedBytes() as [UInt8]) } catch {
            throw ExportError("the model could not be serialized: \(error)")
        }
    }
}

/// How a model trained on pixels reads them, for `dnnc_input`: image files as dnnc decodes them
/// (ImageFiles.swift), or a uint8 array's values as they are.
func pixels(_ model: ModelIR) -> [(String, JSONValue)] {
    switch model.pixelMax {
    case 1?:
        let channels = model.inputShape.first == 1 ? "grayscale (PIL's convert(\"L\"))" : "RGB, alpha dropped"
        return [("images", .object([
            ("layout", .string("NCHW")),
            ("channels", .string(channels)),
            ("scale", .string("8-bit value / 255, in [0, 1], before the normalization")),
            ("resize", .string("bilinear to H × W as torch.nn.functional.interpolate(align_corners=False), when the image is not H × W")),
        ]))]
    case 255?: return [("pixels", .string("uint8 values 0 to 255 as they are, before the normalization"))]
    default: return []
    }
}

/// Nodes, initializers and fresh value names, added layer by layer; each layer's op adds its own nodes
/// through ONNXGraph, named after the layer (`scope`).
struct GraphBuilder: ONNXGraph {
    var modelInput: String { "input" }
    var graph = Onnx_GraphProto()
    private var counter = 0
    /// The layer whose nodes are being added.
    var scope = ""

    mutating func node(_ op: String, _ inputs: [String], _ attributes: [ONNXAttribute]) -> String {
        node(op, inputs, name: scope, attributes.map { attribute in
            switch attribute {
            case .int(let name, let value): Self.attribute(name, int: value)
            case .ints(let name, let values): Self.attribute(name, ints: values)
            case .float(let name, let value): Self.attribute(name, float: value)
            case .string(let name, let value): Self.attribute(name, string: value)
            case .strings(let name, let values): Self.attribute(name, strings: values)
            }
        })
    }

    mutating func floats(_ values: [Float], shape: [Int]) -> String { constant(fresh(scope + "/constant"), values, shape: shape) }

    mutating func int64s(_ values: [Int64]) -> String { int64s(fresh(scope + "/shape"), values) }

    /// A new value name with `base` in it.
    mutating func fresh(_ base: String) -> String {
        counter += 1
        return "\(base)/\(counter)"
    }

    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], name: String, output: String? = nil, domain: String = "",
                       _ attributes: [Onnx_AttributeProto] = []) -> String {
        var n = Onnx_NodeProto()
        n.opType = op
        n.domain = domain
        n.input = inputs
        let out = output ?? fresh(name + "/" + op)
        n.output = [out]
        n.name = fresh(name + "/" + op)
        n.attribute = attributes
        graph.node.append(n)
        return out
    }

    mutating func constant(_ name: String, _ values: [Float], shape: [Int]) -> String {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.dims = shape.map(Int64.init)
        var bytes = Data(capacity: values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        t.rawData = bytes
        graph.initializer.append(t)
        return name
    }

    mutating func int64s(_ name: String, _ values: [Int64]) -> String {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.dims = [Int64(values.count)]
        t.int64Data = values
        graph.initializer.append(t)
        return name
    }

    static func attribute(_ name: String, ints: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = ints.map(Int64.init)
        return a
    }

    static func attribute(_ name: String, int: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(int)
        return a
    }

    static func attribute(_ name: String, float: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = float
        return a
    }

    static func attribute(_ name: String, floats: [Float]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .floats
        a.floats = floats
        return a
    }

    static func attribute(_ name: String, strings: [String]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .strings
        a.strings = strings.map { Data($0.utf8) }
        return a
    }

    static func attribute(_ name: String, string: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(string.utf8)
        return a
    }

    static func valueInfo(_ name: String, elementType: Onnx_TensorProto.DataType, shape: [Int?]) -> Onnx_ValueInfoProto {
        var v = Onnx_ValueInfoProto()
        v.name = name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(elementType.rawValue)
        var s = Onnx_TensorShapeProto()
        s.dim = shape.map { size in
            var d = Onnx_TensorShapeProto.Dimension()
            if let size { d.dimValue = Int64(size) } else { d.dimParam = "N" }
            return d
        }
        tensor.shape = s
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        v.type = type
        return v
    }

    mutating func build(_ model: ModelIR, parameters: [String: Tensor], inputNormalizer: Normalizer,
                        targetNormalizer: Normalizer, encoder: TabularEncoder? = nil) throws(ExportError) {
        var x = "input"
        if let encoder {
            x = try encodeInputs(encoder, inputShape: model.inputShape)
        } else {
            graph.input = [Self.valueInfo("input", elementType: .float, shape: [nil] + model.inputShape)]
        }
        if inputNormalizer.kind != .none {
            let shift = constant("normalization/input_shift", inputNormalizer.shift.map(Float.init), shape: model.inputShape)
            let scale = constant("normalization/input_scale", inputNormalizer.scale.map(Float.init), shape: model.inputShape)
            x = node("Sub", [x, shift], name: "normalization")
            x = node("Div", [x, scale], name: "normalization")
        }
        for p in model.parameters {
            guard let t = parameters[p.name], t.shape == p.shape else {
                throw ExportError("the checkpoint has no tensor `\(p.name)` of shape \(p.shape)")
            }
            _ = constant(p.name, t.values, shape: t.shape)
        }
        var outputs: [String] = []
        for step in model.plan.steps {
            let layer = step.layer
            let inputs = step.reads.map { read in
                switch read.value {
                case .input: x
                case .output(let s): outputs[s]
                }
            }
            scope = layer.name
            outputs.append(activation(layer, layer.kind.onnx(layer, inputs: inputs, &self)))
        }
        var y = outputs.last!
        let width = model.outputWidth
        let outputShape: [Int?] = [nil] + model.layers.last!.outputShape
        if model.loss.isClassification {
            node("Identity", [y], name: "output", output: "output")
            let axis = model.layers.last!.outputShape.count == 1 ? 1 : -1
            // The output activation's own probabilities (softmax: itself, log_softmax: its exponential),
            // else the softmax of the scores: Metrics.probabilities, as nodes.
            scope = "probabilities"
            if let p = model.layers.last!.activation.function.onnxProbabilities(y, &self) {
                node("Identity", [p], name: "probabilities", output: "probabilities")
            } else {
                node("Softmax", [y], name: "probabilities", output: "probabilities", [Self.attribute("axis", int: axis)])
            }
            node("ArgMax", [y], name: "class", output: "class", [Self.attribute("axis", int: axis), Self.attribute("keepdims", int: 0)])
            // The class's name: the names as a string constant, gathered at the class.
            var names = Onnx_TensorProto()
            names.name = "class_names"
            names.dataType = Int32(Onnx_TensorProto.DataType.string.rawValue)
            let named = model.classes ?? []
            let classes = named + (named.count ..< max(model.classWidth, named.count)).map(String.init)
            names.dims = [Int64(classes.count)]
            names.stringData = classes.map { Data($0.utf8) }
            graph.initializer.append(names)
            node("Gather", ["class_names", "class"], name: "label", output: "label", [Self.attribute("axis", int: 0)])
            let classShape: [Int?] = [nil] + model.layers.last!.outputShape.dropLast()
            graph.output = [Self.valueInfo("output", elementType: .float, shape: outputShape),
                            Self.valueInfo("probabilities", elementType: .float, shape: outputShape),
                            Self.valueInfo("class", elementType: .int64, shape: classShape),
                            Self.valueInfo("label", elementType: .string, shape: classShape)]
        } else {
            if targetNormalizer.kind != .none {
                let flat = model.layers.last!.outputShape.count == 1
                let shape = flat ? [width] : model.layers.last!.outputShape
                let scale = constant("normalization/target_scale", targetNormalizer.scale.map(Float.init), shape: shape)
                let shift = constant("normalization/target_shift", targetNormalizer.shift.map(Float.init), shape: shape)
                y = node("Mul", [y, scale], name: "normalization")
                y = node("Add", [y, shift], name: "normalization")
            }
            node("Identity", [y], name: "output", output: "output")
            graph.output = [Self.valueInfo("output", elementType: .float, shape: outputShape)]
        }
    }

    /// The layer's activation on `z`: its type's nodes, named after the layer.
    mutating func activation(_ layer: Layer, _ z: String) -> String {
        scope = layer.name
        return layer.activation.function.onnx(layer, z: z, &self)
    }
}
