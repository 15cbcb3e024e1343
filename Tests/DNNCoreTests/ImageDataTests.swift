// Image data sets: PNG and JPEG decoded and made model.input's [C, H, W] as PIL and torch make them
// (Fixtures/images, written by tools/make_image_fixtures.py), augmentations as torchvision applies them
// for the same draws, folders and lists read with their errors and warnings, and augmented training
// deterministic and exact under --resume.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

struct ImageDataTests {
    static let fixtures = Repo.path("Tests/DNNCoreTests/Fixtures/images")

    static func json(_ name: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixtures + "/" + name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
    }

    static func floats(_ value: Any?) -> [Float] { (value as? [NSNumber] ?? []).map(\.floatValue) }
    static func ints(_ value: Any?) -> [Int] { (value as? [NSNumber] ?? []).map(\.intValue) }

    @Test func everyKindOfFileDecodesAsPILAndTorchReadIt() throws {
        let cases = try Self.json("images.json")
        #expect(cases.count == 44)
        for c in cases {
            let file = try #require(c["file"] as? String), shape = Self.ints(c["shape"]), want = Self.floats(c["values"])
            let bytes = try #require(FileManager.default.contents(atPath: Self.fixtures + "/" + file))
            let image = try ImageFiles.decode([UInt8](bytes))
            var got = [Float](repeating: .nan, count: shape.reduce(1, *))
            got.withUnsafeMutableBufferPointer { ImageFiles.sample(image, channels: shape[0], height: shape[1], width: shape[2], into: $0.baseAddress!) }
            #expect(got.count == want.count)
            // Decoding and the channel conversion are exact; resizing computes PyTorch's float formula,
            // whose kernel may order the same four products differently: one float32 rounding apart.
            let resized = shape[1] != image.height || shape[2] != image.width
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
            #expect(resized ? worst <= 1e-6 : worst == 0, "\(file) as \(shape): largest difference \(worst)")
        }
    }

    @Test func augmentationsChangeASampleAsTorchvisionDoesForTheSameDraws() throws {
        let cases = try Self.json("augment.json")
        #expect(cases.count == 15)
        for c in cases {
            let spec = try #require(c["augmentation"] as? [String: Any]), kind = try #require(spec.keys.first)
            let augmentation: Augmentation
            switch kind {
            case "random_crop":
                let params = try #require(spec[kind] as? [String: Any]), size = Self.ints(params["size"])
                augmentation = .randomCrop(height: size[0], width: size[1], padding: (params["padding"] as? NSNumber)?.intValue ?? 0)
            case "flip": augmentation = .flip(horizontal: spec[kind] as? String == "horizontal")
            case "rotate": augmentation = .rotate(degrees: (spec[kind] as? NSNumber)?.doubleValue ?? 0)
            default: augmentation = .brightness((spec[kind] as? NSNumber)?.doubleValue ?? 0)
            }
            let shape = Self.ints(c["shape"]), drawn = (c["drawn"] as? [NSNumber] ?? []).map(\.doubleValue)
            var x = Self.floats(c["input"]), scratch = x
            x.withUnsafeMutableBufferPointer { x in
                scratch.withUnsafeMutableBufferPointer { scratch in
                    augmentation.transform(x.baseAddress!, channels: shape[0], height: shape[1], width: shape[2], drawn: drawn,
                                           scratch: scratch.baseAddress!, pixelMax: 1)
                }
            }
            #expect(x == Self.floats(c["output"]), "\(spec) drawing \(drawn)")
        }
    }

    @Test func drawsAreInTheirRangesAndFollowTheSeed() {
        var a = RandomStream(seed: 3, stream: RandomStream.augmentation), b = a
        for _ in 0 ..< 2000 {
            let crop = Augmentation.randomCrop(height: 6, width: 8, padding: 2).draw(&a, height: 6, width: 8)
            #expect((0...4).contains(crop[0]) && (0...4).contains(crop[1]))
            let angle = Augmentation.rotate(degrees: 15).draw(&a, height: 6, width: 8)[0]
            #expect(abs(angle) <= 15)
            let factor = Augmentation.brightness(1.5).draw(&a, height: 6, width: 8)[0]
            #expect(factor >= 0 && factor <= 2.5)
        }
        let first = Augmentation.rotate(degrees: 15).draw(&b, height: 6, width: 8)
        var c = RandomStream(seed: 3, stream: RandomStream.augmentation)
        #expect(Augmentation.rotate(degrees: 15).draw(&c, height: 6, width: 8) == first)
    }

