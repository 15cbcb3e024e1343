// Image files as model inputs: PNG decoded by libpng's simplified API, JPEG by libjpeg-turbo's
// TurboJPEG, then made the model's [C, H, W] as grammar/README.md ("Image data sets") states and
// torchvision users would do it by hand:
// - channels: a gray image given 3 channels repeats its one; a color image given 1 takes PIL's
//   `convert("L")` luma, (19595 R + 38470 G + 7471 B + 2^15) >> 16; an alpha channel is dropped; a
//   CMYK JPEG becomes RGB as PIL's `convert("RGB")` makes it;
// - values: each 8-bit value v becomes v / 255, in [0, 1] (torchvision's ToTensor), v as stored: a
//   PNG's gamma or colour profile is not applied, as PIL does not apply it;
// - size: bilinear with half-pixel centres and no antialiasing, as
//   `torch.nn.functional.interpolate(x, size=(H, W), mode="bilinear", align_corners=False)`, when the
//   image is not already H × W.
// A file that does not decode is an error naming it; a decoded image larger than `maxPixels` is refused
// before its pixels are allocated (a 1 KB PNG may declare 10^5 × 10^5 pixels), and so is a 16-bit PNG.

import Foundation
import CPNG
import CTurboJPEG
import DNNSyntax

/// An image as decoded: 8-bit values, row-major, `channels` (1: gray, 3: RGB) interleaved.
public struct DecodedImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }
}

public enum ImageFiles {
    /// The file name endings read as images, in any case; other files in an image folder are skipped.
    public static let extensions = ["png", "jpg", "jpeg"]
    /// The largest value a decoded pixel has (DataTable.pixelMax): each 8-bit value v is read as v / 255.
    public static let pixelMax: Float = 1

    /// The most pixels one image may declare.
    public static let maxPixels = 1 << 26

    /// The endings of image formats dnnc does not decode: files so named in an image folder are
    /// skipped, and counted in a warning (W0369) rather than passed over in silence.
    public static let otherImageExtensions = ["bmp", "gif", "webp", "tif", "tiff", "ppm", "pgm", "pbm", "pnm", "heic", "heif",
                                              "avif", "jxl", "jp2", "ico", "tga", "dng", "cr2", "nef"]

    public static func isImageName(_ name: String) -> Bool { hasEnding(name, extensions) }

    /// Whether a file name ends with an image format dnnc does not read (`otherImageExtensions`).
    public static func isOtherImageName(_ name: String) -> Bool { hasEnding(name, otherImageExtensions) }

    static func hasEnding(_ name: String, _ endings: [String]) -> Bool {
        guard let dot = name.lastIndex(of: "."), !name.hasPrefix(".") else { return false }
        return endings.contains(name[name.index(after: dot)...].lowercased())
    }

    /// Decodes a PNG or JPEG file's bytes (told apart by their signature, not their name). The error's
    /// message says what is wrong without the file's name, which the caller adds.
    public static func decode(_ bytes: [UInt8]) throws(DataFileError) -> DecodedImage {
        if bytes.starts(with: pngSignature) { return try png(bytes) }
        if bytes.starts(with: jpegSignature) { return try jpeg(bytes) }
        throw unknownFormat(bytes)
    }

