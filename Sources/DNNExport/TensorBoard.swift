// TensorBoard event files, written natively: each record is TFRecord-framed (the length as a
// little-endian UInt64, its masked CRC-32C, the bytes, their masked CRC-32C) and holds a tensorflow.Event
// (tensorboard.pb.swift, generated from tools/tensorboard/tensorboard.proto). A run writes the file
// version first, then per logged epoch the scalars its jsonl line holds (cost, lr, val_loss, the metrics,
// and per layer dead units, gradient norm, weight norm and update ratio), the parameters as histograms
// every `histogramEvery` epochs and after the last, and the resolved spec once as text.

import DNNCore
import Foundation
import SwiftProtobuf

public final class TensorBoardWriter {
    /// The event file's path.
    public let path: String
    private let handle: FileHandle

    /// Creates `folder` (and its parents) and a new event file in it, named as TensorBoard's own
    /// writers name theirs (`events.out.tfevents.<seconds>.<host>`), with a suffix that keeps two runs
    /// in one second apart.
    public init(folder: String) throws(ExportError) {
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw ExportError("cannot create \(folder): \(error.localizedDescription)")
        }
        let seconds = Int(Date().timeIntervalSince1970)
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        path = folder + "/events.out.tfevents.\(seconds).\(host).\(ProcessInfo.processInfo.processIdentifier).dnnc"
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ExportError("cannot write \(path)")
        }
        self.handle = handle
        var event = Tensorflow_Event()
        event.wallTime = Date().timeIntervalSince1970
        event.fileVersion = "brain.Event:2"
        write(event)
    }

    deinit { try? handle.close() }

    /// The scalars of one logged epoch, tagged as the jsonl log names them.
    public func log(_ log: EpochLog) {
        var values: [(String, Double)] = [("cost", Double(Float(log.cost))), ("lr", log.learningRate)]
        if let validation = log.validationLoss { values.append(("val_loss", Double(Float(validation)))) }
        values += log.metrics.map { ($0.name, $0.value) }
        for layer in log.layers {
            values += [("layers/\(layer.name)/dead", Double(layer.dead)), ("layers/\(layer.name)/grad_norm", layer.gradientNorm),
                       ("layers/\(layer.name)/weight_norm", layer.weightNorm), ("layers/\(layer.name)/update_ratio", layer.updateRatio)]
        }
        summary(step: log.epoch, values.map { tag, value in
            var v = Tensorflow_Summary.Value()
            v.tag = tag
            v.simpleValue = Float(value)
            return v
        })
    }

    /// One histogram per tensor, of 30 equal buckets between its least and largest value (TensorBoard
    /// draws the buckets it is given).
    public func histograms(step: Int, _ tensors: [(name: String, values: [Float])]) {
        summary(step: step, tensors.filter { !$0.values.isEmpty }.map { name, values in
            var h = Tensorflow_HistogramProto()
            let lo = Double(values.min()!), hi = Double(values.max()!)
            h.min = lo
            h.max = hi
            h.num = Double(values.count)
            h.sum = values.reduce(0) { $0 + Double($1) }
            h.sumSquares = values.reduce(0) { $0 + Double($1) * Double($1) }
            let buckets = 30, width = hi > lo ? (hi - lo) / Double(buckets) : 1
            var counts = [Double](repeating: 0, count: buckets)
            for x in values { counts[min(buckets - 1, Int((Double(x) - lo) / width))] += 1 }
            h.bucketLimit = (1 ... buckets).map { lo + Double($0) * width }
            h.bucket = counts
            var v = Tensorflow_Summary.Value()
            v.tag = "weights/" + name
            v.histo = h
            return v
        })
    }

    /// Text for TensorBoard's text plugin (a string tensor), shown as Markdown.
    public func text(_ tag: String, _ text: String, step: Int = 0) {
        var tensor = Tensorflow_TensorProto()
        tensor.dtype = 7  // DT_STRING
        tensor.tensorShape = Tensorflow_TensorShapeProto()
        tensor.stringVal = [Data(text.utf8)]
        var v = Tensorflow_Summary.Value()
        v.tag = tag
        v.metadata.pluginData.pluginName = "text"
        v.tensor = tensor
        summary(step: step, [v])
    }

    private func summary(step: Int, _ values: [Tensorflow_Summary.Value]) {
        var event = Tensorflow_Event()
        event.wallTime = Date().timeIntervalSince1970
        event.step = Int64(step)
        var summary = Tensorflow_Summary()
        summary.value = values
        event.summary = summary
        write(event)
    }

    private func write(_ event: Tensorflow_Event) {
        guard let bytes: [UInt8] = try? event.serializedBytes() else { return }
        handle.write(Data(TFRecord.frame(bytes)))
    }
}

/// TFRecord's framing: length, masked CRC-32C of the length, data, masked CRC-32C of the data.
public enum TFRecord {
    public static func frame(_ data: [UInt8]) -> [UInt8] {
        var length = [UInt8](repeating: 0, count: 8)
        for k in 0 ..< 8 { length[k] = UInt8(truncatingIfNeeded: UInt64(data.count) >> (8 * k)) }
        return length + littleEndian(masked(crc32c(length))) + data + littleEndian(masked(crc32c(data)))
    }

    static func littleEndian(_ x: UInt32) -> [UInt8] { (0 ..< 4).map { UInt8(truncatingIfNeeded: x >> (8 * $0)) } }

    /// The mask TFRecord applies so that a CRC of data holding CRCs stays strong.
    static func masked(_ crc: UInt32) -> UInt32 { ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8 }

    /// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as TensorFlow's crc32c.
    public static func crc32c(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    static let table: [UInt32] = (0 ..< 256).map { (n: Int) -> UInt32 in
        var c = UInt32(n)
        for _ in 0 ..< 8 { c = c & 1 != 0 ? 0x82F6_3B78 ^ (c >> 1) : c >> 1 }
        return c
    }
}
