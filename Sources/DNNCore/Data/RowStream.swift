// Rows read a batch at a time from CSV or .npy, and written the same way, so that `dnnc predict` and
// `dnnc evaluate` handle a file of any length in bounded memory. The formats are DataFiles.swift's:
// CSV cut into cells by CSVRecords, with an optional header row (DataFiles.csv's rule: no cell a number,
// a class name or empty), .npy in C order.

import Foundation

/// Where rows come from: a CSV text stream (a file or stdin) or a .npy file.
public final class RowReader {
    public let name: String
    /// Values per row.
    public let width: Int
    /// The CSV header, when the file has one.
    public private(set) var header: [String]?
    /// Rows handed out so far.
    public private(set) var rowsRead = 0
    /// For CSV: the line of each row of the last batch, for messages.
    public private(set) var batchLines: [Int] = []
    private var lastBatchRows = 0

    private let handle: FileHandle
    private let format: Format
    private enum Format {
        case csv
        case npy(descr: String, rows: Int, itemSize: Int)
    }

    // CSV state: the records, and the values of a first row that was data, not a header.
    private var records: CSVRecords
    private var firstRow: [Float]?
    private var firstRowLine = 0
    /// Per column: class names that stand for their index (a classifier's target column).
    private let names: [Int: [String: Int]]

    /// Opens a CSV (any other name, or stdin) or .npy file, expecting `width` values per row when given.
    /// `names` maps text cells of a column to numbers (class names in a target column).
    public init(path: String?, displayName: String, width expected: Int?, names: [Int: [String: Int]] = [:]) throws(DataFileError) {
        name = displayName
        self.names = names
        if let path {
            guard FileManager.default.fileExists(atPath: path) else {
                throw DataFileError(message: "cannot read \(displayName): no such file", help: nil)
            }
            try FilePolicy.checkRegular(path, shown: displayName)
            guard let h = FileHandle(forReadingAtPath: path) else {
                throw DataFileError(message: "cannot read \(displayName): permission denied", help: nil)
            }
            handle = h
        } else {
            handle = FileHandle.standardInput
        }
        if path?.lowercased().hasSuffix(".npy") == true {
            let prefix = (try? handle.read(upToCount: 12)).map { [UInt8]($0) } ?? []
            let (start, length) = try DataFiles.npyPreamble(prefix, displayName)
            guard length < 1 << 20 else { throw DataFileError(message: "\(displayName) has a header of \(length) bytes; dnnc reads up to 1 MiB", help: nil) }
            try? handle.seek(toOffset: 0)
            let headerBytes = (try? handle.read(upToCount: start + length)).map { [UInt8]($0) } ?? []
            let info = try DataFiles.npyHeader(headerBytes, displayName, checkSize: false)
            width = info.columns
            format = .npy(descr: info.descr, rows: info.rows, itemSize: info.itemSize)
            try? handle.seek(toOffset: UInt64(info.dataStart))
            records = CSVRecords(name: displayName, bytes: [])
        } else {
            format = .csv
            var csv = CSVRecords(name: displayName, bytes: []) { [handle] in (try? handle.read(upToCount: 1 << 16)).map { [UInt8]($0) } ?? [] }
            guard let line = try csv.next() else {
                throw DataFileError(message: "\(displayName) holds no rows", help: nil)
            }
            // DataFiles.csv's header rule: a header when no cell is a number (or a class name) or empty.
            if (0 ..< csv.count).allSatisfy({ !csv.cell($0).isEmpty && Self.value(csv, $0, names) == nil }) {
                header = try (0 ..< csv.count).map { (k: Int) throws(DataFileError) in try csv.text(k) }
            }
            width = csv.count
            if header == nil {
                firstRowLine = line
                firstRow = try Self.parse(csv, line: line, width: width, names: names)
            }
            records = csv
        }
        if let expected, width != expected {
            throw DataFileError(message: "\(displayName) has \(width) values per row, but the model reads \(expected)",
                                help: "give one row per sample with the model's \(expected) input values" + (header == nil ? "" : " (a header row is allowed)"))
        }
    }

    deinit { if handle !== FileHandle.standardInput { try? handle.close() } }

    /// Reads up to `maxRows` rows into `out` (row-major, replaced); returns the rows read, 0 at the end.
    public func next(maxRows: Int, into out: inout [Float]) throws(DataFileError) -> Int {
        out.removeAll(keepingCapacity: true)
        batchLines.removeAll(keepingCapacity: true)
        var rows = 0
        switch format {
        case .csv:
            if let firstRow {
                out += firstRow
                batchLines.append(firstRowLine)
                self.firstRow = nil
                rows = 1
            }
            while rows < maxRows, let line = try records.next() {
                out += try Self.parse(records, line: line, width: width, names: names)
                batchLines.append(line)
                rows += 1
            }
        case .npy(let descr, let total, let itemSize):
            let count = min(maxRows, total - rowsRead)
            guard count > 0 else { return 0 }
            let want = count * width * itemSize
            let data = (try? handle.read(upToCount: want)) ?? Data()
            guard data.count == want else {
                throw DataFileError(message: "\(name) declares \(total) rows but ends after \(rowsRead + data.count / max(width * itemSize, 1))", help: nil)
            }
            let start = out.count
            data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
                for i in 0 ..< count * width {
                    switch descr {
                    case "<f4": out.append(Float(bitPattern: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian))
                    case "<f8": out.append(Float(Double(bitPattern: bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian)))
                    case "<i4": out.append(Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))))
                    default: out.append(Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))))
                    }
                }
            }
            if let bad = out[start...].firstIndex(where: { !$0.isFinite }) {
                let i = bad - start
                throw DataFileError(message: "\(name): row \(rowsRead + i / width), column \(i % width) is not finite", help: nil)
            }
            rows = count
        }
        rowsRead += rows
        lastBatchRows = rows
        return rows
    }

    /// Where a value of the last batch is, for a message: `file:line:field` for CSV, `file: row R,
    /// column C` for .npy (both counted from 1).
    public func place(ofBatchRow row: Int, column: Int) -> String {
        if row < batchLines.count { return "\(name):\(batchLines[row]):\(column + 1)" }
        return "\(name): row \(rowsRead - lastBatchRows + row + 1), column \(column + 1)"
    }

    /// Cell k of the current record as a value: a number (unquoted), or the index of a class name.
    private static func value(_ records: CSVRecords, _ k: Int, _ names: [Int: [String: Int]]) -> Float? {
        let cell = records.cell(k)
        if !records.cells[k].quoted, let v = DataFiles.decimal(cell), v.isFinite { return Float(v) }
        return names[k].flatMap { names in String(validating: cell, as: UTF8.self).flatMap { names[$0] } }.map(Float.init)
    }

    private static func parse(_ records: CSVRecords, line: Int, width: Int, names: [Int: [String: Int]]) throws(DataFileError) -> [Float] {
        guard records.count == width else {
            throw DataFileError(message: "\(records.name):\(line):\(min(records.count, width) + 1): the row has \(records.count) values, but the first row has \(width)",
                                help: "give every row the same number of values")
        }
        var row: [Float] = []
        row.reserveCapacity(width)
        for c in 0 ..< width {
            guard let v = value(records, c, names) else {
                let cell = try records.text(c)
                throw DataFileError(message: "\(records.name):\(line):\(c + 1): \(DataFiles.notANumber(DNNCore.Format.printable(cell)))" + (names[c] == nil ? "" : " or a class name"),
                                    help: names[c].map { "the classes are " + $0.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", ") })
            }
            row.append(v)
        }
        return row
    }
}

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
