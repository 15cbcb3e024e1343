// A one-line progress bar for `dnnc run` on a terminal: epoch, cost, ETA and steps per second,
// redrawn in place at most ten times a second; log lines are printed above it.

import DNNCore
import Foundation

final class ProgressBar {
    let epochs: Int
    let stepsPerEpoch: Int
    let started = DispatchTime.now().uptimeNanoseconds
    var lastDraw: UInt64 = 0
    var shown = false

    init(epochs: Int, stepsPerEpoch: Int) {
        self.epochs = epochs
        self.stepsPerEpoch = stepsPerEpoch
    }

    /// Called after every epoch; draws when 100 ms have passed since the last drawing, and at the end.
    func update(epoch: Int, cost: Double) {
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - lastDraw >= 100_000_000 || epoch == epochs - 1 else { return }
        lastDraw = now
        let seconds = Double(now - started) / 1e9
        Console.out("\r\u{1B}[2K" + RunReport.progressLine(epoch: epoch, epochs: epochs, cost: cost, seconds: seconds,
                                                     steps: (epoch + 1) * stepsPerEpoch))
        shown = true
    }

    /// Prints a log line above the bar.
    func print(_ text: String) {
        Console.out((shown ? "\r\u{1B}[2K" : "") + text)
        shown = false
    }

    /// Removes the bar.
    func finish() {
        if shown { Console.out("\r\u{1B}[2K") }
        shown = false
    }
}
