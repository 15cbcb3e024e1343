// Data matrices from files beside the spec: CSV (a header row of names, or none) and NumPy .npy
// (uint8, float32, float64, int32, int64, C order). A bad cell, a ragged row, a missing column or a short
// .npy names the file, the row and the column, so the spec's diagnostic can say exactly where.

import Foundation
import DNNSyntax

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
    /// A .npy file's shape after its first (row) dimension: [784], or [28, 28].
    public var npyShape: [Int]? = nil
    /// The largest value a cell can hold when the data is pixels: 255 for a uint8 .npy, 1 for images.
    public var pixelMax: Float? = nil
    /// A streamed image set's stand-in: rows and columns, no cells (ImageStream reads them).
    public var streamed = false
    /// For a CSV file: the line of each row, and the (1-based) field of each column, for messages.
    public var rowLines: [Int] = []
    public var columnFields: [Int] = []
    /// For a CSV file with a header: its line's number and text, for diagnostics at a header cell.
    public var headerLine: (number: Int, text: String)? = nil

    /// Pixels read at one scale (`pixelMax` 1: image files, v / 255; 255: a uint8 .npy, v) brought to
    /// another: a pixel is the same 8-bit value in both, and v / 255 is computed as the image decoder
    /// computes it, so the bytes of a PNG in a .npy read as the PNG does.
    public static func rescalePixels(_ values: inout [Float], from source: Float, to target: Float) {
        if target < source {
            let divisor = source / target
            for i in values.indices { values[i] /= divisor }
        } else if target > source {
            let factor = target / source
            for i in values.indices { values[i] *= factor }
        }
    }

    /// Cell i (row-major): its number, or nil for text.
    public func number(_ i: Int) -> Double? { floats.map { Double($0[i]) } ?? numbers[i] }

    /// The first cell that is text, if any.
    public var firstText: Int? { floats == nil ? numbers.firstIndex(where: { $0 == nil }) : nil }

    /// Cell i as a table cell: a number, text, or empty (missing).
    public func cell(_ i: Int) -> TableCell {
        if let x = number(i) { return .number(x) }
        let text = texts.isEmpty ? "" : texts[i]
        return text.isEmpty ? .missing : .text(text)
    }

    /// Where cell (r, c) is, for a message: `file:line:field` for a CSV, else `file, row r, column c`
    /// (both from 1).
    public func place(_ r: Int, _ c: Int, _ name: String) -> String {
        rowLines.isEmpty ? "\(name), row \(r + 1), column \(c + 1)" : "\(name):\(rowLines[r]):\(columnFields[c])"
    }
}

public enum DataFiles {
    /// Files larger than this are refused before they are read.
    public static let maxBytes = 1 << 30

    /// A file's size in bytes, nil where it cannot be known.
    static func fileSize(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? Int
    }

