// `dnnc run --out runs/NAME` keeps a run together; its report renders in a real browser; `dnnc compare`
// says what differs between two runs.

import Foundation
import Testing

struct RunFolderTests {
    /// Debian's Chromium, which .ci/run installs (DNNC_REQUIRE_CHROMIUM=1 there makes its absence a failure).
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let chromiumRequired = ProcessInfo.processInfo.environment["DNNC_REQUIRE_CHROMIUM"] == "1"

    @Test func aRunFolderHoldsTheRunAndCompareSaysWhatDiffers() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let a = folder.appendingPathComponent("a").path, b = folder.appendingPathComponent("b").path
        let first = try Binary.run(["run", "specs/tabular/iris.yaml", "--out", a, "--set", "train.epochs=30", "--no-progress"])
        #expect(first.status == 0, "\(first.stderr)")
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: a))
        #expect(files == ["spec.yaml", "log.jsonl", "model.safetensors", "events", "cost.svg", "summary.json", "report.html"])
        // The jsonl log is the one --log-format jsonl prints, whatever the terminal showed.
        let jsonl = try Binary.run(["run", "specs/tabular/iris.yaml", "--set", "train.epochs=30", "--log-format", "jsonl", "--no-progress"])
        let logged = try String(contentsOfFile: a + "/log.jsonl", encoding: .utf8)
        #expect(jsonl.stdout.hasPrefix(logged) && logged.split(separator: "\n").count == 3)  // epochs 0, 20 and 29
        let resolved = try String(contentsOfFile: a + "/spec.yaml", encoding: .utf8)
        #expect(resolved.contains("epochs: 30") && resolved.contains("resolved by dnnc"))
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: a + "/summary.json"))) as? [String: Any])
        #expect(summary["epochs"] as? Int == 30 && summary["test_accuracy"] != nil && summary["accuracy"] != nil)
        let report = try String(contentsOfFile: a + "/report.html", encoding: .utf8)
        for id in ["cost", "dead", "gradients", "updates"] { #expect(report.contains("<div class=\"chart\" id=\"\(id)\">")) }
        #expect(report.contains("<pre id=\"classes\">") && report.contains("confusion matrix"))
        // A second run with another learning rate: compare names the key and sets the numbers side by side.
        #expect(try Binary.run(["run", "specs/tabular/iris.yaml", "--out", b, "--set", "train.epochs=30", "--set", "train.optimizer.adam.lr=0.003", "--no-progress"]).status == 0)
        let compared = try Binary.run(["compare", a, b])
        #expect(compared.status == 0 && compared.stdout.hasPrefix("spec (\(a) → \(b)):\n  train.optimizer.adam.lr: 0.01 → 0.003\nresults:\n"), "\(compared.stdout)")
        #expect(compared.stdout.contains("  test_accuracy ") && compared.stdout.contains("  time (s) "))
        // A folder that holds something already is not overwritten.
        let again = try Binary.run(["run", "specs/tabular/iris.yaml", "--out", a, "--no-progress"])
        #expect(again.status == 2 && again.stderr.contains("already exists and is not an empty folder"))
        #expect(try Binary.run(["compare", a, folder.path]).status == 2)
    }

    @Test(.enabled(if: chromium != nil || chromiumRequired, "Chromium is not installed here (Debian's `chromium`; .ci/run installs it)"))
    func theReportRendersItsChartsInAHeadlessBrowser() throws {
        let browser = try #require(Self.chromium, "DNNC_REQUIRE_CHROMIUM=1, but /usr/bin/chromium is missing")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = folder.appendingPathComponent("run").path
        #expect(try Binary.run(["run", "specs/tabular/iris.yaml", "--out", run, "--set", "train.epochs=20", "--no-progress"]).status == 0)
        let page = "file://" + run + "/report.html", flags = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + folder.appendingPathComponent("profile").path]
        // The page's script counts the charts it finds and the script errors it sees into <body>.
        let dom = try Binary.run(flags + ["--dump-dom", page], executable: browser)
        #expect(dom.stdout.contains("<body data-charts=\"4\" data-errors=\"0\">"), "\(dom.stdout.prefix(400)) \(dom.stderr.suffix(400))")
        #expect(dom.stdout.components(separatedBy: "<polyline").count - 1 >= 5)
        let shot = folder.appendingPathComponent("shot.png").path
        let screenshot = try Binary.run(flags + ["--screenshot=" + shot, "--window-size=1200,2400", page], executable: browser)
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] && png.count > 20_000, "\(screenshot.stderr.suffix(400))")
    }
}
