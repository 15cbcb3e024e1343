// `data.augment`: random changes to each training sample, one definition per kind: its keys (the
// language's catalog), its lowering, what it draws and how it changes a sample. They follow
// torchvision's transforms on a float tensor [C, H, W]; the draws come from dnnc's augmentation stream
// (Kernels/Random.swift), sample after sample in batch order and, for each, augmentation after
// augmentation in the written order, every draw made whether or not it changes the sample, so a run
// and its `--resume` draw the same numbers. The trainer applies them to a batch before normalization;
// evaluation, predict and the exports never do.

import Foundation
import DNNSyntax

public enum Augmentation: Sendable, Equatable {
    /// Zeros `padding` wide on every side, then a crop of `height` × `width` at a drawn position.
    case randomCrop(height: Int, width: Int, padding: Int)
    /// Mirror left–right (horizontal) or top–bottom with probability 0.5.
    case flip(horizontal: Bool)
    /// Rotate about the centre by an angle drawn in [−degrees, degrees], nearest pixel, zeros outside.
    case rotate(degrees: Double)
    /// Multiply by a factor drawn in [max(0, 1 − b), 1 + b], clamped to the pixels' range.
    case brightness(Double)

    public static let kinds = [
        ChoiceKind(name: "random_crop", params: [
            .required("size", .dims(.size), "the crop's height and width (one number: a square), model.input's H × W"),
            .optional("padding", .integer(.countOrZero), default: .int(0), "zeros added on every side before cropping"),
        ], doc: "pad with zeros, then crop at a position drawn uniformly, as torchvision's RandomCrop(size, padding)"),
        ChoiceKind(name: "flip", params: [
            .optional("direction", .word(["horizontal", "vertical"]), default: .word("horizontal"), "which way to mirror"),
        ], shorthand: "direction", doc: "mirror the image with probability 0.5, as RandomHorizontalFlip or RandomVerticalFlip"),
        ChoiceKind(name: "rotate", params: [
            .required("degrees", .number(Bounds(min: 0, minExclusive: true, max: 180)), "the largest angle either way"),
        ], shorthand: "degrees",
                   doc: "rotate about the centre by an angle drawn uniformly in [−degrees, degrees], counter-clockwise for a positive angle, taking the nearest pixel and zeros outside the image, as RandomRotation(degrees)"),
        ChoiceKind(name: "brightness", params: [
            .required("factor", .number(.nonNegative), "b: the factor is drawn in [max(0, 1 − b), 1 + b]"),
        ], shorthand: "factor",
                   doc: "multiply every value by a factor drawn uniformly in [max(0, 1 − b), 1 + b], then clamp to the pixels' range, [0, 1] for image files and [0, 255] for a uint8 .npy (other data is clamped at 0 only), as ColorJitter(brightness=b)"),
    ]

    /// The augmentation a checked entry names; `shape` is model.input, [C, H, W]. An error for a crop
    /// of another size than the model's input (evaluation images are not cropped).
    public static func lower(_ choice: SpecChoice, shape: [Int], at modelInput: SourceRange, _ bag: inout DiagnosticBag) -> Augmentation? {
        switch choice.kind {
        case "random_crop": return randomCrop(choice, shape: shape, at: modelInput, &bag)
        case "flip": return .flip(horizontal: choice["direction"]!.string! == "horizontal")
        case "rotate": return .rotate(degrees: choice["degrees"]!.double!)
        case "brightness": return .brightness(choice["factor"]!.double!)
        default: preconditionFailure("augmentation \(choice.kind) is in the catalog but has no lowering")
        }
    }

    static func randomCrop(_ choice: SpecChoice, shape: [Int], at modelInput: SourceRange, _ bag: inout DiagnosticBag) -> Augmentation? {
        let size = choice["size"]!, padding = choice["padding"]!.int!
        var dims: [Int] = []
        if let side = size.int { dims = [side, side] } else { for value in size.list ?? [] { dims.append(value.int ?? 0) } }
        let model = [shape[1], shape[2]]
        if dims.count != 2 {
            bag.error(.layerGeometry, "random_crop's `size` is one number or [height, width], found \(dims.count) values", at: size.range)
            return nil
        }
        if dims != model {
            bag.error(.layerGeometry, "random_crop's size \(dims) is not model.input's height and width \(model)", at: size.range,
                      notes: [DiagnosticNote("model.input is declared here", at: modelInput)],
                      help: "crop to \(model) with `padding` for the shift: evaluation and predict read whole images, which must have the size the model takes")
            return nil
        }
        return .randomCrop(height: dims[0], width: dims[1], padding: padding)
    }

