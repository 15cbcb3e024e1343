// SVG pictures of training: the cost curve of a run and the final costs of a sweep, on a log-scale
// cost axis, with axes, ticks and labels. Plain SVG 1.1, no scripts or fonts to fetch, so any browser
// or image viewer shows it; the same numbers draw the same bytes.

import Foundation
import DNNSyntax
import DNNModel
import DNNCheckpoint
import DNNRuntime

public enum Plot {
    static let width = 720.0, height = 440.0
    static let left = 80.0, right = 24.0, top = 44.0, bottom = 64.0
    static var plotWidth: Double { width - left - right }
    static var plotHeight: Double { height - top - bottom }

    /// The cost of every epoch as a line: one polyline point per epoch; the validation loss, when
    /// given, as a dashed line beside it. The cost is a sum over batches and the validation loss a
    /// mean, so the two lines are compared by their shapes, not their heights.
    public static func costCurve(_ costs: [Double], validation: [(epoch: Int, loss: Double)] = [], title: String) -> String {
        let scale = LogScale(costs + validation.map(\.loss))
        let lastEpoch = Double(max(costs.count - 1, 1))
        func x(_ epoch: Int) -> Double { left + plotWidth * Double(epoch) / lastEpoch }
        var svg = header(title)
        svg += yAxis(scale, label: "cost (log scale)")
        svg += "<g class=\"x-axis\">\n"
        for tick in linearTicks(upTo: costs.count - 1) {
            svg += "<line x1=\"\(n(x(tick)))\" y1=\"\(n(top + plotHeight))\" x2=\"\(n(x(tick)))\" y2=\"\(n(top + plotHeight + 5))\" stroke=\"black\"/>\n"
            svg += "<text x=\"\(n(x(tick)))\" y=\"\(n(top + plotHeight + 20))\" text-anchor=\"middle\">\(tick)</text>\n"
        }
        svg += "<text x=\"\(n(left + plotWidth / 2))\" y=\"\(n(height - 16))\" text-anchor=\"middle\">epoch</text>\n</g>\n"
        let points = costs.enumerated().map { "\(n(x($0.offset))),\(n(scale.y($0.element)))" }
        svg += "<polyline class=\"cost\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.5\" points=\"\(points.joined(separator: " "))\"/>\n"
        if !validation.isEmpty {
            let points = validation.map { "\(n(x($0.epoch))),\(n(scale.y($0.loss)))" }
            svg += "<polyline class=\"validation\" fill=\"none\" stroke=\"#ff7f0e\" stroke-width=\"1.5\" stroke-dasharray=\"6 3\" points=\"\(points.joined(separator: " "))\"/>\n"
            svg += "<text x=\"\(n(width - right))\" y=\"\(n(height - 16))\" text-anchor=\"end\"><tspan fill=\"#1f77b4\">training cost</tspan>  <tspan fill=\"#ff7f0e\">validation loss (dashed)</tspan></text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Each variant's final costs as a column of dots (one per run), with a bar at the median.
    public static func sweep(_ variants: [(label: String, costs: [Double])], title: String) -> String {
        let scale = LogScale(variants.flatMap(\.costs))
        let column = plotWidth / Double(max(variants.count, 1))
        var svg = header(title)
        svg += yAxis(scale, label: "final cost (log scale)")
        for (v, variant) in variants.enumerated() {
            let center = left + column * (Double(v) + 0.5)
            svg += "<g class=\"variant\">\n"
            svg += "<text x=\"\(n(center))\" y=\"\(n(top + plotHeight + 20))\" text-anchor=\"middle\">\(escape(variant.label))</text>\n"
            for (i, cost) in variant.costs.enumerated() {
                // Spread the dots sideways by a fixed pattern, so that equal costs stay visible.
                let offset = (Double((i * 37) % 41) / 40 - 0.5) * column * 0.5
                svg += "<circle cx=\"\(n(center + offset))\" cy=\"\(n(scale.y(cost)))\" r=\"3\" fill=\"#1f77b4\" fill-opacity=\"0.6\"/>\n"
            }
            if let median = variant.costs.median {
                let y = n(scale.y(median))
                svg += "<line class=\"median\" x1=\"\(n(center - column * 0.35))\" y1=\"\(y)\" x2=\"\(n(center + column * 0.35))\" y2=\"\(y)\" stroke=\"#d62728\" stroke-width=\"2\"/>\n"
            }
            svg += "</g>\n"
        }
        let legend = variants.contains { $0.costs.contains(0) } ? "red bar: median; a cost of exactly 0 sits on the bottom edge" : "red bar: median"
        svg += "<text x=\"\(n(width - right))\" y=\"\(n(height - 16))\" text-anchor=\"end\" fill=\"#d62728\">\(legend)</text>\n"
        return svg + "</svg>\n"
    }

    /// Several series over the logged epochs, one polyline each with a legend line: per-layer health in
    /// the run report (gradient norms on a log scale; dead units as a share, on a linear one from 0 to 1).
    public static func series(_ lines: [(label: String, points: [(epoch: Int, value: Double)])], lastEpoch: Int, title: String,
                              yLabel: String, logScale: Bool) -> String {
        let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
        let scale = LogScale(lines.flatMap { $0.points.map(\.value) })
        func y(_ v: Double) -> Double { logScale ? scale.y(v) : top + plotHeight * (1 - min(max(v, 0), 1)) }
        func x(_ epoch: Int) -> Double { left + plotWidth * Double(epoch) / Double(max(lastEpoch, 1)) }
        var svg = header(title)
        if logScale {
            svg += yAxis(scale, label: yLabel)
        } else {
            svg += "<g class=\"y-axis\">\n"
            for tick in [0.0, 0.25, 0.5, 0.75, 1] {
                svg += "<line x1=\"\(n(left - 5))\" y1=\"\(n(y(tick)))\" x2=\"\(n(left + plotWidth))\" y2=\"\(n(y(tick)))\" stroke=\"#dddddd\"/>\n"
                svg += "<text x=\"\(n(left - 8))\" y=\"\(n(y(tick)))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(Format.number(tick))</text>\n"
            }
            svg += "<text transform=\"translate(18,\(n(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(yLabel))</text>\n</g>\n"
        }
        for tick in linearTicks(upTo: lastEpoch) {
            svg += "<text x=\"\(n(x(tick)))\" y=\"\(n(top + plotHeight + 20))\" text-anchor=\"middle\">\(tick)</text>\n"
        }
        for (k, line) in lines.enumerated() {
            let color = colors[k % colors.count]
            let points = line.points.map { "\(n(x($0.epoch))),\(n(y($0.value)))" }.joined(separator: " ")
            svg += "<polyline class=\"series\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(points)\"/>\n"
            svg += "<text x=\"\(n(left + 8))\" y=\"\(n(top + 16 + 14 * Double(k)))\" fill=\"\(color)\">\(escape(line.label))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// A base-10 log scale over the positive finite values, whole decades from the smallest to the
    /// largest. Zero, negative and non-finite values are drawn at the axis's ends.
    struct LogScale {
        var lowDecade: Int
        var highDecade: Int

        init(_ values: [Double]) {
            let positive = values.filter { $0 > 0 && $0.isFinite }
            let low = positive.min() ?? 1, high = positive.max() ?? 1
            lowDecade = Int(log10(low).rounded(.down))
            highDecade = max(Int(log10(high).rounded(.up)), lowDecade + 1)
        }

        func y(_ value: Double) -> Double {
            let decade: Double
            if value.isNaN || value == .infinity { decade = Double(highDecade) }
            else if value <= 0 { decade = Double(lowDecade) }
            else { decade = min(max(log10(value), Double(lowDecade)), Double(highDecade)) }
            return Plot.top + Plot.plotHeight * (Double(highDecade) - decade) / Double(highDecade - lowDecade)
        }
    }

    static func header(_ title: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(n(width / 2))" y="24" text-anchor="middle" font-size="15">\(escape(title))</text>
        <rect x="\(n(left))" y="\(n(top))" width="\(n(plotWidth))" height="\(n(plotHeight))" fill="none" stroke="black"/>

        """
    }

    /// Decade ticks and grid lines, labelled 1e-3, 1e0, ...; at most about ten labels.
    static func yAxis(_ scale: LogScale, label: String) -> String {
        var svg = "<g class=\"y-axis\">\n"
        let every = max(1, (scale.highDecade - scale.lowDecade + 9) / 10)
        for decade in stride(from: scale.lowDecade, through: scale.highDecade, by: every) {
            let y = n(scale.y(pow10(decade)))
            svg += "<line x1=\"\(n(left - 5))\" y1=\"\(y)\" x2=\"\(n(left + plotWidth))\" y2=\"\(y)\" stroke=\"#dddddd\"/>\n"
            svg += "<text x=\"\(n(left - 8))\" y=\"\(y)\" text-anchor=\"end\" dominant-baseline=\"middle\">1e\(decade)</text>\n"
        }
        svg += "<text transform=\"translate(18,\(n(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escape(label))</text>\n"
        return svg + "</g>\n"
    }

    /// Round ticks from 0 to `last`: steps of 1, 2 or 5 times a power of ten, about five of them.
    static func linearTicks(upTo last: Int) -> [Int] {
        guard last > 0 else { return [0] }
        let raw = Double(last) / 5
        let magnitude = pow10(Int(log10(raw).rounded(.down)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? magnitude * 10
        let stepInt = max(1, Int(step))
        return Array(stride(from: 0, through: last, by: stepInt))
    }

    static func pow10(_ k: Int) -> Double {
        var x = 1.0
        for _ in 0..<abs(k) { x *= 10 }
        return k < 0 ? 1 / x : x
    }

    static func log10(_ x: Double) -> Double { Foundation.log10(x) }

    /// Two decimals, enough for pixels.
    static func n(_ x: Double) -> String { Format.c("%.2f", x) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