    /// The first bytes of every PNG file, and of every JPEG file (SOI and a marker's first byte).
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// An image file's bytes, read and checked against the 1 GiB limit of files read whole: what every
    /// reader of image files decodes (or reads the header of).
    public static func contents(_ path: String) throws(DataFileError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataFileError(message: "it cannot be read", help: nil) }
        guard data.count <= DataFiles.maxBytes else { throw DataFileError(message: "it is larger than 1 GiB", help: nil) }
        return [UInt8](data)
    }

    static func unknownFormat(_ bytes: [UInt8]) -> DataFileError {
        DataFileError(message: bytes.isEmpty ? "the file is empty" : "it is neither a PNG nor a JPEG file (no PNG or JPEG signature)",
                      help: "dnnc reads PNG and JPEG images")
    }

    static func checkSize(width: Int, height: Int) throws(DataFileError) {
        guard width > 0, height > 0 else { throw DataFileError(message: "it declares an empty image (\(width)×\(height))", help: nil) }
        guard width <= maxPixels / height else {
            throw DataFileError(message: "it declares \(width)×\(height) pixels, more than \(maxPixels)", help: "resize the image")
        }
    }

    /// A file's size and channels from its header alone, checked as `decode` checks them: what a
    /// streamed set knows of its images before training decodes them.
    public static func header(_ bytes: [UInt8]) throws(DataFileError) -> (width: Int, height: Int, channels: Int) {
        if bytes.starts(with: pngSignature) {
            var image = png_image()
            defer { png_image_free(&image) }
            return try pngHeader(bytes, &image)
        }
        if bytes.starts(with: jpegSignature) {
            guard let handle = tjInitDecompress() else { throw DataFileError(message: "libjpeg-turbo cannot start a decoder", help: nil) }
            defer { tjDestroy(handle) }
            let (width, height, channels, _) = try jpegHeader(bytes, handle)
            return (width, height, channels)
        }
        throw unknownFormat(bytes)
    }

    /// Reads a PNG's header into `image` and checks it: size, and 8 bits per channel.
    static func pngHeader(_ bytes: [UInt8], _ image: inout png_image) throws(DataFileError) -> (width: Int, height: Int, channels: Int) {
        image.version = png_uint_32(dnnc_png_image_version)
        let began = bytes.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard began != 0 else { throw pngFailure(image) }
        let (width, height) = (Int(image.width), Int(image.height))
        try checkSize(width: width, height: height)
        // 16 bits per channel: libpng would reduce it to 8 as linear light encoded to sRGB, which is not
        // v / 65535 nor what PIL makes of it; refused rather than read differently from the others.
        guard image.format & png_uint_32(PNG_FORMAT_FLAG_LINEAR) == 0 else {
            throw DataFileError(message: "it is a 16-bit PNG; dnnc reads 8-bit images", help: "convert it to 8 bits per channel")
        }
        return (width, height, image.format & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0 ? 3 : 1)
    }

    static func pngFailure(_ image: png_image) -> DataFileError {
        let message = withUnsafeBytes(of: image.message) { raw in String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return DataFileError(message: "libpng cannot read it: \(message)", help: nil)
    }

    /// The chunks that describe a PNG's colour space (gamma, chromaticities, sRGB intent, ICC profile).
    /// Given a gamma other than sRGB's, libpng's simplified API re-encodes the values as sRGB (a file
    /// with gamma 1.0 read up to 75 of 255 away from its stored values); PIL, and so torchvision, reads
    /// the values as stored, and so does dnnc, which hands libpng the file without these chunks.
    static let colorSpaceChunks: Set<[UInt8]> = [Array("gAMA".utf8), Array("cHRM".utf8), Array("sRGB".utf8), Array("iCCP".utf8)]

    /// A PNG's bytes without its colour-space chunks, unchanged when it has none. A damaged chunk
    /// ends the walk: the rest is kept as it was, for libpng to report.
    static func withoutColorSpaceChunks(_ bytes: [UInt8]) -> [UInt8] {
        var kept = [ArraySlice<UInt8>](), start = pngSignature.count, dropped = false
        while start + 12 <= bytes.count {
            let length = bytes[start ..< start + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length <= bytes.count - start - 12 else { break }
            let end = start + 12 + length
            if colorSpaceChunks.contains(Array(bytes[start + 4 ..< start + 8])) { dropped = true } else { kept.append(bytes[start ..< end]) }
            start = end
        }
        guard dropped else { return bytes }
        return Array(bytes[..<pngSignature.count]) + kept.joined() + bytes[start...]
    }

    static func png(_ file: [UInt8]) throws(DataFileError) -> DecodedImage {
        let bytes = withoutColorSpaceChunks(file)
        var image = png_image()
        defer { png_image_free(&image) }
        let (width, height, channels) = try pngHeader(bytes, &image)
        // Read as 8-bit RGBA whatever is stored (palette, gray, alpha or not), then keep gray or RGB.
        image.format = png_uint_32(dnnc_png_format_rgba)
        var rgba = [UInt8](repeating: 0, count: width * height * 4)
        let finished = bytes.withUnsafeBytes { _ in
            rgba.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
        }
        guard finished != 0 else { throw pngFailure(image) }
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        for p in 0 ..< width * height {
            for c in 0 ..< channels { pixels[p * channels + c] = rgba[p * 4 + c] }
        }
        return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    static func jpegFailure(_ handle: tjhandle) -> DataFileError {
        DataFileError(message: "libjpeg-turbo cannot read it: \(String(cString: tjGetErrorStr2(handle)))", help: nil)
    }

    /// Reads a JPEG's header and checks its size: the channels it is read as (1 for gray, else 3), and
    /// whether it holds CMYK (or YCCK) pixels, which are read as RGB.
    static func jpegHeader(_ bytes: [UInt8], _ handle: tjhandle) throws(DataFileError) -> (width: Int, height: Int, channels: Int, cmyk: Bool) {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = bytes.withUnsafeBufferPointer {
            tjDecompressHeader3(handle, $0.baseAddress, UInt(bytes.count), &width, &height, &subsampling, &colorspace)
        }
        guard header == 0 else { throw jpegFailure(handle) }
        try checkSize(width: Int(width), height: Int(height))
        let cmyk = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
        return (Int(width), Int(height), colorspace == Int32(TJCS_GRAY.rawValue) ? 1 : 3, cmyk)
    }

    static func jpeg(_ bytes: [UInt8]) throws(DataFileError) -> DecodedImage {
        guard let handle = tjInitDecompress() else { throw DataFileError(message: "libjpeg-turbo cannot start a decoder", help: nil) }
        defer { tjDestroy(handle) }
        let (width, height, channels, cmyk) = try jpegHeader(bytes, handle)
        let format = channels == 1 ? TJPF_GRAY : cmyk ? TJPF_CMYK : TJPF_RGB
        var pixels = [UInt8](repeating: 0, count: width * height * (cmyk ? 4 : channels))
        let decoded = bytes.withUnsafeBufferPointer { source in
            pixels.withUnsafeMutableBufferPointer { target in
                tjDecompress2(handle, source.baseAddress, UInt(bytes.count), target.baseAddress, Int32(width), 0, Int32(height),
                              Int32(format.rawValue), 0)
            }
        }
        // A warning (a truncated file's missing rows, filled gray) is an error here: the image is not
        // what its file was meant to hold.
        guard decoded == 0 else { throw jpegFailure(handle) }
        return DecodedImage(width: width, height: height, channels: channels, pixels: cmyk ? rgb(fromCMYK: pixels) : pixels)
    }

    /// RGB from a CMYK (or YCCK) JPEG's pixels as stored, as PIL's convert("RGB") makes it: the values
    /// taken as inverted (Adobe's convention, which PIL always assumes), then per channel
    /// R = (255 − K) − C·(255 − K)/255 with PIL's rounding of the product.
    static func rgb(fromCMYK stored: [UInt8]) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: stored.count / 4 * 3)
        for p in 0 ..< stored.count / 4 {
            let notK = Int(stored[p * 4 + 3])   // 255 − K, K being 255 − the stored value
            for c in 0 ..< 3 {
                let product = (255 - Int(stored[p * 4 + c])) * notK + 128
                rgb[p * 3 + c] = UInt8(clamping: notK - (((product >> 8) + product) >> 8))
            }
        }
        return rgb
    }

    /// The image as one model input, [channels, height, width] in [0, 1], written to `out`.
    public static func sample(_ image: DecodedImage, channels: Int, height: Int, width: Int, into out: UnsafeMutablePointer<Float>) {
        let (h, w) = (image.height, image.width)
        // The planes at the image's own size, converted to the model's channels.
        var planes = [Float](repeating: 0, count: channels * h * w)
        for p in 0 ..< h * w {
            let source = image.pixels[(p * image.channels)...]
            if image.channels == channels {
                for c in 0 ..< channels { planes[c * h * w + p] = Float(source[source.startIndex + c]) / 255 }
            } else if image.channels == 1 {
                for c in 0 ..< channels { planes[c * h * w + p] = Float(source[source.startIndex]) / 255 }
            } else {
                let (r, g, b) = (Int(source[source.startIndex]), Int(source[source.startIndex + 1]), Int(source[source.startIndex + 2]))
                planes[p] = Float((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16) / 255
            }
        }
        guard h != height || w != width else {
            out.update(from: planes, count: planes.count)
            return
        }
        for c in 0 ..< channels {
            planes.withUnsafeBufferPointer { all in
                bilinear(all.baseAddress! + c * h * w, height: h, width: w, into: out + c * height * width, height: height, width: width)
            }
        }
    }

    /// PyTorch's upsample_bilinear2d with align_corners=False (and no scale factor given), in float:
    /// a source coordinate (dst + 0.5) · in/out − 0.5, clamped at 0; the next pixel clamped at the edge.
    static func bilinear(_ x: UnsafePointer<Float>, height inH: Int, width inW: Int,
                         into y: UnsafeMutablePointer<Float>, height outH: Int, width outW: Int) {
        let scaleH = Float(inH) / Float(outH), scaleW = Float(inW) / Float(outW)
        func source(_ dst: Int, _ scale: Float, _ size: Int) -> (Int, Int, Float, Float) {
            let real = max(scale * (Float(dst) + 0.5) - 0.5, 0)
            let index = Int(real), step = index < size - 1 ? 1 : 0
            let lambda1 = real - Float(index)
            return (index, step, 1 - lambda1, lambda1)
        }
        for oy in 0 ..< outH {
            let (h1, hp, h0l, h1l) = source(oy, scaleH, inH)
            for ox in 0 ..< outW {
                let (w1, wp, w0l, w1l) = source(ox, scaleW, inW)
                let top = x + h1 * inW + w1, bottom = top + hp * inW
                y[oy * outW + ox] = h0l * (w0l * top[0] + w1l * top[wp]) + h1l * (w0l * bottom[0] + w1l * bottom[wp])
            }
        }
    }
}