    @Test func corruptAndUnknownFilesAreRefusedWithWhy() {
        #expect(throws: DataFileError.self) { try ImageFiles.decode([]) }
        #expect(throws: DataFileError.self) { try ImageFiles.decode(Array("not an image".utf8)) }
        let png = DiagnosticCode.grayPNG4x4
        for cut in [12, 30, png.count - 20] {
            #expect(throws: DataFileError.self, "a PNG cut at \(cut) bytes") { try ImageFiles.decode(Array(png.prefix(cut))) }
        }
        // A header declaring 2^20 × 2^20 pixels is refused before any pixel is allocated.
        var huge = png
        huge.replaceSubrange(16 ..< 24, with: [0, 0x10, 0, 0, 0, 0x10, 0, 0])
        #expect(throws: DataFileError.self) { try ImageFiles.decode(huge) }
        // A 16-bit gray PNG (bit depth 16 in its header; its data is never reached).
        var deep = png
        deep[24] = 16
        let crc = CRC32.checksum(deep[12 ..< 29])
        deep.replaceSubrange(29 ..< 33, with: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        #expect(throws: DataFileError(message: "it is a 16-bit PNG; dnnc reads 8-bit images", help: "convert it to 8 bits per channel")) { try ImageFiles.decode(deep) }
        let jpeg = FileManager.default.contents(atPath: Self.fixtures + "/rgb.jpg").map { [UInt8]($0) } ?? []
        #expect(throws: DataFileError.self, "a JPEG cut short") { try ImageFiles.decode(Array(jpeg.prefix(jpeg.count / 2))) }
        // A gAMA chunk (dropped before libpng reads the file), then the file cut short or a chunk whose
        // length runs past the end: still libpng's error, not a crash.
        let gamma = FileManager.default.contents(atPath: Self.fixtures + "/rgb-gamma.png").map { [UInt8]($0) } ?? []
        #expect(gamma.count > 60 && ImageFiles.withoutColorSpaceChunks(gamma).count == gamma.count - 16)
        for cut in [45, 60, gamma.count - 20] {
            #expect(throws: DataFileError.self, "a PNG with gAMA cut at \(cut) bytes") { try ImageFiles.decode(Array(gamma.prefix(cut))) }
        }
        var lying = gamma
        lying.replaceSubrange(49 ..< 53, with: [0x7F, 0xFF, 0xFF, 0xFF])   // the chunk after gAMA claims 2 GiB
        #expect(throws: DataFileError.self, "a chunk longer than the file") { try ImageFiles.decode(lying) }
    }

    /// A folder of class subfolders of tiny PNGs: `counts` images per class, a 4×4 gray picture each,
    /// made distinct by a value per image.
    static func folder(_ counts: [String: Int], in url: URL, name: String = "pics", color: Bool = false) throws {
        for (label, count) in counts {
            let folder = url.appendingPathComponent("\(name)/\(label)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for i in 0 ..< count {
                try Data(png(seed: label.hashValueStable &* 1000 &+ i, color: color)).write(to: folder.appendingPathComponent(String(format: "%03d.png", i)))
            }
        }
    }

    /// A 4×4 PNG of deterministic pixels, written with stored (uncompressed) deflate blocks.
    static func png(seed: Int, color: Bool) -> [UInt8] {
        let channels = color ? 3 : 1, (w, h) = (4, 4)
        var raw: [UInt8] = []
        var state = UInt32(truncatingIfNeeded: seed) &* 2654435761 | 1
        for _ in 0 ..< h {
            raw.append(0)
            for _ in 0 ..< w * channels {
                state ^= state << 13; state ^= state >> 17; state ^= state << 5
                raw.append(UInt8(truncatingIfNeeded: state))
            }
        }
        func be(_ x: UInt32) -> [UInt8] { [UInt8(x >> 24), UInt8(x >> 16 & 0xFF), UInt8(x >> 8 & 0xFF), UInt8(x & 0xFF)] }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be(UInt32(data.count)) + body + be(CRC32.checksum(body))
        }
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        let zlib: [UInt8] = [0x78, 0x01, 0x01, UInt8(raw.count & 0xFF), UInt8(raw.count >> 8), UInt8(~raw.count & 0xFF), UInt8((~raw.count >> 8) & 0xFF)] + raw + be(b << 16 | a)
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", be(UInt32(w)) + be(UInt32(h)) + [8, color ? 2 : 0, 0, 0, 0])
            + chunk("IDAT", zlib) + chunk("IEND", [])
    }

