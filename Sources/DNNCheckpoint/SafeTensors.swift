// Checkpoints in the safetensors format (huggingface/safetensors): an 8-byte little-endian header
// length, a JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian
// F32 data. Names and layouts are PyTorch's (`fc1.weight` [out, in]), so a checkpoint loads with
// load_state_dict. dnnc adds a CRC-32 of the data to `__metadata__` and checks it when present.
// Files are written to a temporary file in the same folder, fsynced, renamed into place, and the
// folder fsynced, so the path holds a whole old file or a whole new one, even after a crash.

import Foundation
import DNNSyntax
import DNNModel

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
    /// The metadata key of the data's CRC-32, in hex.
    public static let checksumKey = "dnnc_crc32"
    /// The metadata key of the CRC-32 of the other metadata entries (`key=value\n`, sorted by key).
    public static let metadataChecksumKey = "dnnc_metadata_crc32"

    static func metadataChecksum(_ metadata: [String: String]) -> String {
        let text = metadata.keys.sorted().filter { $0 != checksumKey && $0 != metadataChecksumKey }
            .map { "\($0)=\(metadata[$0]!)\n" }.joined()
        return String(CRC32.checksum(Array(text.utf8)), radix: 16)
    }
    /// Headers larger than this are refused before they are read.
    public static let maxHeaderBytes = 100 << 20

    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(tensors.reduce(0) { $0 + $1.tensor.values.count * 4 })
        for (_, tensor) in tensors {
            for v in tensor.values {
                withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) }
            }
        }
        var metadata = metadata
        if !metadata.isEmpty { metadata[metadataChecksumKey] = metadataChecksum(metadata) }
        metadata[checksumKey] = String(CRC32.checksum(data), radix: 16)
        var entries: [(String, JSONValue)] = []
        entries.append(("__metadata__", .object(metadata.keys.sorted().map { ($0, .string(metadata[$0]!)) })))
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
        bytes.append(contentsOf: data)
        return bytes
    }

    /// The tensors of a safetensors file, by name. Only F32 tensors are read.
    public static func decode(_ bytes: [UInt8]) throws(CheckpointError) -> [String: Tensor] {
        try decodeWithMetadata(bytes).tensors
    }

    /// The tensors and the string entries of `__metadata__`.
    public static func decodeWithMetadata(_ bytes: [UInt8]) throws(CheckpointError) -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard bytes.count >= 8 else { throw CheckpointError("the file is too short to be safetensors") }
        var length: UInt64 = 0
        for k in 0..<8 { length |= UInt64(bytes[k]) << (8 * UInt64(k)) }
        guard length >= 2, length <= UInt64(bytes.count - 8) else {
            throw CheckpointError("the header length \(length) does not fit in the file (\(bytes.count) bytes)")
        }
        guard length <= UInt64(maxHeaderBytes) else {
            throw CheckpointError("the header claims \(length) bytes, more than the \(Format.bytes(maxHeaderBytes)) dnnc reads")
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
        // Every entry's structure first, then the checksum, then the values: nothing is allocated for
        // a file that does not hold what its header says.
        var entries: [(name: String, shape: [Int], start: Int, count: Int)] = []
        for (name, entry) in header where name != "__metadata__" {
            guard let info = entry as? [String: Any],
                  let dtype = info["dtype"] as? String,
                  let shape = exactIntegers(info["shape"]),
                  let offsets = exactIntegers(info["data_offsets"]),
                  offsets.count == 2 else {
                throw CheckpointError("tensor `\(name)` has a malformed header entry")
            }
            guard dtype == "F32" else { throw CheckpointError("tensor `\(name)` is \(dtype); dnnc reads F32 only") }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataCount else {
                throw CheckpointError("tensor `\(name)` lies outside the file's data")
            }
            let count = shape.reduce(1) { $0 < 0 || $0.multipliedReportingOverflow(by: $1).overflow ? -1 : $0 * $1 }
            guard count >= 0, count <= dataCount / 4, count * 4 == offsets[1] - offsets[0] else {
                throw CheckpointError("tensor `\(name)` has shape \(shape) but \(offsets[1] - offsets[0]) bytes of data")
            }
            entries.append((name, shape, headerEnd + offsets[0], count))
        }
        // As the safetensors format requires, the tensors tile the data exactly: no two share a byte,
        // and no byte belongs to none.
        var end = headerEnd
        for entry in entries.sorted(by: { ($0.start, $0.count) < ($1.start, $1.count) }) {
            guard entry.start == end else {
                throw CheckpointError(entry.start < end ? "tensor `\(entry.name)` overlaps another tensor's data" : "the data has a gap before tensor `\(entry.name)`")
            }
            end = entry.start + 4 * entry.count
        }
        guard end == bytes.count else { throw CheckpointError("the file holds \(bytes.count - end) bytes after the last tensor's data") }
        if let metadata = header["__metadata__"] as? [String: Any], let stored = metadata[checksumKey] as? String {
            let actual = String(CRC32.checksum(bytes[headerEnd...]), radix: 16)
            guard stored == actual else {
                throw CheckpointError("the data does not match its checksum (crc32 \(stored) written, \(actual) read): the file is damaged")
            }
        }
        var tensors: [String: Tensor] = [:]
        for (name, shape, base, count) in entries {
            var values = [Float](repeating: 0, count: count)
            for k in 0..<count {
                var bits: UInt32 = 0
                for b in 0..<4 { bits |= UInt32(bytes[base + 4 * k + b]) << (8 * UInt32(b)) }
                values[k] = Float(bitPattern: bits)
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        var strings: [String: String] = [:]
        if let metadata = header["__metadata__"] as? [String: Any] {
            for (key, value) in metadata { if let text = value as? String { strings[key] = text } }
        }
        if let stored = strings[metadataChecksumKey], stored != metadataChecksum(strings) {
            throw CheckpointError("its metadata does not match its checksum (crc32 \(stored) written, \(metadataChecksum(strings)) read): the file is damaged")
        }
        return (tensors, strings)
    }

    /// Where a file for `path` is written before it is renamed into place: beside it, hidden, named
    /// after the process, so that two writers never share one.
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp").path
    }

    /// The training hash in a checkpoint's training state (TrainingState.swift), reading the header
    /// alone; nil for a file that is not a training checkpoint.
    public static func trainingHash(atPath path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let prefix = try? handle.read(upToCount: 8), prefix.count == 8 else { return nil }
        let length = prefix.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
        guard length <= UInt64(maxHeaderBytes), let header = try? handle.read(upToCount: Int(length)), header.count == Int(length),
              let json = (try? JSONSerialization.jsonObject(with: header)) as? [String: Any],
              let metadata = json["__metadata__"] as? [String: Any], let state = metadata[CheckpointMetadata.trainingStateKey] as? String,
              let object = (try? JSONSerialization.jsonObject(with: Data(state.utf8))) as? [String: Any] else { return nil }
        return object["training_hash"] as? String
    }

    /// Writes `bytes` to `path` through a temporary file in the same folder: written, fsynced,
    /// renamed over the target, and the folder fsynced. The path holds either its old content or all
    /// of the new one, whenever the process or the machine stops. Only a regular file (or nothing) is replaced.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(CheckpointError) {
        do { try FilePolicy.checkReplaceable(path, shown: path) } catch { throw CheckpointError(error.message) }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let temporary = temporaryPath(for: path)
        func failure(_ what: String) -> CheckpointError {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            return CheckpointError("cannot write \(path): \(what): \(message)")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("cannot create a temporary file") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                throw failure("writing failed")
            }
            written += n
        }
        guard fsync(fd) == 0 else {
            close(fd)
            throw failure("fsync failed")
        }
        close(fd)
        guard rename(temporary, path) == 0 else { throw failure("rename failed") }
        let folderFD = open(folder.isEmpty ? "." : folder, O_RDONLY | O_CLOEXEC)
        if folderFD >= 0 {
            fsync(folderFD)
            close(folderFD)
        }
    }
}

/// CRC-32 (IEEE 802.3, the polynomial 0xEDB88320 reflected, as zlib's crc32).
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// A JSON list of whole numbers, each exactly an Int; nil when any item is not (no item is skipped).
func exactIntegers(_ any: Any?) -> [Int]? {
    guard let items = any as? [Any] else { return nil }
    var out: [Int] = []
    for item in items {
        guard let n = item as? NSNumber, let i = Int(exactly: n.doubleValue) else { return nil }
        out.append(i)
    }
    return out
}
