// Rows written a batch at a time, so that `dnnc predict` writes a file of any length in bounded memory:
// CSV, or .npy in C order (DataFiles.swift's formats, which RowReader reads).

import Foundation
import DNNSyntax
import DNNModel

/// Rows written a batch at a time as CSV or .npy (float32). A file is written under a temporary name
/// and renamed into place by `finish()`, so it is never left half-written; stdout takes CSV only.
public final class RowWriter {
    public enum Format: String, Sendable { case csv, npy }

    private let path: String?
    private let temporary: String?
    private let handle: FileHandle
    private let format: Format
    private let width: Int
    private var rows = 0
    private var buffer: [UInt8] = []

    /// `path` nil writes CSV to stdout; `header` is CSV's first line.
    public init(path: String?, format: Format, width: Int, header: [String]?) throws(CheckpointError) {
        self.path = path
        self.format = format
        self.width = width
        if let path {
            do { try FilePolicy.checkReplaceable(path, shown: path) } catch { throw CheckpointError(error.message) }
            let temporary = SafeTensors.temporaryPath(for: path)
            guard FileManager.default.createFile(atPath: temporary, contents: nil), let h = FileHandle(forWritingAtPath: temporary) else {
                throw CheckpointError("cannot write \(path): its folder does not exist or is not writable")
            }
            self.temporary = temporary
            handle = h
        } else {
            temporary = nil
            handle = FileHandle.standardOutput
        }
        switch format {
        case .csv:
            if let header { buffer += Array((header.joined(separator: ",") + "\n").utf8) }
        case .npy:
            buffer += Self.npyHeader(rows: 0, width: width)
        }
    }

    /// The 128-byte .npy v1 header for float32 rows; the row count is rewritten by `finish()`.
    public static func npyHeader(rows: Int, width: Int) -> [UInt8] {
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(width)), }"
        while (10 + dict.count + 1) % 128 != 0 { dict += " " }
        dict += "\n"
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(dict.count & 0xFF), UInt8(dict.count >> 8)] + Array(dict.utf8)
    }

    /// Appends rows (row-major, `width` values each); CSV cells are `format(row, column, value)`.
    public func write(_ values: ArraySlice<Float>, cell: (Int, Float) -> String) throws(CheckpointError) {
        precondition(values.count % max(width, 1) == 0)
        let n = values.count / max(width, 1)
        switch format {
        case .csv:
            var text = ""
            for r in 0..<n {
                for c in 0..<width {
                    if c > 0 { text += "," }
                    text += cell(c, values[values.startIndex + r * width + c])
                }
                text += "\n"
            }
            buffer += Array(text.utf8)
        case .npy:
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { buffer += $0 } }
        }
        rows += n
        if buffer.count > 1 << 16 { try flush() }
    }

    private func flush() throws(CheckpointError) {
        do { try handle.write(contentsOf: buffer) } catch { throw CheckpointError("cannot write \(path ?? "stdout"): \(error.localizedDescription)") }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is left, fixes the .npy header's row count, and renames the file into place.
    public func finish() throws(CheckpointError) {
        try flush()
        guard let path, let temporary else { return }
        do {
            if format == .npy {
                try handle.seek(toOffset: 0)
                try handle.write(contentsOf: Self.npyHeader(rows: rows, width: width))
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            unlink(temporary)
            throw CheckpointError("cannot write \(path): \(error.localizedDescription)")
        }
        guard rename(temporary, path) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            throw CheckpointError("cannot write \(path): \(message)")
        }
    }

    /// Removes the temporary file of a writer that will not finish.
    public func abandon() {
        if let temporary { try? handle.close(); unlink(temporary) }
    }
}
