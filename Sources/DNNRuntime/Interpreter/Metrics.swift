// Metrics beside the cost, in the targets' own units: mae, rmse and r2 for regression; accuracy and
// top-5 accuracy for classification, and at the end per-class precision, recall and F1 with the
// confusion matrix. They are measured on the validation set when there is one, else on the training set.

import Foundation
import DNNSyntax
import DNNModel
import DNNCheckpoint

public struct Metric: Sendable, Equatable {
    public var name: String
    public var value: Double

    /// Whether a larger value of the named quantity is better: accuracy, top5, auc, pr_auc and r2 (with
    /// or without `val_`/`test_`); losses, costs and errors (mae, rmse) are better smaller.
    public static func higherIsBetter(_ name: String) -> Bool {
        ["accuracy", "top5", "auc", "pr_auc", "r2"].contains { name == $0 || name.hasSuffix("_" + $0) }
    }
}

/// How a binary loss's output reads as the probability of class 1: itself (bce, after a sigmoid), or
/// the sigmoid of a logit (bce_with_logits).
public enum ProbabilityOfOne: Sendable {
    case itself, sigmoidOfLogit

    public init?(_ loss: Loss) {
        guard loss.isBinary else { return nil }
        self = loss.takesLogits ? .sigmoidOfLogit : .itself
    }

    public func probability(_ output: Float) -> Float {
        switch self {
        case .itself: output
        case .sigmoidOfLogit: 1 / (1 + Foundation.exp(-output))
        }
    }
}

public enum Metrics {
    /// The metrics of the trainer's current parameters: on the validation set when there is one, else on
    /// the training set (from its evaluation pass, which a streamed set reads from disk).
    public static func evaluate(_ model: ModelIR, trainer: Trainer) -> [Metric] {
        trainer.tally(validation: model.validation != nil).metrics(prefix: model.validation == nil ? "" : "val_")
    }

    /// The metrics of predictions (in the targets' units, or class scores) against their targets.
    public static func measure(_ model: ModelIR, predictions: DataMatrix, targets: DataMatrix, prefix: String = "") -> [Metric] {
        var tally = MetricTally(model, targets: targets)
        tally.add(predictions)
        return tally.metrics(prefix: prefix)
    }

    /// The areas under the ROC and precision-recall curves of scores against labels (1 positive, anything
    /// else negative); `areas(positives:negatives:)` says how.
    static func areas(_ scores: [Float], _ labels: [Float]) -> (roc: Double, pr: Double)? {
        let indices = scores.indices
        return areas(positives: indices.filter { labels[$0] == 1 }.map { scores[$0] }, negatives: indices.filter { labels[$0] != 1 }.map { scores[$0] })
    }

    /// The area under the ROC curve (the chance that a positive scores above a negative, ties counting
    /// half: the Mann–Whitney statistic) and the average precision (Σ (Rₙ − Rₙ₋₁)·Pₙ over the distinct
    /// scores from the highest, as scikit-learn's average_precision_score), from the scores of the
    /// positives and of the negatives. Scores may be logits or probabilities: only their order counts.
    /// nil without both a positive and a negative, or with a NaN score (which has no place in the order).
    static func areas(positives: [Float], negatives: [Float]) -> (roc: Double, pr: Double)? {
        guard !positives.isEmpty, !negatives.isEmpty, !positives.contains(where: \.isNaN), !negatives.contains(where: \.isNaN) else { return nil }
        let high = positives.sorted(by: >), low = negatives.sorted(by: >)
        var i = 0, j = 0, truePositives = 0, seen = 0, negativesAbove = 0.0, rocSum = 0.0, pr = 0.0, lastRecall = 0.0
        while i < high.count || j < low.count {
            // A group of equal scores moves the curves at once.
            let score = j == low.count || i < high.count && high[i] >= low[j] ? high[i] : low[j]
            var groupPositives = 0, groupNegatives = 0
            while i < high.count, high[i] == score { groupPositives += 1; i += 1 }
            while j < low.count, low[j] == score { groupNegatives += 1; j += 1 }
            rocSum += Double(groupPositives) * (negativesAbove + Double(groupNegatives) / 2)
            negativesAbove += Double(groupNegatives)
            truePositives += groupPositives
            seen += groupPositives + groupNegatives
            let recall = Double(truePositives) / Double(high.count), precision = Double(truePositives) / Double(seen)
            pr += (recall - lastRecall) * precision
            lastRecall = recall
        }
        // rocSum counts, for each positive, the negatives scored above it; AUC is the share below.
        return (1 - rocSum / Double(high.count * low.count), pr)
    }