    static func spec(_ data: String, input: String = "[1, 4, 4]", classes: Int = 3, extra: String = "") -> String {
        """
        dnnc: 1
        seed: 4
        data:
        \(data)
        model:
          input: \(input)
          layers:
            - conv2d: {filters: 2, kernel: 3, padding: same, activation: relu}
            - flatten
            - dense: {units: \(classes)}
        train:
          loss: cross_entropy
          optimizer: {adam: {lr: 0.01}}
          epochs: 4
          batch_size: 4
        \(extra)
        """
    }

    @Test func aFolderOfClassSubfoldersIsReadInSortedOrder() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.folder(["dog": 4, "cat": 3], in: url)
        try FileManager.default.createDirectory(at: url.appendingPathComponent("pics/emu"), withIntermediateDirectories: true)
        try Data("not an image".utf8).write(to: url.appendingPathComponent("pics/cat/notes.txt"))
        try Data(Self.png(seed: 99, color: false)).write(to: url.appendingPathComponent("pics/cat/.hidden.png"))
        let result = Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path, text: Self.spec("  train: {images: pics}")))
        #expect(result.diagnostics.all.isEmpty, "\(result.diagnostics.all.map(\.message))")
        let model = try #require(result.model)
        // An empty class folder is a class, as Keras's class_names; text files and hidden files are skipped.
        #expect(model.classes == ["cat", "dog", "emu"])
        #expect(model.train.targets.values == [0, 0, 0, 1, 1, 1, 1])
        #expect(model.train.inputs.columns == 16)
        #expect(model.pixelMax == 1)
        #expect(model.dataSummary == ["pics: 7 images: cat 3, dog 4, emu 0"])
        #expect(model.sampleNames == ["pics/cat/000.png", "pics/cat/001.png", "pics/cat/002.png", "pics/dog/000.png", "pics/dog/001.png", "pics/dog/002.png", "pics/dog/003.png"])
        let first = try ImageFiles.decode([UInt8](try Data(contentsOf: url.appendingPathComponent("pics/cat/000.png"))))
        #expect(Array(model.train.inputs.row(0)) == first.pixels.map { Float($0) / 255 })
    }

    @Test func aListNamesImagesAndTargetsByColumn() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.folder(["a": 3, "b": 3], in: url)
        try "file,score,kind\npics/a/000.png,0.5,x\npics/b/001.png,1.5,y\n\"pics/a/002.png\",2,x\npics/b/002.png,3,y\n".write(to: url.appendingPathComponent("list.csv"), atomically: true, encoding: .utf8)
        let regression = Self.spec("  train: {images: list.csv, path: file, target: score}", classes: 1).replacingOccurrences(of: "cross_entropy", with: "mse")
        let result = Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path, text: regression))
        #expect(result.diagnostics.all.isEmpty, "\(result.diagnostics.all.map(\.message))")
        #expect(result.model?.train.targets.values == [0.5, 1.5, 2, 3])
        let classes = Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path, text: Self.spec("  train: {images: list.csv, target: kind}", classes: 2)))
        #expect(classes.model?.classes == ["x", "y"])
        #expect(classes.model?.train.targets.values == [0, 1, 0, 1])
    }

    func errors(_ spec: String, in url: URL) -> [String] {
        Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path, text: spec)).diagnostics.all.map { "\($0.code.rawValue) \($0.message)" }
    }

    @Test func badImageSetsAreLocatedErrors() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.folder(["a": 2, "b": 2], in: url)
        try Data("garbage".utf8).write(to: url.appendingPathComponent("pics/b/bad.png"))
        let corrupt = errors(Self.spec("  train: {images: pics}", classes: 2), in: url)
        #expect(corrupt.count == 1 && corrupt[0].hasPrefix("E0307 1 of the 5 images in pics cannot be decoded: pics/b/bad.png: it is neither a PNG nor a JPEG"), "\(corrupt)")
        try FileManager.default.removeItem(at: url.appendingPathComponent("pics/b/bad.png"))
        #expect(errors(Self.spec("  train: {images: nowhere}"), in: url) == ["E0307 cannot read nowhere: no such file"])
        let flat = errors(Self.spec("  train: {images: pics}", input: "[16]"), in: url)
        #expect(flat.contains { $0.hasPrefix("E0301 images are read as [channels, height, width]") }, "\(flat)")
        #expect(errors(Self.spec("  train: {images: pics}", input: "[2, 4, 4]"), in: url).first?.hasPrefix("E0301 images are read as") == true)
        // A list without a header would lose its first image as one.
        try "pics/a/000.png,a\npics/b/000.png,b\n".write(to: url.appendingPathComponent("bare.csv"), atomically: true, encoding: .utf8)
        #expect(errors(Self.spec("  train: {images: bare.csv}", classes: 2), in: url).first?.contains("names an image") == true)
        // A listed path that leaves the project is refused like a data file.
        try "path,label\n../../../etc/passwd.png,a\n".write(to: url.appendingPathComponent("out.csv"), atomically: true, encoding: .utf8)
        #expect(errors(Self.spec("  train: {images: out.csv}", classes: 2), in: url).first?.hasPrefix("E0307 out.csv:2:1:") == true)
        // More values than dnnc holds in memory, refused before any image is decoded.
        let huge = errors(Self.spec("  train: {images: pics}", input: "[1, 9000, 9000]", classes: 2), in: url)
        #expect(huge.contains { $0.hasPrefix("E0307 pics holds 4 images of 1×9000×9000 values, more than the 268435456") }, "\(huge)")
        // A crop of another size than the model's input.
        let crop = errors(Self.spec("  train: {images: pics}\n  augment: [{random_crop: {size: 3, padding: 1}}]", classes: 2), in: url)
        #expect(crop.count == 1 && crop[0].hasPrefix("E0404 random_crop's size [3, 3] is not model.input's height and width [4, 4]") || crop.first?.contains("random_crop's size [3, 3]") == true, "\(crop)")
        #expect(errors(Self.spec("  train: {images: pics}\n  augment: [{rotate: 0}]", classes: 2), in: url).count == 1)
    }

    @Test func imagesOfOtherSizesChannelsOrSharedAcrossSetsAreWarnings() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.folder(["a": 6, "b": 6], in: url)
        try Self.folder(["a": 2], in: url, name: "rgb", color: true)
        let resized = errors(Self.spec("  train: {images: pics}", input: "[1, 8, 8]", classes: 2), in: url)
        #expect(resized == ["W0367 12 of the 12 images in pics are not 8×8 (pics/a/000.png is 4×4): each is resized bilinearly to model.input's height and width"])
        let converted = errors(Self.spec("  train: {images: pics}", input: "[3, 4, 4]", classes: 2), in: url)
        #expect(converted.count == 1 && converted[0].hasPrefix("W0368 12 of the 12 images in pics are grayscale (pics/a/000.png), but model.input has 3 channels"))
        // The validation folder repeats a training image (same pixels, another name).
        try FileManager.default.createDirectory(at: url.appendingPathComponent("val/b"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: url.appendingPathComponent("pics/b/003.png"), to: url.appendingPathComponent("val/b/x.png"))
        try Data(Self.png(seed: 12345, color: false)).write(to: url.appendingPathComponent("val/b/y.png"))
        let shared = errors(Self.spec("  train: {images: pics}\n  validation: {images: val}", classes: 2), in: url)
        #expect(shared == ["W0365 1 of the 2 validation images is identical to training images (val/b/x.png is pics/b/003.png), so their loss measures memory, not generalization"])
    }

    /// Files named as images of another format (BMP, GIF, WebP, …) are skipped with a warning that counts
    /// them; other files (notes, hidden files) are skipped silently; a set of only such files is an error.
    @Test func imageFilesOfOtherFormatsAreSkippedWithAWarning() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.folder(["a": 2, "b": 2], in: url)
        for (file, bytes) in [("pics/a/x.BMP", Array("BM".utf8)), ("pics/b/deep/y.gif", Array("GIF89a".utf8)), ("pics/b/z.webp", Array("RIFF".utf8)),
                              ("pics/a/notes.txt", Array("hi".utf8)), ("pics/a/.w.bmp", Array("BM".utf8))] {
            try FileManager.default.createDirectory(at: url.appendingPathComponent((file as NSString).deletingLastPathComponent), withIntermediateDirectories: true)
            try Data(bytes).write(to: url.appendingPathComponent(file))
        }
        let found = errors(Self.spec("  train: {images: pics}", classes: 2), in: url)
        #expect(found == ["W0369 3 files in pics are images of a format dnnc does not read (pics/a/x.BMP): skipped, so the set has 4 images"], "\(found)")
        try FileManager.default.createDirectory(at: url.appendingPathComponent("other/c"), withIntermediateDirectories: true)
        try Data(Array("BM".utf8)).write(to: url.appendingPathComponent("other/c/1.bmp"))
        let none = errors(Self.spec("  train: {images: other}", classes: 1), in: url)
        #expect(none.first?.hasPrefix("E0307 other's class subfolders hold no images; 1 file in other is an image of a format dnnc does not read (other/c/1.bmp)") == true, "\(none)")
    }

    @Test func augmentationsAreSetByIndexOrNameAndByTheirShorthand() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.folder(["a": 2, "b": 2], in: url)
        let text = Self.spec("  train: {images: pics}\n  augment: [{flip: horizontal}, {rotate: 15}]", classes: 2)
        func augmentations(_ sets: String...) throws -> [Augmentation]? {
            try Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path, text: text), overrides: sets.map { try Override($0) }).model?.augmentations
        }
        #expect(try augmentations() == [.flip(horizontal: true), .rotate(degrees: 15)])
        for set in ["data.augment.1.rotate=30", "data.augment.rotate_1.rotate=30", "data.augment.1.rotate.degrees=30", "data.augment.1={rotate: 30}"] {
            #expect(try augmentations(set) == [.flip(horizontal: true), .rotate(degrees: 30)], "\(set)")
        }
        #expect(try augmentations("data.augment.flip_1.flip=vertical") == [.flip(horizontal: false), .rotate(degrees: 15)])
        #expect(throws: OverrideError.self) { try augmentations("data.augment.1.rotate=-3") }
    }

    /// The bytes of a run's saved parameters.
    static func train(_ model: ModelIR, epochs: Int? = nil) -> [Float] {
        let trainer = Trainer(model: model)
        trainer.train { _ in }
        return trainer.parameters()
    }

    @Test func augmentedTrainingIsDeterministicAndResumesExactly() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try Self.folder(["a": 5, "b": 6], in: url)
        let augment = "  augment: [{random_crop: {size: 4, padding: 1}}, {flip: horizontal}, {rotate: 20}, {brightness: 0.3}]"
        let path = url.appendingPathComponent("t.yaml").path
        let plain = try #require(Compiler.compile(SourceFile(path: path, text: Self.spec("  train: {images: pics}", classes: 2))).model)
        let augmented = try #require(Compiler.compile(SourceFile(path: path, text: Self.spec("  train: {images: pics}\n" + augment, classes: 2))).model)
        #expect(augmented.augmentations.count == 4)
        let once = Self.train(augmented)
        #expect(once == Self.train(augmented), "the same seed draws the same augmentations")
        #expect(once != Self.train(plain), "augmentation changes what the network trains on")
        // Stopped after 2 of 4 epochs and resumed from the checkpoint: the same parameters.
        let first = Trainer(model: augmented)
        var saved: [UInt8] = []
        first.train(TrainingOptions(checkpointEvery: 2), checkpoint: { epoch in
            if epoch == 1 {
                let state = first.checkpointState()
                saved = SafeTensors.encode(state.tensors, metadata: state.metadata)
            }
        }) { _ in }
        #expect(first.parameters() == once)
        let resumed = Trainer(model: augmented)
        try resumed.resume(from: saved)
        resumed.train { _ in }
        #expect(resumed.parameters() == once)
    }
}

