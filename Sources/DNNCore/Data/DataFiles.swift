// Data matrices from files beside the spec: CSV (a header row of names, or none) and NumPy .npy
// (float32, float64, int32, int64, C order). A bad cell, a ragged row, a missing column or a short
// .npy names the file, the row and the column, so the spec's diagnostic can say exactly where.

import Foundation

public struct DataFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var help: String?

    public init(message: String, help: String?) {
        self.message = message
        self.help = help
    }

    /// The message, then its help on a line of its own, for a command-line error.
    public var description: String { message + (help.map { "\n  help: \($0)" } ?? "") }
}

/// A table read from a file: numbers, or text where a cell is not a number (class names).
public struct DataTable: Sendable {
    public var rows: Int
    public var columns: Int
    /// Row-major cells; nil where the cell is text. Empty when `floats` holds the cells.
    public var numbers: [Double?]
    /// A float32 .npy file's cells as read, every one a number: no Double? per cell, which would take
    /// four times the file's size in memory.
    public var floats: [Float]? = nil
    public var texts: [String]
    public var header: [String]?
    /// For a CSV file: the line of each row, and the (1-based) field of each column, for messages.
    public var rowLines: [Int] = []
    public var columnFields: [Int] = []

    /// Cell i (row-major): its number, or nil for text.
    public func number(_ i: Int) -> Double? { floats.map { Double($0[i]) } ?? numbers[i] }

    /// The first cell that is text, if any.
    public var firstText: Int? { floats == nil ? numbers.firstIndex(where: { $0 == nil }) : nil }
}

public enum DataFiles {
    /// Files larger than this are refused before they are read.
    public static let maxBytes = 1 << 30
    /// A CSV field longer than this is refused: no number or class name needs it.
    public static let maxFieldLength = 4096

    public static func read(_ path: String, displayName: String) throws(DataFileError) -> DataTable {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw DataFileError(message: "cannot read \(displayName): no such file", help: "paths are relative to the spec's folder")
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int, size > maxBytes {
            throw DataFileError(message: "\(displayName) is larger than 1 GiB", help: nil)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataFileError(message: "cannot read \(displayName): permission denied or unreadable", help: nil)
        }
        if path.lowercased().hasSuffix(".npy") {
            let table = data.withUnsafeBytes { raw in Result { () throws(DataFileError) in try npy(raw, displayName) } }
            return try table.get()
        }
        if path.lowercased().hasSuffix(".csv") { return try csv([UInt8](data), displayName) }
        throw DataFileError(message: "\(displayName) is neither .csv nor .npy", help: "give the file a .csv or .npy name")
    }