    /// A classifier's class probabilities from one output row: the row itself after softmax, its
    /// exponential after log_softmax, else the softmax of the scores (logits).
    public static func probabilities<C: Collection>(_ row: C, after activation: Activation) -> [Float] where C.Element == Float {
        if let own = activation.function.probabilities(Array(row)) { return own }
        let top = row.max() ?? 0
        let e = row.map { Foundation.exp(Double($0 - top)) }
        let sum = e.reduce(0, +)
        return e.map { Float($0 / sum) }
    }

    static func argmax<C: Collection>(_ row: C) -> Int where C.Element == Float, C.Index == Int {
        var best = row.startIndex
        for i in row.indices where row[i] > row[best] { best = i }
        return best - row.startIndex
    }

    /// Per class: precision, recall, F1 and support; then the confusion matrix (rows: true class).
    /// The most classes the report lists one by one, how many it lists beyond that, and the most
    /// classes whose confusion matrix it prints: what is printed stays bounded for any class count.
    public static let listedClasses = 50, shownWhenMany = 20, confusionClasses = 20

    /// The classification report of the trainer's current parameters, on the set `evaluate` measures.
    public static func classificationReport(_ model: ModelIR, trainer: Trainer) -> String {
        trainer.tally(validation: model.validation != nil).classificationReport(set: model.validation == nil ? "training" : "validation")
    }
}

/// The metrics of a set's predictions, added a batch of rows at a time in the rows' order, so that a set
/// streamed from disk is measured without holding its outputs: what a classifier's accuracy and report
/// count is kept per class (and, up to `Metrics.confusionClasses` classes, per pair of classes), a
/// regression's errors as two sums. Only a binary model's ROC and PR areas keep something per row: its
/// score, 4 bytes.
public struct MetricTally: Sendable {
    let model: ModelIR
    /// The whole set's targets, in their own units (held in memory even for a streamed set).
    let targets: DataMatrix
    /// Rows added so far.
    public private(set) var rows = 0

    // A classifier's: the predictions scored (one per row, or per position counted by the loss), the
    // hits among the top 1 and top 5, and per class the hits, the guesses and the targets.
    private let classes: Int
    private let perPosition: Bool
    private var scored = 0, top1 = 0, top5 = 0
    private var hits: [Int], guessed: [Int], actual: [Int]
    /// confusion[label · classes + guess], when the report prints it.
    private var confusion: [Int]

    // A binary model's: values on the right side of the threshold, and one output's scores by label.
    private var binaryHits = 0, binaryValues = 0
    private var positives: [Float] = [], negatives: [Float] = []
    private var labelsAreZeroOrOne = true

    // A regression's sums of absolute and squared errors, in the targets' units.
    private var absolute = 0.0, squared = 0.0

    public init(_ model: ModelIR, targets: DataMatrix) {
        self.model = model
        self.targets = targets
        let P = model.positions
        perPosition = targets.columns == P && (P > 1 || model.loss.ignoreIndex != nil)
        classes = model.loss.isClassification ? (perPosition ? model.outputWidth / P : model.outputWidth) : 0
        hits = [Int](repeating: 0, count: classes)
        guessed = hits
        actual = hits
        confusion = [Int](repeating: 0, count: classes <= Metrics.confusionClasses ? classes * classes : 0)
    }

    /// Adds the predictions of the next `predictions.rows` rows: class scores, or values in the targets' units.
    public mutating func add(_ predictions: DataMatrix) {
        let first = rows
        rows += predictions.rows
        if model.loss.isClassification {
            let P = model.positions, ignored = model.loss.ignoreIndex
            for r in 0 ..< max(0, min(predictions.rows, targets.rows - first)) {
                let row = predictions.row(r), g = first + r
                guard perPosition else {
                    count(row, label: targets.columns == 1 ? Self.label(targets.values[g]) : Metrics.argmax(targets.row(g)))
                    continue
                }
                for p in 0 ..< P {
                    let label = Self.label(targets.values[g * P + p])
                    if let ignored, label == ignored { continue }
                    count(row.dropFirst(p * classes).prefix(classes), label: label)
                }
            }
        } else if model.loss.isBinary {
            // A logit above 0 is a probability above 0.5.
            let threshold: Float = model.loss.takesLogits ? 0 : 0.5
            let scores = predictions.columns == 1
            for (p, t) in zip(predictions.values, targets.values.dropFirst(first * targets.columns)) {
                if (p > threshold) == (t > 0.5) { binaryHits += 1 }
                binaryValues += 1
                guard scores else { continue }
                if t == 1 { positives.append(p) } else if t == 0 { negatives.append(p) } else { labelsAreZeroOrOne = false }
            }
        } else {
            for (p, t) in zip(predictions.values, targets.values.dropFirst(first * targets.columns)) {
                let d = Double(p) - Double(t)
                absolute += abs(d)
                squared += d * d
            }
        }
    }

