// An image data set (`data.train: {images: …}`): a folder with one subfolder per class, as Keras's
// image_dataset_from_directory reads, or a CSV list of image paths and targets. Its images are decoded
// (ImageFiles.swift) into the model's [C, H, W] on every core, each into its own row, so the rows are
// the same bytes whatever the thread count.

import Foundation
import Dispatch
import DNNSyntax

/// One image of a set: its canonical path, its path as shown (relative to the spec's folder), and its
/// target: a class name (a folder's) or a list's target cell.
public struct ImageEntry: Sendable {
    public var path: String
    public var shown: String
    public var target: TableCell

    public init(path: String, shown: String, target: TableCell) {
        self.path = path
        self.shown = shown
        self.target = target
    }
}

/// The images a set names, in order: a folder's sorted by class, then by path within the class.
public struct ImageListing: Sendable {
    public var entries: [ImageEntry]
    /// A folder's class names, its subfolders sorted (one without images among them); nil for a list.
    public var classes: [String]?
    /// A folder's files named as images of a format dnnc does not read (BMP, GIF, …), as shown, sorted:
    /// skipped, and reported (W0369).
    public var unread: [String] = []

    public init(entries: [ImageEntry], classes: [String]?) {
        self.entries = entries
        self.classes = classes
    }
}

/// A set's images as the model reads them, with what `dnnc check` reports about them.
public struct ImageRead: Sendable {
    /// One row per image, [C, H, W] values in [0, 1]; `npyShape` is [C, H, W].
    public var inputs: DataTable
    /// One row per image: its class name, or the list's target cell.
    public var targets: DataTable
    /// Each image's own size and channels, before it was made the model's.
    public var sizes: [(width: Int, height: Int, channels: Int)]
    /// Files that did not decode: their shown path and why.
    public var failures: [(shown: String, message: String)]
    /// A folder's class names (ImageListing.classes).
    public var classes: [String]?
    /// The images, in row order.
    public var entries: [ImageEntry]

    /// Each image's path as shown.
    public var shown: [String] { entries.map(\.shown) }
}

public enum ImageSet {
    /// The images of a folder of class subfolders. Files that are not images (by name) and hidden
    /// files are skipped, as Keras does; a class subfolder's own subfolders are searched too.
    public static func folder(_ path: String, shown: String, root: String?) throws(DataFileError) -> ImageListing {
        let manager = FileManager.default
        let classes = ((try? manager.contentsOfDirectory(atPath: path)) ?? []).filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".") && manager.fileExists(atPath: path + "/" + name, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
        guard !classes.isEmpty else {
            throw DataFileError(message: "\(shown) has no class subfolders", help: "put each class's images in a subfolder named after the class: \(shown)/cat/1.png, \(shown)/dog/1.png")
        }
        var entries: [ImageEntry] = [], unread: [String] = []
        for name in classes {
            let folder = path + "/" + name
            let files = images(under: folder)
            unread += files.unread.map { "\(shown)/\(name)/\($0)" }
            for relative in files.read {
                let shownPath = "\(shown)/\(name)/\(relative)"
                guard let canonical = FilePolicy.canonical(folder + "/" + relative) else { continue }
                if let root, !FilePolicy.isInside(canonical, root: root) {
                    throw DataFileError(message: "`\(shownPath)` leads to \(canonical), outside the project root \(root)",
                                        help: "keep data inside the project, or pass --allow-outside-root")
                }
                try FilePolicy.checkRegular(canonical, shown: shownPath)
                entries.append(ImageEntry(path: canonical, shown: shownPath, target: .text(name)))
            }
        }
        guard !entries.isEmpty else {
            throw DataFileError(message: "\(shown)'s class subfolders hold no images"
                                    + (unread.isEmpty ? "" : "; " + unreadSummary(unread, in: shown)),
                                help: "dnnc reads .png, .jpg and .jpeg files")
        }
        var listing = ImageListing(entries: entries, classes: classes)
        listing.unread = unread
        return listing
    }