    public static func read(_ path: String, displayName: String) throws(DataFileError) -> DataTable {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw DataFileError(message: "cannot read \(displayName): no such file", help: "paths are relative to the spec's folder")
        }
        if let size = fileSize(path), size > maxBytes {
            throw DataFileError(message: "\(displayName) is larger than 1 GiB",
                                help: path.lowercased().hasSuffix(".npy") ? "stream the training inputs from it: `{file: \(displayName), stream: true}`" : nil)
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

    /// Comma-separated values, cut into cells by CSVRecords (RFC 4180 quoting), read in one pass:
    /// time linear in the file's size, and memory for the parsed values only (a text per cell is kept
    /// only when some cell is text). Every row must have the header's (or the first row's) width.
    ///
    /// The header rule (grammar/README.md, "Data files"): the first row is a header when none of its
    /// cells is a number or empty; otherwise it is data. So a first data row is never taken for a
    /// header (a typo such as `2.O` beside numbers is reported as a bad cell), and no row is dropped.
    /// A number is decimal: `[+-]digits[.digits][(e|E)[+-]digits]`, or with digits after the point
    /// only (`.5`), as the spec language reads numbers; hex floats, `nan` and `inf` are text, and a
    /// quoted cell is always text.
    package static func csv(_ bytes: [UInt8], _ name: String) throws(DataFileError) -> DataTable {
        var numbers: [Double?] = []
        var texts: [String] = [], keepTexts = false
        var header: [String]? = nil
        var width = 0, rows = 0
        var rowLines: [Int] = []
        var headerLine: (number: Int, text: String)? = nil
        var records = CSVRecords(name: name, bytes: bytes)
        var row: [(text: String, number: Double?)] = []
        while let line = try records.next() {
            row.removeAll(keepingCapacity: true)
            for k in 0 ..< records.count {
                let cell = records.cell(k)
                let number = records.cells[k].quoted ? nil : decimal(cell)
                if !records.cells[k].quoted, number.map({ !$0.isFinite }) ?? isNonFiniteWord(cell) {
                    throw DataFileError(message: "\(name):\(line):\(k + 1): `\(String(decoding: cell, as: UTF8.self))` is not a finite number", help: nil)
                }
                row.append((number == nil ? try records.text(k) : "", number))
            }
            if rowLines.isEmpty && header == nil {
                width = row.count
                if width == 1, row[0].text.contains(";") || row[0].text.contains("\t") {
                    throw DataFileError(message: "\(name) has one column per row", help: "dnnc reads comma-separated values; this file seems to use another delimiter")
                }
                if row.allSatisfy({ $0.number == nil && !$0.text.isEmpty }) {
                    header = row.map(\.text)
                    headerLine = (line, sourceLine(bytes, line))
                    continue
                }
            }
            guard row.count == width else {
                throw DataFileError(message: "\(name):\(line):\(min(row.count, width) + 1): the row has \(row.count) values, but the \(header != nil ? "header" : "first row") has \(width)",
                                    help: "give every row the same number of values")
            }
            for cell in row {
                if cell.number == nil, !keepTexts {
                    keepTexts = true
                    texts = [String](repeating: "", count: numbers.count)
                }
                numbers.append(cell.number)
                if keepTexts { texts.append(cell.text) }
            }
            rowLines.append(line)
            rows += 1
        }
        guard rows > 0 || header != nil else { throw DataFileError(message: "\(name) holds no rows", help: nil) }
        guard rows > 0 else { throw DataFileError(message: "\(name) has a header but no rows", help: nil) }
        return DataTable(rows: rows, columns: width, numbers: numbers, texts: texts, header: header,
                         rowLines: rowLines, columnFields: (0 ..< width).map { $0 + 1 }, headerLine: headerLine)
    }

    /// Line `number` (from 1) of a file's bytes, without its terminator or a byte order mark.
    static func sourceLine(_ bytes: [UInt8], _ number: Int) -> String {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0, line = 1
        while line < number, let newline = bytes[start...].firstIndex(of: 0x0A) { start = newline + 1; line += 1 }
        var end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.endIndex
        if end > start, bytes[end - 1] == 0x0D { end -= 1 }
        return String(decoding: bytes[start ..< min(end, start + 65536)], as: UTF8.self)
    }

    /// `inf`, `infinity` or `nan` with an optional sign, in any case: words other readers take for
    /// non-finite numbers, refused as such rather than read as text.
    static func isNonFiniteWord(_ s: ArraySlice<UInt8>) -> Bool {
        let word = String(decoding: s, as: UTF8.self).lowercased().trimmingPrefix(while: { $0 == "+" || $0 == "-" })
        return word == "inf" || word == "infinity" || word == "nan"
    }

    /// What is wrong with a text cell where a number belongs: it is empty, it is quoted (a quoted cell
    /// is text, whatever it holds), or it is not a number.
    public static func notANumber(_ text: String) -> String {
        if text.isEmpty { return "an empty field is not a number" }
        if number(text) != nil { return "`\"\(text)\"` is quoted, and a quoted cell is text, not a number" }
        return "`\(text)` is not a number"
    }

    /// A cell of text as a number by the grammar below, or nil: what every CSV reader in dnnc calls.
    public static func number(_ cell: String) -> Double? { decimal(Array(cell.utf8)[...]) }

    /// A decimal number in the CSV grammar above, or nil.
    package static func decimal(_ s: ArraySlice<UInt8>) -> Double? {
        var i = s.startIndex, digits = 0
        if i < s.endIndex, s[i] == 0x2B || s[i] == 0x2D { i += 1 }
        while i < s.endIndex, s[i] >= 0x30 && s[i] <= 0x39 { i += 1; digits += 1 }
        if i < s.endIndex, s[i] == 0x2E {
            i += 1
            while i < s.endIndex, s[i] >= 0x30 && s[i] <= 0x39 { i += 1; digits += 1 }
        }
        guard digits > 0 else { return nil }
        if i < s.endIndex, s[i] == 0x65 || s[i] == 0x45 {
            i += 1
            if i < s.endIndex, s[i] == 0x2B || s[i] == 0x2D { i += 1 }
            var exponent = 0
            while i < s.endIndex, s[i] >= 0x30 && s[i] <= 0x39 { i += 1; exponent += 1 }
            guard exponent > 0 else { return nil }
        }
        guard i == s.endIndex, s.count < 400 else { return nil }
        if let exact = exactDecimal(s) { return exact }
        return s.withUnsafeBufferPointer { buffer in
            withUnsafeTemporaryAllocation(of: CChar.self, capacity: buffer.count + 1) { text in
                for k in 0 ..< buffer.count { text[k] = CChar(bitPattern: buffer[k]) }
                text[buffer.count] = 0
                return strtod(text.baseAddress!, nil)
            }
        }
    }

    /// Powers of ten that a Double holds exactly.
    static let exactPowers: [Double] = (0...22).map { pow(10, Double($0)) }

    /// The common case without strtod (Clinger's fast path): at most 15 significant digits and a
    /// power of ten up to 22, where m · 10^e or m / 10^e is one correctly rounded operation on exact
    /// values, so the result is the same Double strtod gives. nil for anything else.
    package static func exactDecimal(_ s: ArraySlice<UInt8>) -> Double? {
        var i = s.startIndex, negative = false
        if s[i] == 0x2D { negative = true; i += 1 } else if s[i] == 0x2B { i += 1 }
        var mantissa: UInt64 = 0, digits = 0, scale = 0
        while i < s.endIndex, s[i] >= 0x30 && s[i] <= 0x39 {
            if mantissa != 0 || s[i] != 0x30 { digits += 1 }
            mantissa = mantissa &* 10 &+ UInt64(s[i] - 0x30)
            i += 1
        }
        if i < s.endIndex, s[i] == 0x2E {
            i += 1
            while i < s.endIndex, s[i] >= 0x30 && s[i] <= 0x39 {
                if mantissa != 0 || s[i] != 0x30 { digits += 1 }
                mantissa = mantissa &* 10 &+ UInt64(s[i] - 0x30)
                scale -= 1
                i += 1
            }
        }
        guard i == s.endIndex, digits <= 15 else { return nil }  // an exponent, or too many digits: strtod
        guard -scale < exactPowers.count else { return nil }
        let value = Double(mantissa) / exactPowers[-scale]
        return negative ? -value : value
    }

    /// NumPy's .npy format, version 1 to 3: magic, version, header length, a Python dict literal
    /// {'descr': '<f4', 'fortran_order': False, 'shape': (N, ...)}, then the data.
    package static func npy(_ bytes: [UInt8], _ name: String) throws(DataFileError) -> DataTable {
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
    /// With `fileSize` (`bytes.count` when `bytes` is the whole file), the file must hold all the values
    /// the header declares.
    static func npyHeader(_ bytes: UnsafeRawBufferPointer, _ name: String, fileSize: Int?)
        throws(DataFileError) -> (type: NpyType, rows: Int, columns: Int, dataStart: Int, dims: [Int]) {
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
        guard let type = NpyType(rawValue: descr) else {
            throw DataFileError(message: "\(name) holds `\(descr)` values", help: "dnnc reads uint8 and little-endian float32, float64, int32 and int64 (|u1, <f4, <f8, <i4, <i8)")
        }
        let width = type.size
        let (count, overflow) = rows.multipliedReportingOverflow(by: columns)
        let (size, sizeOverflow) = count.multipliedReportingOverflow(by: width)
        guard !overflow, !sizeOverflow else { throw DataFileError(message: "\(name)'s shape \(dims) overflows", help: nil) }
        let dataStart = start + headerLength
        if let fileSize, fileSize - dataStart < size {
            throw DataFileError(message: "\(name) declares shape \(dims) but holds only \(max(fileSize - dataStart, 0) / width) values", help: nil)
        }
        return (type, rows, columns, dataStart, dims)
    }

    package static func npyHeader(_ bytes: [UInt8], _ name: String, fileSize: Int?)
        throws(DataFileError) -> (type: NpyType, rows: Int, columns: Int, dataStart: Int, dims: [Int]) {
        try bytes.withUnsafeBytes { raw in Result { () throws(DataFileError) in try npyHeader(raw, name, fileSize: fileSize) } }.get()
    }

    /// The header of a .npy file open for reading, read from its start: the preamble, then the header
    /// text (up to 1 MiB). With `fileSize`, checked against it as above.
    static func npyHeader(reading handle: FileHandle, _ name: String, fileSize: Int?)
        throws(DataFileError) -> (type: NpyType, rows: Int, columns: Int, dataStart: Int, dims: [Int]) {
        try? handle.seek(toOffset: 0)
        let prefix = (try? handle.read(upToCount: 12)).map { [UInt8]($0) } ?? []
        let (start, length) = try npyPreamble(prefix, name)
        guard length < 1 << 20 else { throw DataFileError(message: "\(name) has a header of \(length) bytes; dnnc reads up to 1 MiB", help: nil) }
        try? handle.seek(toOffset: 0)
        let headerBytes = (try? handle.read(upToCount: start + length)).map { [UInt8]($0) } ?? []
        return try npyHeader(headerBytes, name, fileSize: fileSize)
    }

    static func npy(_ bytes: UnsafeRawBufferPointer, _ name: String) throws(DataFileError) -> DataTable {
        let (type, rows, columns, dataStart, dims) = try npyHeader(bytes, name, fileSize: bytes.count)
        let count = rows * columns
        if type == .float32 || type == .uint8 {
            // Float32 as it is; bytes (images' pixels) 0 to 255 as they are, scaled as data.normalize says.
            var bad: Int? = nil
            let floats = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                bad = type.floats(bytes, at: dataStart, count: count, into: buffer.baseAddress!)
                initialized = bad == nil ? count : 0
            }
            if let bad {
                throw DataFileError(message: "\(name): value \(bad) (row \(bad / max(columns, 1) + 1), column \(bad % max(columns, 1) + 1)) is not finite", help: nil)
            }
            return DataTable(rows: rows, columns: columns, numbers: [], floats: floats, texts: [], header: nil, npyShape: Array(dims.dropFirst()),
                             pixelMax: type.pixelMax)
        }
        var numbers = [Double?](repeating: nil, count: count)
        for i in 0..<count { numbers[i] = type.value(bytes, at: dataStart + i * type.size) }
        if let bad = numbers.firstIndex(where: { !($0!.isFinite) }) {
            throw DataFileError(message: "\(name): value \(bad) (row \(bad / max(columns, 1) + 1), column \(bad % max(columns, 1) + 1)) is not finite", help: nil)
        }
        return DataTable(rows: rows, columns: columns, numbers: numbers, texts: [], header: nil, npyShape: Array(dims.dropFirst()))
    }
}

/// A .npy file's value type (its header's `descr`), its size, and how a value reads: the one place that
/// knows them, for the in-memory reader, predict's rows and streamed inputs.
public enum NpyType: String, Sendable {
    case uint8 = "|u1", float32 = "<f4", float64 = "<f8", int32 = "<i4", int64 = "<i8"