    /// A class index from a target value; -1 (no class) for one that is not a whole number in range.
    private static func label(_ value: Float) -> Int {
        value.isFinite && value.magnitude < 1e9 ? Int(value) : -1
    }

    /// One scored prediction: its guess (the first highest score), and whether the label is among the
    /// top 1 and the top 5 (a tie ranks the lower class first).
    private mutating func count<C: Collection>(_ row: C, label: Int) where C.Element == Float, C.Index == Int {
        scored += 1
        guard label >= 0, label < classes else { return }
        let own = row[row.startIndex + label]
        var higher = 0
        for i in row.indices where row[i] > own || (row[i] == own && i - row.startIndex < label) { higher += 1 }
        if higher < 1 { top1 += 1 }
        if higher < 5 { top5 += 1 }
        let guess = Metrics.argmax(row)
        actual[label] += 1
        guessed[guess] += 1
        if guess == label { hits[label] += 1 }
        if !confusion.isEmpty { confusion[label * classes + guess] += 1 }
    }

    /// Accuracy (and top-5 accuracy beyond 5 classes) for a classifier; accuracy, and for one output
    /// against labels 0 and 1 the ROC and PR areas, for a binary model; mae, rmse and r2 for a regression.
    public func metrics(prefix: String = "") -> [Metric] {
        if model.loss.isClassification {
            var metrics = [Metric(name: prefix + "accuracy", value: Double(top1) / Double(max(scored, 1)))]
            if classes > 5 { metrics.append(Metric(name: prefix + "top5", value: Double(top5) / Double(max(scored, 1)))) }
            return metrics
        }
        if model.loss.isBinary {
            var metrics = [Metric(name: prefix + "accuracy", value: Double(binaryHits) / Double(max(binaryValues, 1)))]
            if labelsAreZeroOrOne, let (roc, pr) = Metrics.areas(positives: positives, negatives: negatives) {
                metrics += [Metric(name: prefix + "auc", value: roc), Metric(name: prefix + "pr_auc", value: pr)]
            }
            return metrics
        }
        // r2 against the targets' mean, from the targets in memory.
        let seen = targets.values.prefix(rows * targets.columns)
        let n = Double(max(seen.count, 1))
        let mean = seen.reduce(0.0) { $0 + Double($1) } / n
        let total = seen.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
        return [Metric(name: prefix + "mae", value: absolute / n), Metric(name: prefix + "rmse", value: (squared / n).squareRoot()),
                Metric(name: prefix + "r2", value: total > 0 ? 1 - squared / total : 0)]
    }

    /// A classifier's report: per class, precision, recall, F1 and support, then the confusion matrix
    /// (rows: true class), both bounded in size for any count of classes (Metrics.listedClasses).
    public func classificationReport(set: String) -> String {
        let K = classes
        let names = model.classes ?? (0..<K).map(String.init)
        func name(_ k: Int) -> String { Format.printable(k < names.count ? names[k] : String(k)) }
        // Bounded output: every class up to `listedClasses`, else the best supported ones.
        let listed = K <= Metrics.listedClasses ? Array(0..<K)
            : Array((0..<K).sorted { (actual[$0], -$0) > (actual[$1], -$1) }.prefix(Metrics.shownWhenMany)).sorted()
        var rows: [[String]] = [["class", "precision", "recall", "f1", "support"]]
        for k in listed {
            let precision = guessed[k] > 0 ? Double(hits[k]) / Double(guessed[k]) : 0
            let recall = actual[k] > 0 ? Double(hits[k]) / Double(actual[k]) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            rows.append([name(k), Format.c("%.3f", precision), Format.c("%.3f", recall), Format.c("%.3f", f1), String(actual[k])])
        }
        let counted = model.positions > 1 ? "\(scored) positions" : "\(scored) rows"
        var out = "classes (\(set) set, \(counted)):\n"
        out += RunReport.table(rows, rightAligned: [1, 2, 3, 4])
        if listed.count < K {
            out += "(\(K) classes: the \(listed.count) with the most samples are listed)\n"
        }
        if !confusion.isEmpty {
            out += "confusion matrix (rows: true class, columns: predicted):\n"
            var matrix: [[String]] = [[""] + (0..<K).map(name)]
            for k in 0..<K { matrix.append([name(k)] + confusion[k * K ..< (k + 1) * K].map(String.init)) }
            out += RunReport.table(matrix, rightAligned: Set(1...K))
        } else {
            out += "confusion matrix: not printed for \(K) classes (at most \(Metrics.confusionClasses))\n"
        }
        return out
    }
}