    /// "3 files in pics are images of a format dnnc does not read (pics/a/x.bmp)": what check, evaluate
    /// and predict say of a folder's `unread` files (given as shown), each adding what skipping them means.
    public static func unreadSummary(_ unread: [String], in folder: String) -> String {
        "\(unread.count) file\(unread.count == 1 ? " in \(folder) is an image" : "s in \(folder) are images") of a format dnnc does not read (\(unread.first ?? ""))"
    }

    /// The image files under a folder, at any depth, as paths relative to it, sorted: those dnnc reads,
    /// and those named as images of another format (`ImageFiles.isOtherImageName`); hidden files and
    /// folders are skipped.
    public static func images(under folder: String) -> (read: [String], unread: [String]) {
        let visible = (FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []).filter { relative in
            !relative.split(separator: "/").contains { $0.hasPrefix(".") }
        }.sorted()
        let name = { (relative: String) in (relative as NSString).lastPathComponent }
        return (visible.filter { ImageFiles.isImageName(name($0)) }, visible.filter { ImageFiles.isOtherImageName(name($0)) })
    }

    /// The images a CSV file lists: a path column (relative to the file's folder) and a target column.
    public static func list(_ table: DataTable, csvPath: String, shown: String, pathColumn: Int, targetColumn: Int,
                            allowOutsideRoot: Bool) throws(DataFileError) -> ImageListing {
        let folder = (shown as NSString).deletingLastPathComponent
        var entries: [ImageEntry] = []
        for r in 0 ..< table.rows {
            guard case .text(let written) = table.cell(r * table.columns + pathColumn) else {
                throw DataFileError(message: "\(table.place(r, pathColumn, shown)): an image path must be text", help: nil)
            }
            let target = table.cell(r * table.columns + targetColumn)
            if case .missing = target {
                throw DataFileError(message: "\(table.place(r, targetColumn, shown)): the target is empty", help: "give every image a target")
            }
            let path: String
            do {
                path = try FilePolicy.resolve(written, specPath: csvPath, allowOutsideRoot: allowOutsideRoot)
            } catch {
                throw DataFileError(message: "\(table.place(r, pathColumn, shown)): \(error.message)", help: "image paths are relative to the list's folder")
            }
            entries.append(ImageEntry(path: path, shown: folder.isEmpty ? written : folder + "/" + written, target: target))
        }
        return ImageListing(entries: entries, classes: nil)
    }

    /// Decodes every image of a listing into the model's [channels, height, width]; with `headersOnly`
    /// (a streamed set), reads only each file's header: its size and channels, and whether it is one.
    public static func read(_ listing: ImageListing, shape: [Int], headersOnly: Bool = false) -> ImageRead {
        let (channels, height, width) = (shape[0], shape[1], shape[2])
        let n = listing.entries.count, size = channels * height * width
        var floats = [Float](repeating: 0, count: headersOnly ? 0 : n * size)
        // Each image writes its own slot of these, so the threads share nothing.
        nonisolated(unsafe) let sizes = UnsafeMutableBufferPointer<(width: Int, height: Int, channels: Int)>.allocate(capacity: n)
        nonisolated(unsafe) let failures = UnsafeMutableBufferPointer<String?>.allocate(capacity: n)
        sizes.initialize(repeating: (0, 0, 0))
        failures.initialize(repeating: nil)
        defer { sizes.deallocate(); failures.deallocate() }
        floats.withUnsafeMutableBufferPointer { rows in
            nonisolated(unsafe) let rows = rows
            DispatchQueue.concurrentPerform(iterations: n) { i in
                let entry = listing.entries[i]
                do throws(DataFileError) {
                    let bytes = try ImageFiles.contents(entry.path)
                    if headersOnly {
                        sizes[i] = try ImageFiles.header(bytes)
                        return
                    }
                    let image = try ImageFiles.decode(bytes)
                    sizes[i] = (image.width, image.height, image.channels)
                    ImageFiles.sample(image, channels: channels, height: height, width: width, into: rows.baseAddress! + i * size)
                } catch {
                    failures[i] = error.message
                }
            }
        }
        let targets = listing.entries.map(\.target)
        var numbers: [Double?] = [], texts: [String] = []
        for cell in targets {
            switch cell {
            case .number(let x): numbers.append(x); texts.append("")
            case .text(let s): numbers.append(nil); texts.append(s)
            case .missing: numbers.append(nil); texts.append("")
            }
        }
        return ImageRead(
            inputs: DataTable(rows: n, columns: size, numbers: [], floats: headersOnly ? nil : floats, texts: [], header: nil, npyShape: shape, pixelMax: ImageFiles.pixelMax,
                              streamed: headersOnly),
            targets: DataTable(rows: n, columns: 1, numbers: numbers, texts: texts.contains(where: { !$0.isEmpty }) ? texts : [], header: nil),
            sizes: Array(sizes),
            failures: (0 ..< n).compactMap { i in failures[i].map { (listing.entries[i].shown, $0) } },
            classes: listing.classes, entries: listing.entries)
    }
}