/// `stream: true`: the training images read from disk a batch at a time, with the in-memory bytes.
struct ImageStreamTests {
    func compile(_ url: URL, _ train: String, rest: String = "", augment: Bool = true) throws -> ModelIR {
        let data = "  train: \(train)\n" + rest + (augment ? "  augment: [{random_crop: {size: 4, padding: 1}}, {flip: horizontal}, {rotate: 20}, {brightness: 0.3}]\n" : "")
        let result = Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path, text: ImageDataTests.spec(String(data.dropLast()), classes: 2)))
        #expect(result.diagnostics.all.isEmpty, "\(result.diagnostics.all.map(\.message))")
        return try #require(result.model)
    }

    /// A validation or test set of pixels of the other kind than the training set's (image files beside
    /// a uint8 .npy) is read at the training set's scale: the same values as the same pixels of its kind,
    /// and the same images found among the training ones (W0365).
    @Test func pixelsOfTheOtherKindAreReadAtTheTrainingSetsScale() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        // (Image i of a class has the same pixels in both folders: held's are training images.)
        try ImageDataTests.folder(["a": 5, "b": 5], in: url)
        try ImageDataTests.folder(["a": 2, "b": 2], in: url, name: "held")
        // Each folder's images as a uint8 .npy of their bytes, in the folder's order, with a list of their classes.
        for (name, count) in [("pics", 5), ("held", 2)] {
            var bytes: [UInt8] = []
            for label in ["a", "b"] {
                for i in 0 ..< count {
                    let file = url.appendingPathComponent("\(name)/\(label)/" + String(format: "%03d.png", i)).path
                    bytes += try ImageFiles.decode(ImageFiles.contents(file)).pixels
                }
            }
            var header = "{'descr': '|u1', 'fortran_order': False, 'shape': (\(2 * count), 16), }"
            while (10 + header.count + 1) % 64 != 0 { header += " " }
            header += "\n"
            try Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count), 0] + Array(header.utf8) + bytes)
                .write(to: url.appendingPathComponent("\(name).npy"))
            try ("label\n" + String(repeating: "a\n", count: count) + String(repeating: "b\n", count: count))
                .write(to: url.appendingPathComponent("\(name).csv"), atomically: true, encoding: .utf8)
        }
        func compiled(_ train: String, _ role: String, _ set: String) throws -> (model: ModelIR, codes: [DiagnosticCode]) {
            let data = "  train: \(train)\n  \(role): \(set)\n  classes: [a, b]\n  normalize: {inputs: minmax}"
            let result = Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path, text: ImageDataTests.spec(data, classes: 2)))
            return (try #require(result.model, "\(result.diagnostics.all.map(\.message))"), result.diagnostics.all.map(\.code))
        }
        let files = "{images: held}", bytes = "{inputs: {file: held.npy}, targets: {file: held.csv}}"
        for train in ["{images: pics}", "{inputs: {file: pics.npy}, targets: {file: pics.csv}}"] {
            let pixelMax: Float = train.hasPrefix("{images") ? 1 : 255
            for role in ["validation", "test"] {
                let asFiles = try compiled(train, role, files), asBytes = try compiled(train, role, bytes)
                let a = try #require(role == "test" ? asFiles.model.test : asFiles.model.validation)
                let b = try #require(role == "test" ? asBytes.model.test : asBytes.model.validation)
                #expect(asFiles.model.pixelMax == pixelMax && a.inputs.rows == 4 && a.targets == b.targets)
                #expect(a.inputs.values == b.inputs.values, "\(train) \(role)")
                #expect(a.inputs.values.max()! > pixelMax / 2 && a.inputs.values.allSatisfy { $0 >= 0 && $0 <= pixelMax }, "\(train) \(role)")
                #expect(asFiles.codes == [.duplicatedAcrossSets] && asBytes.codes == [.duplicatedAcrossSets], "\(train) \(role): \(asFiles.codes) \(asBytes.codes)")
            }
        }
    }

    @Test func aStreamedSetTrainsOnTheSameBytesAsInMemory() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try ImageDataTests.folder(["a": 9, "b": 10], in: url)
        for rest in ["", "  validation: {split: 0.25}\n  normalize: {inputs: standard}\n", "  normalize: {inputs: minmax}\n"] {
            let memory = try compile(url, "{images: pics}", rest: rest)
            let inMemory = ImageDataTests.train(memory)
            #expect(memory.stream == nil)
            for prefetch in [1, 3] {
                let streamed = try compile(url, "{images: pics, stream: true, prefetch: \(prefetch)}", rest: rest)
                #expect(streamed.train.inputs.isStreamed && streamed.stream?.count == memory.train.inputs.rows)
                #expect(streamed.validation?.inputs == memory.validation?.inputs && streamed.train.targets == memory.train.targets)
                #expect(ImageDataTests.train(streamed) == inMemory, "\(rest) prefetch \(prefetch)")
                let estimate = MemoryEstimate(streamed).bytes, held = MemoryEstimate(memory).bytes
                #expect(estimate < held + (prefetch + 1) * 4 * 16 * 4 + 1)
                let batch = min(streamed.schedule.batchSize, streamed.train.inputs.rows)
                #expect(MemoryEstimate(streamed).readAheadBytes == (prefetch + 1) * batch * streamed.stream!.sampleSize * 4)
                #expect(MemoryEstimate(memory).readAheadBytes == 0)
            }
        }
    }

    @Test func aStreamedRunResumesExactly() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try ImageDataTests.folder(["a": 5, "b": 6], in: url)
        let model = try compile(url, "{images: pics, stream: true, prefetch: 2}")
        let whole = ImageDataTests.train(model)
        let first = Trainer(model: model)
        var saved: [UInt8] = []
        first.train(TrainingOptions(checkpointEvery: 1), checkpoint: { epoch in
            if epoch == 1 { saved = SafeTensors.encode(first.checkpointState().tensors, metadata: first.checkpointState().metadata) }
        }) { _ in }
        let resumed = Trainer(model: model)
        try resumed.resume(from: saved)
        resumed.train { _ in }
        #expect(resumed.parameters() == whole)
    }

    @Test func aFileThatBreaksAfterTheCheckEndsTheRunNamingIt() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try ImageDataTests.folder(["a": 5, "b": 6], in: url)
        let model = try compile(url, "{images: pics, stream: true}", augment: false)
        let normalized = try compile(url, "{images: pics, stream: true}", rest: "  normalize: {inputs: standard}\n", augment: false)
        // Its header still reads (the check passed), its pixels no longer do.
        let path = url.appendingPathComponent("pics/b/002.png")
        let bytes = try Data(contentsOf: path)
        try bytes.prefix(40).write(to: path)
        let failed = "pics/b/002.png: libpng cannot read it"
        let result = Trainer(model: model).train { _ in }
        guard case .unreadableData(let message) = result.end else { Issue.record("\(result.end)"); return }
        #expect(message.hasPrefix(failed) && result.costs.isEmpty, "\(message)")
        // With a normalization to fit, the fit meets it first, before any step.
        let fitting = Trainer(model: normalized)
        #expect(fitting.dataError?.message.hasPrefix(failed) == true)
        let stopped = fitting.train { _ in }
        #expect(stopped.costs.isEmpty && fitting.steps == 0)
    }

    @Test func onlyTheTrainingSetStreamsAndItsHeadersAreChecked() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try ImageDataTests.folder(["a": 3, "b": 3], in: url)
        func messages(_ data: String) -> [String] {
            Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path, text: ImageDataTests.spec(data, classes: 2)))
                .diagnostics.all.map { "\($0.code.rawValue) \($0.message)" }
        }
        #expect(messages("  train: {images: pics}\n  validation: {images: pics, stream: true}")
                    .contains("E0307 only the training set streams; validation and test images are read into memory"))
        #expect(messages("  train: {images: pics, stream: true}").isEmpty)
        // Sizes come from the headers (no image is decoded before training) ...
        #expect(messages("  train: {images: pics, stream: true}").isEmpty)
        let resized = Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path,
                                                  text: ImageDataTests.spec("  train: {images: pics, stream: true}", input: "[1, 8, 8]", classes: 2)))
        #expect(resized.diagnostics.all.map(\.code) == [.imagesResized])
        // ... and a file that is no image is found there, before training.
        try Data("garbage".utf8).write(to: url.appendingPathComponent("pics/a/009.png"))
        #expect(messages("  train: {images: pics, stream: true}").first?.hasPrefix("E0307 1 of the 7 images in pics cannot be decoded: pics/a/009.png") == true)
        // A streamed set is not bounded by memory: 9000×9000 samples pass the check.
        try FileManager.default.removeItem(at: url.appendingPathComponent("pics/a/009.png"))
        let huge = Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path,
                                               text: ImageDataTests.spec("  train: {images: pics, stream: true}", input: "[1, 9000, 9000]", classes: 2)))
        #expect(!huge.diagnostics.all.contains { $0.code == .dataFile })
    }
}

