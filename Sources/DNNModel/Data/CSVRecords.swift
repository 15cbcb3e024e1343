// CSV records (RFC 4180), the one tokenizer behind every CSV dnnc reads: the data files of `run` and
// `check` (DataFiles.csv, the whole file at once) and the rows `predict` and `evaluate` stream from a
// file or stdin (RowReader, 64 KiB at a time). What a cell means (number, class name, header) is the
// caller's; this file decides only where cells begin and end:
//
// - Cells are separated by commas; LF, CR LF or a lone CR ends a record; a record with nothing but
//   spaces and tabs is skipped. A UTF-8 byte order mark at the start is skipped.
// - A cell may be enclosed in double quotes (after spaces); then it holds commas, line breaks and `""`
//   for a quote, and is taken as written. Text after the closing quote, a quote inside an unquoted
//   cell, and a quote left open are errors at that cell. Unquoted cells are trimmed of spaces and tabs.
// - A cell longer than `maxFieldLength` bytes, or a record longer than `maxRecordLength`, is an error:
//   memory stays bounded whatever the input.
// - Lines are counted from 1 (a quoted line break counts), so an error names file:line:field.

import Foundation
import DNNSyntax

package struct CSVRecords {
    /// The most bytes in a cell: no number or class name needs more.
    static let maxFieldLength = 4096
    /// The most bytes in a record, separators included.
    static let maxRecordLength = 16 << 20

    let name: String
    /// The cells of the record `next()` returned: their bytes, one after another, and per cell its
    /// range in them and whether it was quoted.
    private(set) var bytes: [UInt8] = []
    package private(set) var cells: [(range: Range<Int>, quoted: Bool)] = []
    /// The line that record starts on.
    private(set) var recordLine = 0

    private var buffer: [UInt8]
    private var position = 0
    private let more: () -> [UInt8]
    private var ended = false
    /// The line the next record starts on.
    private var line = 1

    /// Records from `bytes`, then from what `more` returns until it returns nothing.
    package init(name: String, bytes: [UInt8], more: @escaping () -> [UInt8] = { [] }) {
        self.name = name
        self.more = more
        buffer = bytes
        self.bytes.reserveCapacity(256)
        // Enough bytes to see a byte order mark, however the input arrives.
        while buffer.count < 3, case let chunk = more(), !chunk.isEmpty { buffer += chunk }
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    /// The cells' count in the current record.
    package var count: Int { cells.count }

    /// Cell k of the current record.
    package func cell(_ k: Int) -> ArraySlice<UInt8> { bytes[cells[k].range] }

    /// Cell k as text; an error when it is not UTF-8.
    func text(_ k: Int) throws(DataFileError) -> String {
        guard let text = String(validating: cell(k), as: UTF8.self) else {
            throw DataFileError(message: "\(name):\(recordLine):\(k + 1): the field is not UTF-8 text", help: "save the file as UTF-8")
        }
        return text
    }

    /// The next byte, refilling the buffer from `more`; nil at the end.
    private mutating func byte() -> UInt8? {
        if position == buffer.count {
            if ended { return nil }
            buffer = more()
            position = 0
            if buffer.isEmpty {
                ended = true
                return nil
            }
        }
        defer { position += 1 }
        return buffer[position]
    }

    /// Reads the next record that is not blank into `cells`; returns the line it starts on, nil at the end.
    package mutating func next() throws(DataFileError) -> Int? {
        while true {
            bytes.removeAll(keepingCapacity: true)
            cells.removeAll(keepingCapacity: true)
            let start = line
            var cellStart = 0, quoted = false, inQuotes = false, closed = false, blank = true, length = 0
            func fail(_ what: String, help: String? = nil) -> DataFileError {
                DataFileError(message: "\(name):\(start):\(cells.count + 1): \(what)", help: help)
            }
            func finishCell() {
                var lo = cellStart, hi = bytes.count
                if !quoted {
                    while lo < hi, bytes[lo] == 0x20 || bytes[lo] == 0x09 { lo += 1 }
                    while hi > lo, bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09 { hi -= 1 }
                }
                cells.append((lo ..< hi, quoted))
                cellStart = bytes.count
                quoted = false
                closed = false
            }
            func append(_ b: UInt8) throws(DataFileError) {
                bytes.append(b)
                if bytes.count - cellStart > Self.maxFieldLength {
                    throw fail("a field longer than \(Self.maxFieldLength) bytes", help: "dnnc reads numbers and class names; check the delimiter and the quotes")
                }
            }
            var atEnd = false
            while true {
                guard let b = byte() else {
                    atEnd = true
                    break
                }
                length += 1
                if length > Self.maxRecordLength {
                    throw fail("a record longer than \(Self.maxRecordLength) bytes", help: "check the line breaks and the quotes")
                }
                if inQuotes {
                    if b == 0x22 {
                        // `""` is a quote; a lone one closes the cell.
                        if let after = byte() {
                            if after == 0x22 {
                                try append(0x22)
                                continue
                            }
                            position -= 1
                        }
                        inQuotes = false
                        closed = true
                    } else {
                        if b == 0x0A { line += 1 }
                        try append(b)
                    }
                } else if b == 0x2C {
                    blank = false
                    finishCell()
                } else if b == 0x0A || b == 0x0D {
                    if b == 0x0D, let after = byte(), after != 0x0A { position -= 1 }
                    break
                } else if b == 0x22 {
                    guard !closed, bytes[cellStart...].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else {
                        throw fail("a quote inside a field", help: "enclose the whole cell in quotes, and write a quote inside it as \"\"")
                    }
                    bytes.removeSubrange(cellStart...)
                    inQuotes = true
                    quoted = true
                    blank = false
                } else if closed {
                    guard b == 0x20 || b == 0x09 else { throw fail("text after the closing quote", help: "enclose the whole cell in quotes") }
                } else {
                    if b != 0x20 && b != 0x09 { blank = false }
                    try append(b)
                }
            }
            if inQuotes { throw fail("a quoted field is not closed", help: "close it with \"") }
            line += 1
            if !blank {
                finishCell()
                recordLine = start
                return start
            }
            if atEnd { return nil }
        }
    }
}
