// Did-you-mean: the known names closest to a misspelt one, by edit distance.

public enum Suggestions {
    /// Levenshtein distance between two strings, over their characters.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
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

    /// "did you mean `relu`?" or nil when nothing is close.
    public static func didYouMean(_ name: String, among candidates: [String]) -> String? {
        let close = closest(to: name, among: candidates)
        guard !close.isEmpty else { return nil }
        return "did you mean " + close.map { "`\($0)`" }.joined(separator: " or ") + "?"
    }
}
