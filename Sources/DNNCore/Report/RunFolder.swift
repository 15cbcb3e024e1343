// `dnnc run --out runs/NAME`: one folder keeps a run together. It holds:
//   spec.yaml          the resolved spec (every default written)
//   log.jsonl          the jsonl log, whatever --log-format shows
//   model.safetensors  the final parameters (and best.safetensors, the lowest validation loss's)
//   events/            TensorBoard's event files
//   cost.svg           the cost curve
//   summary.json       what `dnnc compare` reads: the final and test metrics, the epochs, the time
//   report.html        one self-contained page: the curves, the summary, the classes, the layers' health
// The report has no external resources; a small script counts the charts it drew into
// `data-charts` on <body> and any script error into `data-errors`, which a headless browser can read.

import Foundation
import DNNSyntax
import DNNModel
import DNNCheckpoint
import DNNRuntime

public enum RunFolder {
    /// The report page.
    public static func report(model: ModelIR, summary: String, logs: [EpochLog], costs: [Double],
                              validation: [(epoch: Int, loss: Double)], classes: String?, test: String?, seconds: Double) -> String {
        let lastEpoch = max(costs.count - 1, 1)
        var charts: [(String, String)] = [("cost", Plot.costCurve(costs, validation: validation, title: "\(model.name): cost per epoch"))]
        let layers = logs.last?.layers.map(\.name) ?? []
        if !layers.isEmpty {
            func series(_ value: (LayerHealth) -> Double) -> [(label: String, points: [(epoch: Int, value: Double)])] {
                layers.map { name in
                    (name, logs.compactMap { log in log.layers.first { $0.name == name }.map { (log.epoch, value($0)) } })
                }
            }
            charts.append(("dead", Plot.series(series { Double($0.dead) / Double(max($0.units, 1)) }, lastEpoch: lastEpoch,
                                               title: "dead units per layer", yLabel: "share of the layer's units", logScale: false)))
            charts.append(("gradients", Plot.series(series(\.gradientNorm), lastEpoch: lastEpoch,
                                                    title: "gradient norm per layer", yLabel: "gradient norm (log scale)", logScale: true)))
            charts.append(("updates", Plot.series(series(\.updateRatio), lastEpoch: lastEpoch,
                                                  title: "update / weight ratio per layer", yLabel: "ratio (log scale)", logScale: true)))
        }
        let final = logs.last.map { log in
            [("epochs run", String(log.epoch + 1)), ("final cost", Format.c("%.6g", log.cost))]
                + (log.validationLoss.map { [("validation loss", Format.c("%.6g", $0))] } ?? [])
                + log.metrics.map { ($0.name, Format.c("%.4g", $0.value)) }
        } ?? []
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>\(Plot.escape(model.name)): dnnc run report</title>
            <style>
            body { font-family: sans-serif; margin: 2em; max-width: 1100px; }
            pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
            table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: right; }
            th { text-align: left; } .chart svg { max-width: 100%; height: auto; }
            </style>
            </head>
            <body data-charts="0" data-errors="0">
            <h1>\(Plot.escape(model.name))</h1>
            <p>Trained by dnnc \(DNNCVersion.current) in \(Format.c("%.2f", seconds)) s.</p>
            <h2>Result</h2>
            <table id="result">

            """
        for (name, value) in final { html += "<tr><th>\(Plot.escape(name))</th><td>\(Plot.escape(value))</td></tr>\n" }
        html += "</table>\n"
        if let test { html += "<h2>Test set</h2>\n<pre id=\"test\">\(Plot.escape(test))</pre>\n" }
        html += "<h2>Curves</h2>\n"
        for (id, svg) in charts {
            // The SVG without its XML declaration, inline.
            let body = svg.split(separator: "\n", maxSplits: 1).last.map(String.init) ?? svg
            html += "<div class=\"chart\" id=\"\(id)\">\n\(body)</div>\n"
        }
        if let classes { html += "<h2>Classes</h2>\n<pre id=\"classes\">\(Plot.escape(classes))</pre>\n" }
        html += "<h2>Model</h2>\n<pre id=\"summary\">\(Plot.escape(summary))</pre>\n"
        html += """
            <script>
            window.addEventListener("error", function () { document.body.dataset.errors = String(Number(document.body.dataset.errors) + 1); });
            document.body.dataset.charts = String(document.querySelectorAll(".chart svg polyline").length > 0 ? document.querySelectorAll(".chart svg").length : 0);
            </script>
            </body>
            </html>

            """
        return html
    }

    /// summary.json: the name, the epochs, the time, the final log line's numbers and the test set's.
    public static func summaryJSON(model: ModelIR, last: EpochLog?, test: [Metric]?, testLoss: Double?, seconds: Double) -> String {
        var fields: [(String, JSONValue)] = [("name", .string(model.name)), ("dnnc", .string(DNNCVersion.current)),
                                             ("seconds", .number(seconds))]
        if let last {
            fields += [("epochs", .int(last.epoch + 1)), ("cost", .number(last.cost))]
            if let v = last.validationLoss { fields.append(("val_loss", .number(v))) }
            fields += last.metrics.map { ($0.name, .number($0.value)) }
        }
        if let testLoss { fields.append(("test_loss", .number(testLoss))) }
        fields += (test ?? []).map { ("test_" + $0.name, .number($0.value)) }
        return JSONValue.object(fields).pretty + "\n"
    }
}
