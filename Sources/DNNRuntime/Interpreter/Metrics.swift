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
    /// The metrics of the trainer's current parameters.
    public static func evaluate(_ model: ModelIR, trainer: Trainer) -> [Metric] {
        let set = model.validation ?? model.train
        let prefix = model.validation == nil ? "" : "val_"
        return measure(model, predictions: trainer.predict(set.inputs), targets: set.targets, prefix: prefix)
    }

    /// The metrics of predictions (in the targets' units, or class scores) against their targets.
    public static func measure(_ model: ModelIR, predictions: DataMatrix, targets: DataMatrix, prefix: String = "") -> [Metric] {
        if model.loss.isClassification {
            let (predictions, labels) = scored(model, predictions, targets)
            var metrics = [Metric(name: prefix + "accuracy", value: accuracy(predictions, labels, k: 1))]
            if predictions.columns > 5 { metrics.append(Metric(name: prefix + "top5", value: accuracy(predictions, labels, k: 5))) }
            return metrics
        }
        if model.loss.isBinary {
            // A logit above 0 is a probability above 0.5.
            let threshold: Float = model.loss.takesLogits ? 0 : 0.5
            let hits = zip(predictions.values, targets.values).filter { ($0 > threshold) == ($1 > 0.5) }.count
            var metrics = [Metric(name: prefix + "accuracy", value: Double(hits) / Double(max(predictions.values.count, 1)))]
            // One output against labels 0 and 1: the areas under the ROC and precision-recall curves.
            if predictions.columns == 1, targets.values.allSatisfy({ $0 == 0 || $0 == 1 }), let (roc, pr) = areas(predictions.values, targets.values) {
                metrics += [Metric(name: prefix + "auc", value: roc), Metric(name: prefix + "pr_auc", value: pr)]
            }
            return metrics
        }
        var absolute = 0.0, squared = 0.0, mean = 0.0
        let n = Double(max(targets.values.count, 1))
        for (p, t) in zip(predictions.values, targets.values) {
            let d = Double(p) - Double(t)
            absolute += abs(d)
            squared += d * d
            mean += Double(t)
        }
        mean /= n
        let total = targets.values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) }
        return [Metric(name: prefix + "mae", value: absolute / n), Metric(name: prefix + "rmse", value: (squared / n).squareRoot()),
                Metric(name: prefix + "r2", value: total > 0 ? 1 - squared / total : 0)]
    }

    /// The area under the ROC curve (the chance that a positive scores above a negative, ties counting
    /// half: the Mann–Whitney statistic) and the average precision (Σ (Rₙ − Rₙ₋₁)·Pₙ over the distinct
    /// scores from the highest, as scikit-learn's average_precision_score). Scores may be logits or
    /// probabilities: only their order counts. nil without both a positive and a negative.
    static func areas(_ scores: [Float], _ labels: [Float]) -> (roc: Double, pr: Double)? {
        let positives = labels.filter { $0 == 1 }.count, negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var truePositives = 0, seen = 0, negativesAbove = 0.0, rocSum = 0.0, pr = 0.0, lastRecall = 0.0
        var i = 0
        while i < order.count {
            // A group of equal scores moves the curves at once.
            var j = i, groupPositives = 0
            while j < order.count, scores[order[j]] == scores[order[i]] {
                if labels[order[j]] == 1 { groupPositives += 1 }
                j += 1
            }
            let groupNegatives = (j - i) - groupPositives
            rocSum += Double(groupPositives) * (negativesAbove + Double(groupNegatives) / 2)
            negativesAbove += Double(groupNegatives)
            truePositives += groupPositives
            seen = j
            let recall = Double(truePositives) / Double(positives), precision = Double(truePositives) / Double(seen)
            pr += (recall - lastRecall) * precision
            lastRecall = recall
            i = j
        }
        // rocSum counts, for each positive, the negatives scored above it; AUC is the share below.
        return (1 - rocSum / Double(positives * negatives), pr)
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

    /// A classifier's scores with their class labels, a row per prediction: per position when the loss
    /// takes every position's class (ModelIR.positions), leaving out targets the loss ignores.
    static func scored(_ model: ModelIR, _ scores: DataMatrix, _ targets: DataMatrix) -> (DataMatrix, [Int]) {
        let P = model.positions, ignored = model.loss.ignoreIndex
        guard targets.columns == P, P > 1 || ignored != nil else { return (scores, classLabels(targets)) }
        let V = scores.columns / P
        var values: [Float] = [], labels: [Int] = []
        for i in 0 ..< scores.rows * P where ignored.map({ Int(targets.values[i]) != $0 }) ?? true {
            values += scores.values[i * V ..< (i + 1) * V]
            labels.append(Int(targets.values[i]))
        }
        return (DataMatrix(rows: labels.count, columns: V, values: values), labels)
    }

    /// Class indices from one column of indices or from one-hot (probability) rows.
    static func classLabels(_ targets: DataMatrix) -> [Int] {
        if targets.columns == 1 { return targets.values.map { Int($0) } }
        return (0..<targets.rows).map { argmax(targets.row($0)) }
    }

    static func argmax<C: Collection>(_ row: C) -> Int where C.Element == Float, C.Index == Int {
        var best = row.startIndex
        for i in row.indices where row[i] > row[best] { best = i }
        return best - row.startIndex
    }

    /// The share of rows whose label is among the k highest scores.
    static func accuracy(_ scores: DataMatrix, _ labels: [Int], k: Int) -> Double {
        var hits = 0
        for r in 0..<scores.rows {
            let row = Array(scores.row(r))
            let label = labels[r]
            let higher = row.indices.filter { row[$0] > row[label] || (row[$0] == row[label] && $0 < label) }.count
            if higher < k { hits += 1 }
        }
        return Double(hits) / Double(max(scores.rows, 1))
    }

    /// Per class: precision, recall, F1 and support; then the confusion matrix (rows: true class).
    /// The most classes the report lists one by one, how many it lists beyond that, and the most
    /// classes whose confusion matrix it prints: what is printed stays bounded for any class count.
    public static let listedClasses = 50, shownWhenMany = 20, confusionClasses = 20

    public static func classificationReport(_ model: ModelIR, trainer: Trainer) -> String {
        let set = model.validation ?? model.train
        let (scores, labels) = scored(model, trainer.predict(set.inputs), set.targets)
        let K = scores.columns
        // Per-class counts in O(rows + K): a K×K matrix is built only when it is printed.
        var tp = [Int](repeating: 0, count: K), predicted = tp, actual = tp
        var guesses = [Int](repeating: 0, count: scores.rows)
        for r in 0..<scores.rows {
            let guess = argmax(scores.row(r))
            guesses[r] = guess
            actual[labels[r]] += 1
            predicted[guess] += 1
            if guess == labels[r] { tp[labels[r]] += 1 }
        }
        let names = model.classes ?? (0..<K).map(String.init)
        func name(_ k: Int) -> String { Format.printable(k < names.count ? names[k] : String(k)) }
        // Bounded output: every class up to `listedClasses`, else the best supported ones.
        let listed = K <= listedClasses ? Array(0..<K) : Array((0..<K).sorted { (actual[$0], -$0) > (actual[$1], -$1) }.prefix(shownWhenMany)).sorted()
        var rows: [[String]] = [["class", "precision", "recall", "f1", "support"]]
        for k in listed {
            let precision = predicted[k] > 0 ? Double(tp[k]) / Double(predicted[k]) : 0
            let recall = actual[k] > 0 ? Double(tp[k]) / Double(actual[k]) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            rows.append([name(k), Format.c("%.3f", precision), Format.c("%.3f", recall), Format.c("%.3f", f1), String(actual[k])])
        }
        let counted = model.positions > 1 ? "\(scores.rows) positions" : "\(scores.rows) rows"
        var out = "classes (\(model.validation == nil ? "training" : "validation") set, \(counted)):\n"
        out += RunReport.table(rows, rightAligned: [1, 2, 3, 4])
        if listed.count < K {
            out += "(\(K) classes: the \(listed.count) with the most samples are listed)\n"
        }
        if K <= confusionClasses {
            var confusion = [[Int]](repeating: [Int](repeating: 0, count: K), count: K)
            for r in 0..<scores.rows { confusion[labels[r]][guesses[r]] += 1 }
            out += "confusion matrix (rows: true class, columns: predicted):\n"
            var matrix: [[String]] = [[""] + (0..<K).map(name)]
            for k in 0..<K { matrix.append([name(k)] + confusion[k].map(String.init)) }
            out += RunReport.table(matrix, rightAligned: Set(1...K))
        } else {
            out += "confusion matrix: not printed for \(K) classes (at most \(confusionClasses))\n"
        }
        return out
    }
}