    /// The largest value a cell can hold when the array is pixels (DataTable.pixelMax): 255 for uint8,
    /// whose values are read as they are; nil for the others.
    public var pixelMax: Float? { self == .uint8 ? 255 : nil }

    public var size: Int {
        switch self {
        case .uint8: 1
        case .float32, .int32: 4
        case .float64, .int64: 8
        }
    }

    /// The value at byte `offset`, as a Double (exact but for int64 beyond 2^53).
    @inline(__always)
    func value(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Double {
        switch self {
        case .uint8: Double(bytes[offset])
        case .float32: Double(Float(bitPattern: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian))
        case .float64: Double(bitPattern: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian)
        case .int32: Double(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))
        case .int64: Double(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self)))
        }
    }

    /// `count` values from byte `offset` into `out` as Float (the Float of `value`, as a DataMatrix
    /// holds it); the index of the first that is not finite, nil when all are. The type is looked at
    /// once per call, not once per value.
    func floats(_ bytes: UnsafeRawBufferPointer, at offset: Int, count: Int, into out: UnsafeMutablePointer<Float>) -> Int? {
        @inline(__always) func each(_ type: NpyType) -> Int? {
            for i in 0 ..< count {
                let v = Float(type.value(bytes, at: offset + i * type.size))
                guard v.isFinite else { return i }
                out[i] = v
            }
            return nil
        }
        switch self {
        case .uint8: return each(.uint8)
        case .float32: return each(.float32)
        case .float64: return each(.float64)
        case .int32: return each(.int32)
        case .int64: return each(.int64)
        }
    }
}