    /// Comma-separated values: a first row with any non-number is a header. Double quotes may
    /// enclose a cell ("" is a quote). Every row must have the header's (or the first row's) width.
    static func csv(_ bytes: [UInt8], _ name: String) throws(DataFileError) -> DataTable {
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw DataFileError(message: "\(name) is not UTF-8 text", help: nil)
        }
        var records: [[String]] = []
        var lineNumbers: [Int] = []
        var line = 1
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            defer { line += 1 }
            let row = raw.hasSuffix("\r") ? raw.dropLast() : raw[...]
            if row.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            var cells: [String] = [], cell = "", quoted = false, wasQuoted = false
            var chars = row.makeIterator()
            while let c = chars.next() {
                if cell.count > maxFieldLength {
                    throw DataFileError(message: "\(name):\(line):\(cells.count + 1): a field longer than \(maxFieldLength) characters",
                                        help: "dnnc reads numbers and class names; check the delimiter and the quotes")
                }
                if quoted {
                    if c == "\"" {
                        quoted = false
                    } else {
                        cell.append(c)
                    }
                } else if c == "\"" {
                    if wasQuoted { cell.append("\"") }
                    quoted = true
                    wasQuoted = true
                } else if c == "," {
                    cells.append(cell)
                    cell = ""
                    wasQuoted = false
                } else {
                    cell.append(c)
                }
            }
            if quoted { throw DataFileError(message: "\(name):\(line):\(cells.count + 1): a quoted field is not closed", help: "close it with \"") }
            cells.append(cell)
            records.append(cells.map { $0.trimmingCharacters(in: .whitespaces) })
            lineNumbers.append(line)
        }
        guard let first = records.first else { throw DataFileError(message: "\(name) holds no rows", help: nil) }
        let hasHeader = first.contains { Double($0) == nil }
        let width = first.count
        let body = hasHeader ? Array(records.dropFirst()) : records
        let bodyLines = hasHeader ? Array(lineNumbers.dropFirst()) : lineNumbers
        guard !body.isEmpty else { throw DataFileError(message: "\(name) has a header but no rows", help: nil) }
        if width == 1, first[0].contains(";") || first[0].contains("\t") {
            throw DataFileError(message: "\(name) has one column per row", help: "dnnc reads comma-separated values; this file seems to use another delimiter")
        }
        var numbers: [Double?] = []
        var texts: [String] = []
        numbers.reserveCapacity(body.count * width)
        for (r, cells) in body.enumerated() {
            guard cells.count == width else {
                throw DataFileError(message: "\(name):\(bodyLines[r]):\(min(cells.count, width) + 1): the row has \(cells.count) values, but the \(hasHeader ? "header" : "first row") has \(width)",
                                    help: "give every row the same number of values")
            }
            for (c, cell) in cells.enumerated() {
                let value = cell.isEmpty ? nil : Double(cell)
                if let value, !value.isFinite {
                    throw DataFileError(message: "\(name):\(bodyLines[r]):\(c + 1): `\(cell)` is not a finite number", help: nil)
                }
                numbers.append(value)
                texts.append(cell)
            }
        }
        return DataTable(rows: body.count, columns: width, numbers: numbers, texts: texts, header: hasHeader ? first : nil,
                         rowLines: bodyLines, columnFields: Array(1...width))
    }

    /// NumPy's .npy format, version 1 to 3: magic, version, header length, a Python dict literal
    /// {'descr': '<f4', 'fortran_order': False, 'shape': (N, ...)}, then the data.
    static func npy(_ bytes: [UInt8], _ name: String) throws(DataFileError) -> DataTable {
        try bytes.withUnsafeBytes { raw in Result { () throws(DataFileError) in try npy(raw, name) } }.get()
    }

    /// Where a .npy file's header text starts and how long it is, from the file's first 12 bytes (or
    /// fewer): the magic, the version, then the length in 2 bytes (version 1) or 4 (versions 2 and 3).
    static func npyPreamble(_ bytes: [UInt8], _ name: String) throws(DataFileError) -> (start: Int, length: Int) {
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw DataFileError(message: "\(name) is not a .npy file (no \\x93NUMPY magic)", help: nil)
        }
        if bytes[6] == 1 { return (10, Int(bytes[8]) | Int(bytes[9]) << 8) }
        guard bytes.count >= 12 else { throw DataFileError(message: "\(name) is cut short in its header", help: nil) }
        return (12, Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24)
    }

    /// A .npy file's header: its dtype, rows, values per row, bytes per value and where the data starts.
    /// With `checkSize`, `bytes` is the whole file and must hold all the values the header declares.
    static func npyHeader(_ bytes: UnsafeRawBufferPointer, _ name: String, checkSize: Bool)
        throws(DataFileError) -> (descr: String, rows: Int, columns: Int, itemSize: Int, dataStart: Int, dims: [Int]) {
        let (start, headerLength) = try npyPreamble(Array(bytes.prefix(12)), name)
        guard bytes.count >= start + headerLength, let header = String(bytes: bytes[start ..< start + headerLength], encoding: .ascii) else {
            throw DataFileError(message: "\(name) is cut short in its header", help: nil)
        }
        let parsed = try NpyHeader.parse(header, file: name)
        if parsed.fortranOrder {
            throw DataFileError(message: "\(name) is in Fortran order", help: "save it with numpy.ascontiguousarray(a)")
        }
        let descr = parsed.descr, dims = parsed.shape
        guard let rows = dims.first else { throw DataFileError(message: "\(name) holds a scalar, not rows", help: nil) }
        var columns = 1
        for d in dims.dropFirst() {
            let (product, overflow) = columns.multipliedReportingOverflow(by: d)
            guard !overflow else { throw DataFileError(message: "\(name)'s shape overflows", help: nil) }
            columns = product
        }
        let width: Int
        switch descr {
        case "<f4", "<i4": width = 4
        case "<f8", "<i8": width = 8
        default:
            throw DataFileError(message: "\(name) holds `\(descr)` values", help: "dnnc reads little-endian float32, float64, int32 and int64 (<f4, <f8, <i4, <i8)")
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        let (size, sizeOverflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow, !sizeOverflow else { throw DataFileError(message: "\(name)'s shape \(dims) overflows", help: nil) }
        let dataStart = start + headerLength
        guard !checkSize || bytes.count - dataStart >= size else {
            throw DataFileError(message: "\(name) declares shape \(dims) but holds only \((bytes.count - dataStart) / width) values", help: nil)
        }
        return (descr, rows, columns, width, dataStart, dims)
    }

    static func npyHeader(_ bytes: [UInt8], _ name: String, checkSize: Bool)
        throws(DataFileError) -> (descr: String, rows: Int, columns: Int, itemSize: Int, dataStart: Int, dims: [Int]) {
        try bytes.withUnsafeBytes { raw in Result { () throws(DataFileError) in try npyHeader(raw, name, checkSize: checkSize) } }.get()
    }

    static func npy(_ bytes: UnsafeRawBufferPointer, _ name: String) throws(DataFileError) -> DataTable {
        let (descr, rows, columns, width, dataStart, _) = try npyHeader(bytes, name, checkSize: true)
        let count = rows * columns
        if descr == "<f4" {
            let floats = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for i in 0..<count {
                    buffer[i] = Float(bitPattern: bytes.loadUnaligned(fromByteOffset: dataStart + i * 4, as: UInt32.self).littleEndian)
                }
                initialized = count
            }
            if let bad = floats.firstIndex(where: { !$0.isFinite }) {
                throw DataFileError(message: "\(name): value \(bad) (row \(bad / max(columns, 1)), column \(bad % max(columns, 1))) is not finite", help: nil)
            }
            return DataTable(rows: rows, columns: columns, numbers: [], floats: floats, texts: [], header: nil)
        }
        var numbers = [Double?](repeating: nil, count: count)
        for i in 0..<count {
            let offset = dataStart + i * width
            switch descr {
            case "<f8": numbers[i] = Double(bitPattern: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian)
            case "<i4": numbers[i] = Double(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
            default: numbers[i] = Double(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
            }
        }
        if let bad = numbers.firstIndex(where: { !($0!.isFinite) }) {
            throw DataFileError(message: "\(name): value \(bad) (row \(bad / max(columns, 1)), column \(bad % max(columns, 1))) is not finite", help: nil)
        }
        return DataTable(rows: rows, columns: columns, numbers: numbers, texts: [], header: nil)
    }
}