/// `inputs: {file: x.npy, stream: true}`: a .npy file's rows read from disk a batch at a time.
struct NpyStreamTests {
    /// A .npy file of `rows` rows of `columns` values of `descr` (|u1, <f4, <f8, <i4 or <i8), deterministic.
    static func npy(_ descr: String, rows: Int, columns: Int, seed: Int) -> [UInt8] {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        while (10 + header.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + Array(header.utf8)
        var state = UInt64(seed) &* 0x9E3779B97F4A7C15 | 1
        for _ in 0 ..< rows * columns {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            let x = Double(state % 1000) / 100
            switch descr {
            case "|u1": bytes.append(UInt8(state % 256))
            case "<f4": withUnsafeBytes(of: Float(x).bitPattern.littleEndian) { bytes += $0 }
            case "<i4": withUnsafeBytes(of: (Int32(state % 1000) - 500).littleEndian) { bytes += $0 }
            case "<i8": withUnsafeBytes(of: (Int64(state % 100_000) - 50_000).littleEndian) { bytes += $0 }
            default: withUnsafeBytes(of: x.bitPattern.littleEndian) { bytes += $0 }
            }
        }
        return bytes
    }

    /// A .npy file of `rows` int64 class indices: 0, 1, 2, 0, 1, 2, …
    static func labels(_ rows: Int) -> [UInt8] {
        var header = "{'descr': '<i8', 'fortran_order': False, 'shape': (\(rows),), }"
        while (10 + header.count + 1) % 64 != 0 { header += " " }
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count + 1), 0] + Array((header + "\n").utf8)
        for r in 0 ..< rows { withUnsafeBytes(of: Int64(r % 3).littleEndian) { bytes += $0 } }
        return bytes
    }

    static func spec(_ inputs: String, rest: String = "") -> String {
        """
        dnnc: 1
        seed: 3
        data:
          train:
            inputs: \(inputs)
            targets: {file: y.npy}
        \(rest)
        model:
          input: [6]
          layers:
            - dense: {units: 5, activation: tanh}
            - dense: {units: 3}
        train: {loss: cross_entropy, optimizer: {adam: {lr: 0.01}}, epochs: 3, batch_size: 4}
        """
    }

    @Test func aStreamedFileTrainsOnTheSameBytesAsInMemory() throws {
        let url = try temporaryFolderForTests()
        defer { try? FileManager.default.removeItem(at: url) }
        try Data(Self.labels(23)).write(to: url.appendingPathComponent("y.npy"))
        func model(_ text: String) throws -> ModelIR {
            let result = Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path, text: text))
            #expect(!result.diagnostics.hasErrors, "\(result.diagnostics.all.map(\.message))")
            return try #require(result.model)
        }
        for (k, descr) in ["<f4", "|u1", "<f8", "<i4", "<i8"].enumerated() {
            try Data(Self.npy(descr, rows: 23, columns: 6, seed: k + 1)).write(to: url.appendingPathComponent("x.npy"))
            for rest in ["", "  validation: {split: 0.3}\n  normalize: {inputs: standard}"] {
                let memory = try model(Self.spec("{file: x.npy}", rest: rest))
                let streamed = try model(Self.spec("{file: x.npy, stream: true, prefetch: 2}", rest: rest))
                #expect(streamed.train.inputs.isStreamed && streamed.stream?.count == memory.train.inputs.rows)
                #expect(streamed.validation?.inputs == memory.validation?.inputs)
                #expect(streamed.pixelMax == memory.pixelMax)
                #expect(ImageDataTests.train(streamed) == ImageDataTests.train(memory), "\(descr) \(rest)")
            }
        }
        // One conversion for every type, which names the first value that is not finite.
        let values: [Float] = [1.5, -2, .nan, 4]
        let raw = values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
        var out = [Float](repeating: 0, count: 4)
        #expect(raw.withUnsafeBytes { NpyType.float32.floats($0, at: 0, count: 4, into: &out) } == 2)
        #expect(raw.withUnsafeBytes { NpyType.float32.floats($0, at: 0, count: 2, into: &out) } == nil && out[..<2] == [1.5, -2])
        #expect(raw.withUnsafeBytes { NpyType.uint8.floats($0, at: 4, count: 4, into: &out) } == nil && out == [0, 0, 0, 192])
        // Only the training inputs stream, and whole rows.
        func errors(_ text: String) -> [String] {
            Compiler.compile(SourceFile(path: url.appendingPathComponent("t.yaml").path, text: text)).diagnostics.all.map(\.message)
        }
        #expect(errors(Self.spec("{file: x.npy, columns: [0, 1, 2, 3, 4, 5], stream: true}")).contains { $0.hasPrefix("a streamed .npy file is read row by row whole") })
        #expect(errors(Self.spec("{file: x.npy}").replacingOccurrences(of: "targets: {file: y.npy}", with: "targets: {file: y.npy, stream: true}"))
                    .contains { $0.hasPrefix("only the training inputs stream") })
        // A file cut short after the check ends the run naming it.
        let streamed = try model(Self.spec("{file: x.npy, stream: true}"))
        let bytes = try Data(contentsOf: url.appendingPathComponent("x.npy"))
        try bytes.prefix(bytes.count - 100).write(to: url.appendingPathComponent("x.npy"))
        let result = Trainer(model: streamed).train { _ in }
        guard case .unreadableData(let message) = result.end else { Issue.record("\(result.end)"); return }
        #expect(message.hasPrefix("x.npy: row ") && message.contains("cannot be read"), "\(message)")
    }
}

extension String {
    /// A hash of the text that is the same in every process (Swift's hashValue is seeded per process).
    var hashValueStable: Int { utf8.reduce(5381) { ($0 &* 33) &+ Int($1) } }
}