/// A .npy file's rows read from disk a batch at a time (`inputs: {file: x.npy, stream: true}`): only its
/// header is read before training, so the 1 GiB limit of files read whole does not apply. Each row is
/// converted as DataFiles.npy converts it.
public struct NpyStream: SampleStream {
    public var path: String
    public var shown: String
    public var type: NpyType
    public var dataStart: Int
    /// Values per row; the file's rows this stream reads, in order (nil: all of them, without an
    /// array of as many indices), and how many.
    public var sampleSize: Int
    public var rows: [Int]?
    public var count: Int
    public var prefetch: Int

    /// The file's row that row `r` of the stream is.
    public func fileRow(_ r: Int) -> Int { rows?[r] ?? r }

    /// Bytes per row in the file.
    var rowBytes: Int { sampleSize * type.size }

    public func subset(_ kept: [Int]) -> any SampleStream {
        var stream = self
        stream.rows = kept.map(fileRow)
        stream.count = kept.count
        return stream
    }

    public func decode<Rows: Collection<Int>>(_ wanted: Rows, into out: UnsafeMutablePointer<Float>) throws(DataFileError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DataFileError(message: "cannot read \(shown): \(String(cString: strerror(errno)))", help: nil) }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: rowBytes)
        for (k, r) in wanted.enumerated() {
            let row = fileRow(r)
            let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, rowBytes, off_t(dataStart + row * rowBytes)) }
            guard read == rowBytes else {
                throw DataFileError(message: "\(shown): row \(row + 1) cannot be read (the file is shorter than its header says; it changed after the run started)", help: nil)
            }
            if let bad = buffer.withUnsafeBytes({ type.floats($0, at: 0, count: sampleSize, into: out + k * sampleSize) }) {
                throw DataFileError(message: "\(shown): row \(row + 1), column \(bad + 1) is not a finite float32", help: nil)
            }
        }
    }

    /// Asks the kernel to start reading the rows' pages (posix_fadvise WILLNEED), so that a batch's
    /// reads from a cold cache are in flight together instead of one after another.
    public func willRead<Rows: Collection<Int>>(_ wanted: Rows) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return }
        defer { close(fd) }
        for r in wanted { _ = posix_fadvise(fd, off_t(dataStart + fileRow(r) * rowBytes), off_t(rowBytes), Int32(POSIX_FADV_WILLNEED)) }
    }

    public var fingerprint: String {
        "\(shown)\t\(DataFiles.fileSize(path) ?? -1)\t\(count)"
    }
}

extension DataFiles {
    /// A .npy file opened for streaming: its header read and checked against the file's size, a
    /// stand-in table of its shape (no cells), and the stream of its rows.
    public static func npyStream(_ path: String, displayName: String, prefetch: Int) throws(DataFileError) -> (DataTable, NpyStream) {
        guard path.lowercased().hasSuffix(".npy") else {
            throw DataFileError(message: "\(displayName) is not a .npy file; only .npy inputs and image sets stream", help: "read it into memory (leave out `stream`)")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DataFileError(message: "cannot read \(displayName)", help: nil) }
        defer { try? handle.close() }
        let size = fileSize(path) ?? 0
        let (type, rows, columns, dataStart, dims) = try npyHeader(reading: handle, displayName, fileSize: size)
        let table = DataTable(rows: rows, columns: columns, numbers: [], floats: nil, texts: [], header: nil, npyShape: Array(dims.dropFirst()),
                              pixelMax: type.pixelMax, streamed: true)
        return (table, NpyStream(path: path, shown: displayName, type: type, dataStart: dataStart, sampleSize: columns,
                                 rows: nil, count: rows, prefetch: prefetch))
    }
}
