// Checkpoints in the safetensors format (huggingface/safetensors): an 8-byte little-endian header
// length, a JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian
// F32 data. Names and layouts are PyTorch's (`fc1.weight` [out, in]), so a checkpoint loads with
// load_state_dict. Files are written under a temporary name and renamed into place.

import Foundation

public struct CheckpointError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public struct Tensor: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

public enum SafeTensors {
    /// The file's bytes for the tensors in the given order, with `metadata` as `__metadata__`.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) -> [UInt8] {
        var entries: [(String, JSONValue)] = []
        if !metadata.isEmpty {
            entries.append(("__metadata__", .object(metadata.keys.sorted().map { ($0, .string(metadata[$0]!)) })))
        }
        var offset = 0
        for (name, tensor) in tensors {
            let size = tensor.values.count * 4
            entries.append((name, .object([("dtype", .string("F32")), ("shape", .array(tensor.shape.map { .int($0) })),
                                           ("data_offsets", .array([.int(offset), .int(offset + size)]))])))
            offset += size
        }
        var header = Array(JSONValue.object(entries).compact.utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header)
        for (_, tensor) in tensors {
            for v in tensor.values {
                withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            }
        }
        return bytes
    }

    /// The tensors of a safetensors file, by name. Only F32 tensors are read.
    public static func decode(_ bytes: [UInt8]) throws(CheckpointError) -> [String: Tensor] {
        guard bytes.count >= 8 else { throw CheckpointError("the file is too short to be safetensors") }
        var length: UInt64 = 0
        for k in 0..<8 { length |= UInt64(bytes[k]) << (8 * UInt64(k)) }
        guard length >= 2, length <= UInt64(bytes.count - 8) else {
            throw CheckpointError("the header length \(length) does not fit in the file (\(bytes.count) bytes)")
        }
        let headerEnd = 8 + Int(length)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]))
        } catch {
            throw CheckpointError("the header is not valid JSON")
        }
        guard let header = json as? [String: Any] else { throw CheckpointError("the header is not a JSON object") }
        let dataCount = bytes.count - headerEnd
        var tensors: [String: Tensor] = [:]
        for (name, entry) in header where name != "__metadata__" {
            guard let info = entry as? [String: Any],
                  let dtype = info["dtype"] as? String,
                  let shape = (info["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offsets = (info["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  offsets.count == 2 else {
                throw CheckpointError("tensor `\(name)` has a malformed header entry")
            }
            guard dtype == "F32" else { throw CheckpointError("tensor `\(name)` is \(dtype); dnnc reads F32 only") }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataCount else {
                throw CheckpointError("tensor `\(name)` lies outside the file's data")
            }
            let count = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow ? -1 : $0 * $1 }
            guard count >= 0, count * 4 == offsets[1] - offsets[0] else {
                throw CheckpointError("tensor `\(name)` has shape \(shape) but \(offsets[1] - offsets[0]) bytes of data")
            }
            var values = [Float](repeating: 0, count: count)
            let base = headerEnd + offsets[0]
            for k in 0..<count {
                var bits: UInt32 = 0
                for b in 0..<4 { bits |= UInt32(bytes[base + 4 * k + b]) << (8 * UInt32(b)) }
                values[k] = Float(bitPattern: bits)
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        return tensors
    }

    /// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so the
    /// path holds either its old content or all of the new one.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(CheckpointError) {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        do {
            try Data(bytes).write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw CheckpointError("cannot write \(path): \(reason(error))")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let message = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw CheckpointError("cannot write \(path): \(message)")
        }
    }

    static func reason(_ error: Error) -> String {
        if let posix = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError {
            return String(cString: strerror(Int32(posix.code)))
        }
        return (error as NSError).localizedDescription
    }
}

extension Network {
    /// The parameters as safetensors entries, in the IR's order.
    public func checkpointTensors() -> [(name: String, tensor: Tensor)] {
        model.parameters.enumerated().map { index, p in
            (p.name, Tensor(shape: p.shape, values: values(ofParameter: index)))
        }
    }

    /// Sets every parameter from `tensors`; a missing or mis-shaped tensor is an error naming it.
    public func load(_ tensors: [String: Tensor]) throws(CheckpointError) {
        for (index, p) in model.parameters.enumerated() {
            guard let tensor = tensors[p.name] else {
                let names = tensors.keys.sorted()
                throw CheckpointError("the checkpoint has no tensor `\(p.name)`"
                    + (names.isEmpty ? "" : " (it has " + names.map { "`\($0)`" }.joined(separator: ", ") + ")"))
            }
            guard tensor.shape == p.shape else {
                throw CheckpointError("tensor `\(p.name)` has shape \(tensor.shape), but the model needs \(p.shape)")
            }
            setValues(ofParameter: index, tensor.values)
        }
        resetOptimizerState()
    }
}