    /// The augmentation for the exported PyTorch program's AUGMENT (its `augment_sample` applies it).
    public var python: String {
        switch self {
        case .randomCrop(let h, let w, let p): "(\"random_crop\", \(h), \(w), \(p))"
        case .flip(let horizontal): "(\"flip\", \(horizontal ? "True" : "False"))"
        case .rotate(let degrees): "(\"rotate\", \(degrees))"
        case .brightness(let b): "(\"brightness\", \(b))"
        }
    }

    /// The numbers one application draws: a crop's top and left, a flip's 1 (mirror) or 0, a rotation's
    /// angle in degrees, a brightness factor.
    public func draw(_ rng: inout RandomStream, height: Int, width: Int) -> [Double] {
        switch self {
        case .randomCrop(let h, let w, let p):
            // torchvision draws the top, then the left, each uniformly among the positions that fit.
            let top = rng.index(below: height + 2 * p - h + 1)
            return [Double(top), Double(rng.index(below: width + 2 * p - w + 1))]
        case .flip: return [rng.uniform() < 0.5 ? 1 : 0]
        case .rotate(let degrees): return [(rng.uniform() * 2 - 1) * degrees]
        case .brightness(let b):
            let low = max(0, 1 - b)
            return [low + rng.uniform() * (1 + b - low)]
        }
    }

    /// Changes one sample [channels, height, width] in place by what `draw` drew; `scratch` holds at
    /// least one sample; `pixelMax` bounds brightness (nil: no upper bound).
    public func transform(_ x: UnsafeMutablePointer<Float>, channels: Int, height: Int, width: Int, drawn: [Double],
                          scratch: UnsafeMutablePointer<Float>, pixelMax: Float?) {
        let plane = height * width, count = channels * plane
        switch self {
        case .randomCrop(let h, let w, let p):
            let (top, left) = (Int(drawn[0]), Int(drawn[1]))
            scratch.update(from: x, count: count)
            for c in 0 ..< channels {
                for y in 0 ..< h {
                    let sy = y + top - p
                    for xo in 0 ..< w {
                        let sx = xo + left - p
                        x[c * plane + y * width + xo] = sy >= 0 && sy < height && sx >= 0 && sx < width ? scratch[c * plane + sy * width + sx] : 0
                    }
                }
            }
        case .flip(let horizontal):
            guard drawn[0] == 1 else { return }
            for c in 0 ..< channels {
                let base = x + c * plane
                if horizontal {
                    for y in 0 ..< height {
                        let row = base + y * width
                        for k in 0 ..< width / 2 { (row[k], row[width - 1 - k]) = (row[width - 1 - k], row[k]) }
                    }
                } else {
                    for y in 0 ..< height / 2 {
                        let (a, b) = (base + y * width, base + (height - 1 - y) * width)
                        for k in 0 ..< width { (a[k], b[k]) = (b[k], a[k]) }
                    }
                }
            }
        case .rotate:
            // torchvision's rotate on a tensor: an inverse affine grid about the image's centre, sampled
            // by grid_sample(mode="nearest", align_corners=False): source = R(θ)·(output − centre) + centre,
            // rounded half to even.
            let angle = drawn[0] * .pi / 180
            let (cosine, sine) = (Float(cos(angle)), Float(sin(angle)))
            let cx = Float(width - 1) / 2, cy = Float(height - 1) / 2
            scratch.update(from: x, count: count)
            for y in 0 ..< height {
                let dy = Float(y) - cy
                for xo in 0 ..< width {
                    let dx = Float(xo) - cx
                    let sx = Int((cosine * dx - sine * dy + cx).rounded(.toNearestOrEven))
                    let sy = Int((sine * dx + cosine * dy + cy).rounded(.toNearestOrEven))
                    let inside = sx >= 0 && sx < width && sy >= 0 && sy < height
                    for c in 0 ..< channels {
                        x[c * plane + y * width + xo] = inside ? scratch[c * plane + sy * width + sx] : 0
                    }
                }
            }
        case .brightness:
            let factor = Float(drawn[0])
            for i in 0 ..< count { x[i] = min(max(x[i] * factor, 0), pixelMax ?? .infinity) }
        }
    }
}