/// A training set read from disk a batch at a time (`stream: true`): an image set's files, or a .npy
/// file's rows. Each reads its rows as the in-memory path reads them, so a streamed run trains on the
/// same bytes.
public protocol SampleStream: Sendable {
    /// Rows, and values per row.
    var count: Int { get }
    var sampleSize: Int { get }
    /// Batches decoded ahead of the one training.
    var prefetch: Int { get }
    /// Reads rows (from 0) into consecutive samples at `out`, on the calling thread; a file that cannot
    /// be read is an error naming it.
    func decode<Rows: Collection<Int>>(_ rows: Rows, into out: UnsafeMutablePointer<Float>) throws(DataFileError)
    /// Asks the kernel to start reading these rows' bytes (posix_fadvise WILLNEED), so that reads from
    /// a cold cache overlap; the loader calls it for the batch after the one it decodes.
    func willRead<Rows: Collection<Int>>(_ rows: Rows)
    /// The stream of those rows only, in that order (a validation split's training rows).
    func subset(_ rows: [Int]) -> any SampleStream
    /// What a resumed run must find again: the files' paths and sizes.
    var fingerprint: String { get }
}

/// A training image set read from disk a batch at a time: the images in row order, decoded as
/// in-memory sets decode them.
public struct ImageStream: SampleStream {
    public var entries: [ImageEntry]
    /// model.input, [C, H, W].
    public var shape: [Int]
    /// Batches decoded ahead of the one training.
    public var prefetch: Int

    public init(entries: [ImageEntry], shape: [Int], prefetch: Int) {
        self.entries = entries
        self.shape = shape
        self.prefetch = prefetch
    }

    public var sampleSize: Int { shape.reduce(1, *) }
    public var count: Int { entries.count }

    public func subset(_ rows: [Int]) -> any SampleStream {
        ImageStream(entries: rows.map { entries[$0] }, shape: shape, prefetch: prefetch)
    }

    /// Decodes the images of `rows` (indices into `entries`) into consecutive samples at `out`, on the
    /// calling thread. A file that cannot be read or decoded is an error naming it.
    public func decode<Rows: Collection<Int>>(_ rows: Rows, into out: UnsafeMutablePointer<Float>) throws(DataFileError) {
        for (k, row) in rows.enumerated() {
            let entry = entries[row]
            do throws(DataFileError) {
                let image = try ImageFiles.decode(try ImageFiles.contents(entry.path))
                ImageFiles.sample(image, channels: shape[0], height: shape[1], width: shape[2], into: out + k * sampleSize)
            } catch {
                throw DataFileError(message: "\(entry.shown): \(error.message)", help: "the file changed after the run started; replace it, or remove it and start again")
            }
        }
    }

    public func willRead<Rows: Collection<Int>>(_ rows: Rows) {
        for row in rows {
            let fd = open(entries[row].path, O_RDONLY)
            guard fd >= 0 else { continue }
            _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_WILLNEED))
            close(fd)
        }
    }

    /// The files' paths and sizes, for the training hash: what a resumed run must find again.
    public var fingerprint: String {
        entries.map { "\($0.shown)\t\(DataFiles.fileSize($0.path) ?? -1)" }.joined(separator: "\n")
    }
}
