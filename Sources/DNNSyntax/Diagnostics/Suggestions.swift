// Did-you-mean: the known names closest to a misspelt one, by edit distance.

public enum Suggestions {
    /// Edit distance between two strings over their characters, counting insertions, deletions,
    /// substitutions and swaps of two neighbours as one edit each (optimal string alignment), so
    /// `rleu` is one edit from `relu`.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }

    /// Up to three candidates within distance 1 (names of up to 4 characters) or 2 (longer names),
    /// closest first; ties keep the candidates' order.
    public static func closest(to name: String, among candidates: [String]) -> [String] {
        let lowered = name.lowercased()
        let limit = lowered.count <= 4 ? 1 : 2
        let scored = candidates.enumerated().compactMap { index, candidate -> (Int, Int, String)? in
            let distance = editDistance(lowered, candidate.lowercased())
            return distance <= limit ? (distance, index, candidate) : nil
        }
        return scored.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.prefix(3).map(\.2)
    }

    /// A misspelt name's did-you-mean, in words and as fixes of `range` (the name's own text), closest
    /// first; nil help and no fixes when nothing is close.
    public static func guess(_ name: String, among candidates: [String], at range: SourceRange) -> (help: String?, fixes: [FixIt]) {
        let close = closest(to: name, among: candidates)
        return (didYouMean(close), range.isNone ? [] : close.map { FixIt(range, $0) })
    }

    /// "did you mean `relu`?" or nil when nothing is close.
    public static func didYouMean(_ name: String, among candidates: [String]) -> String? {
        didYouMean(closest(to: name, among: candidates))
    }

    private static func didYouMean(_ close: [String]) -> String? {
        close.isEmpty ? nil : "did you mean " + close.map { "`\($0)`" }.joined(separator: " or ") + "?"
    }
}
