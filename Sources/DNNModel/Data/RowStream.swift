// Rows read a batch at a time from CSV or .npy, and written the same way, so that `dnnc predict` and
// `dnnc evaluate` handle a file of any length in bounded memory. The formats are DataFiles.swift's:
// CSV cut into cells by CSVRecords, with an optional header row (DataFiles.csv's rule: no cell a number,
// a class name or empty), .npy in C order.

import Foundation
import DNNSyntax

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
        case npy(type: NpyType, rows: Int)
    }

    // CSV state: the records, and the values of a first row that was data, not a header.
    private var records: CSVRecords
    private var firstRow: [Float]?
    private var firstRowLine = 0
    /// Per column read: class names that stand for their index (a classifier's target column).
    private let names: [Int: [String: Int]]
    /// For a CSV read by header names: the file's column of each value read, and the file's width.
    private var selection: [Int]? = nil
    private var fileWidth = 0
    /// The training encoder of the first columns read (categories, empty cells), when the model has one.
    private let encoder: TabularEncoder?
    /// Per encoded column: the cells whose category the training rows never held (the unknown slot).
    public private(set) var unseen: [Int] = []

    /// Opens a CSV (any other name, or stdin) or .npy file, expecting `width` values per row when given.
    /// `names` maps text cells of a column to numbers (class names in a target column). `columns`: the
    /// header names the model reads, in its order; a CSV with a header row is read by them (its columns
    /// in any order, others ignored, a missing one an error), one without is read by position.
    /// `encoder`: the model's input encoding, which reads the first `encoder.columns` of `columns` (a
    /// CSV with a header only) and turns them into `encoder.width` values.
    public init(path: String?, displayName: String, width expected: Int?, names: [Int: [String: Int]] = [:],
                columns: [String]? = nil, encoder: TabularEncoder? = nil) throws(DataFileError) {
        name = displayName
        self.names = names
        self.encoder = encoder
        unseen = [Int](repeating: 0, count: encoder?.columns.count ?? 0)
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
            let info = try DataFiles.npyHeader(reading: handle, displayName, fileSize: nil)
            if encoder != nil {
                throw DataFileError(message: "\(displayName) is a .npy array, but the model reads a table's columns by name (categories, empty cells)",
                                    help: "give a CSV file with the training file's header row")
            }
            width = info.columns
            format = .npy(type: info.type, rows: info.rows)
            try? handle.seek(toOffset: UInt64(info.dataStart))
            records = CSVRecords(name: displayName, bytes: [])
        } else {
            format = .csv
            var csv = CSVRecords(name: displayName, bytes: []) { [handle] in (try? handle.read(upToCount: 1 << 16)).map { [UInt8]($0) } ?? [] }
            guard let line = try csv.next() else {
                throw DataFileError(message: "\(displayName) holds no rows", help: nil)
            }
            // DataFiles.csv's header rule: a header when no cell is a number (or a class name) or empty.
            if (0 ..< csv.count).allSatisfy({ !csv.cell($0).isEmpty && Self.value(csv, $0, names[$0]) == nil }) {
                header = try (0 ..< csv.count).map { (k: Int) throws(DataFileError) in try csv.text(k) }
            }
            fileWidth = csv.count
            if let header, let columns {
                var chosen: [Int] = []
                for column in columns {
                    let found = header.indices.filter { header[$0] == column }
                    guard found.count == 1 else {
                        let guess = Suggestions.didYouMean(column, among: header.filter { !columns.contains($0) })
                        throw DataFileError(message: found.isEmpty ? "\(displayName) has no column `\(column)`; the model reads " + columns.map { "`\($0)`" }.joined(separator: ", ")
                                                                  : "\(displayName)'s header names `\(column)` twice, so the column is ambiguous",
                                            help: found.isEmpty ? (guess ?? "its columns are " + header.map { "`\($0)`" }.joined(separator: ", ")) : "give the columns distinct names")
                    }
                    chosen.append(found[0])
                }
                selection = chosen
            }
            if let encoder, selection == nil {
                throw DataFileError(message: "\(displayName) has no header row, but the model reads its columns by name: " + encoder.columns.prefix(8).map { "`\($0.name)`" }.joined(separator: ", "),
                                    help: "give the file a header row naming its columns, as the training file's does")
            }
            width = (selection?.count ?? csv.count) - (encoder?.columns.count ?? 0) + (encoder?.width ?? 0)
            records = csv
            if header == nil {
                firstRowLine = line
                firstRow = try parse(line: line)
            }
        }
        if let expected, width != expected {
            throw DataFileError(message: "\(displayName) has \(width) values per row, but the model reads \(expected)",
                                help: "give one row per sample with the model's \(expected) input values" + (header == nil ? "" : " (a header row is allowed)"))
        }
    }

    deinit { if handle !== FileHandle.standardInput { try? handle.close() } }

    /// The largest value a cell can hold when the rows are pixels (DataTable.pixelMax): 255 for a uint8
    /// .npy; nil for other files.
    public var pixelMax: Float? {
        if case .npy(let type, _) = format { type.pixelMax } else { nil }
    }

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
                out += try parse(line: line)
                batchLines.append(line)
                rows += 1
            }
        case .npy(let type, let total):
            let count = min(maxRows, total - rowsRead), itemSize = type.size
            guard count > 0 else { return 0 }
            let want = count * width * itemSize
            let data = (try? handle.read(upToCount: want)) ?? Data()
            guard data.count == want else {
                throw DataFileError(message: "\(name) declares \(total) rows but ends after \(rowsRead + data.count / max(width * itemSize, 1))", help: nil)
            }
            let start = out.count
            out += repeatElement(0, count: count * width)
            let bad = data.withUnsafeBytes { bytes in
                out.withUnsafeMutableBufferPointer { type.floats(bytes, at: 0, count: count * width, into: $0.baseAddress! + start) }
            }
            if let i = bad {
                throw DataFileError(message: "\(name): row \(rowsRead + i / width + 1), column \(i % width + 1) is not finite", help: nil)
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

    /// Cell k of the current record as a number: unquoted and decimal, finite.
    private static func number(_ records: CSVRecords, _ k: Int) -> Double? {
        guard !records.cells[k].quoted, let v = DataFiles.decimal(records.cell(k)), v.isFinite else { return nil }
        return v
    }

    /// Cell k of the current record as a value: a number, or the index of a class name.
    private static func value(_ records: CSVRecords, _ k: Int, _ names: [String: Int]?) -> Float? {
        if let v = number(records, k) { return Float(v) }
        return names.flatMap { names in String(validating: records.cell(k), as: UTF8.self).flatMap { names[$0] } }.map(Float.init)
    }

    /// The current record's values: every cell, or those `selection` names (file columns, in the order
    /// read), the first ones through the encoder when there is one; `names` is keyed by the value's place
    /// in the row read.
    private func parse(line: Int) throws(DataFileError) -> [Float] {
        guard records.count == fileWidth else {
            throw DataFileError(message: "\(records.name):\(line):\(min(records.count, fileWidth) + 1): the row has \(records.count) values, but the first row has \(fileWidth)",
                                help: "give every row the same number of values")
        }
        let read = selection ?? Array(0 ..< fileWidth)
        var row: [Float] = []
        row.reserveCapacity(width)
        var start = 0
        if let encoder {
            let records = self.records
            do {
                try encoder.encode({ (k: Int) -> TableCell in
                    let cell = records.cell(read[k])
                    if cell.isEmpty { return .missing }
                    return Self.number(records, read[k]).map(TableCell.number) ?? .text(String(decoding: cell, as: UTF8.self))
                }, into: &row, unseen: &unseen)
            } catch {
                throw DataFileError(message: "\(records.name):\(line):\(read[error.column] + 1): \(error.message)", help: error.help)
            }
            start = encoder.columns.count
        }
        for (k, c) in read.enumerated().dropFirst(start) {
            guard let v = Self.value(records, c, names[k]) else {
                let cell = try records.text(c)
                throw DataFileError(message: "\(records.name):\(line):\(c + 1): \(DataFiles.notANumber(DNNSyntax.Format.printable(cell)))" + (names[k] == nil ? "" : " or a class name"),
                                    help: names[k].map { "the classes are " + $0.sorted { $0.value < $1.value }.map(\.key).joined(separator: ", ") })
            }
            row.append(v)
        }
        return row
    }
}
