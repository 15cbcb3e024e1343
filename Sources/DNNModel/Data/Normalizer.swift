// Per-column normalization fitted on the training set: standard is (x − mean) / std with the
// population std, as scikit-learn's StandardScaler (a constant column is centred, never divided by 0);
// minmax maps each column to [0, 1] (a constant column maps to 0).

import DNNSyntax

public struct Normalizer: Sendable, Equatable {
    public var kind: Normalization
    public var shift: [Double]
    public var scale: [Double]

    public init(kind: Normalization, shift: [Double], scale: [Double]) {
        self.kind = kind
        self.shift = shift
        self.scale = scale
    }

    /// Fits the statistics of each column of `data`; with `scaled`, only the columns it marks (the
    /// others keep shift 0 and scale 1: an encoder's one-hot and 0/1 values).
    public init(_ kind: Normalization, fittedOn data: DataMatrix, scaled: [Bool]? = nil) {
        self.kind = kind
        let n = data.rows, c = data.columns
        shift = [Double](repeating: 0, count: c)
        scale = [Double](repeating: 1, count: c)
        guard kind != .none else { return }
        for j in 0..<c where scaled?[j] ?? true {
            let column = (0..<n).map { Double(data.values[$0 * c + j]) }
            switch kind {
            case .none: break
            case .standard:
                let mean = column.reduce(0, +) / Double(n)
                let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
                shift[j] = mean
                scale[j] = variance > 0 ? variance.squareRoot() : 1
            case .minmax:
                let lo = column.min()!, hi = column.max()!
                shift[j] = lo
                scale[j] = hi > lo ? hi - lo : 1
            }
        }
    }

    /// Fits on a streamed set, reading it `chunk` images at a time: the same sums, in the same order
    /// (row after row for every column), as the in-memory fit, so the same statistics to the bit.
    public init(_ kind: Normalization, fittedOn stream: any SampleStream, chunk: Int = 256) throws(DataFileError) {
        self.kind = kind
        let n = stream.count, c = stream.sampleSize
        shift = [Double](repeating: 0, count: c)
        scale = [Double](repeating: 1, count: c)
        guard kind != .none, n > 0 else { return }
        var buffer = [Float](repeating: 0, count: min(chunk, n) * c)
        /// Calls body(row) for every row, in order.
        func pass(_ body: (UnsafeBufferPointer<Float>) -> Void) throws(DataFileError) {
            for start in stride(from: 0, to: n, by: chunk) {
                let rows = start ..< min(start + chunk, n)
                try buffer.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Float>) throws(DataFileError) in
                    try stream.decode(rows, into: b.baseAddress!)
                    for k in 0 ..< rows.count { body(UnsafeBufferPointer(rebasing: b[k * c ..< (k + 1) * c])) }
                }
            }
        }
        switch kind {
        case .none: break
        case .standard:
            var sums = [Double](repeating: 0, count: c)
            try pass { row in for j in 0 ..< c { sums[j] += Double(row[j]) } }
            let means = sums.map { $0 / Double(n) }
            var squares = [Double](repeating: 0, count: c)
            try pass { row in for j in 0 ..< c { squares[j] += (Double(row[j]) - means[j]) * (Double(row[j]) - means[j]) } }
            for j in 0 ..< c {
                shift[j] = means[j]
                scale[j] = squares[j] / Double(n) > 0 ? (squares[j] / Double(n)).squareRoot() : 1
            }
        case .minmax:
            var low = [Double](repeating: .infinity, count: c), high = [Double](repeating: -.infinity, count: c)
            try pass { row in for j in 0 ..< c { low[j] = min(low[j], Double(row[j])); high[j] = max(high[j], Double(row[j])) } }
            for j in 0 ..< c {
                shift[j] = low[j]
                scale[j] = high[j] > low[j] ? high[j] - low[j] : 1
            }
        }
    }

    public func apply(_ m: DataMatrix) -> DataMatrix {
        guard kind != .none else { return m }
        var out = m
        out.values.withUnsafeMutableBufferPointer { values in
            for r in 0 ..< m.rows { apply(row: values.baseAddress! + r * m.columns) }
        }
        return out
    }

    /// Normalizes one row of `shift.count` values in place (the trainer's augmented rows).
    public func apply(row: UnsafeMutablePointer<Float>) {
        guard kind != .none else { return }
        for j in 0 ..< shift.count { row[j] = Float((Double(row[j]) - shift[j]) / scale[j]) }
    }

    /// Targets as a network with this target normalization trains on them: class indices (one
    /// column under a classification loss) as they are, anything else normalized.
    public func applyToTargets(_ m: DataMatrix, of loss: Loss) -> DataMatrix {
        loss.targetsAreIndices(columns: m.columns) ? m : apply(m)
    }

    public func invert(_ m: DataMatrix) -> DataMatrix {
        guard kind != .none else { return m }
        var out = m
        for i in out.values.indices {
            let j = i % m.columns
            out.values[i] = Float(Double(m.values[i]) * scale[j] + shift[j])
        }
        return out
    }
}

extension Collection where Element == Double {
    /// The median (the mean of the middle two for an even count, as numpy's); nil when empty. The one
    /// definition: an empty cell's `median` fill, a sweep's summary and its plot.
    public var median: Double? {
        guard !isEmpty else { return nil }
        let sorted = self.sorted(), mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }
}
