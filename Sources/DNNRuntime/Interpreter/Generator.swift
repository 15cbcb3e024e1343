// Text from a character model (`dnnc generate`): the prompt's characters as indices, then one character
// at a time, each drawn from the model's distribution at the last position it has read.
//
// The window: a model that scores every position ([context, classes]) reads the prompt from position 0
// with the rest of the window at index 0 and is read at the prompt's last character, so a causal model
// (causal attention, a forward recurrent layer) sees exactly the prompt; past `context` characters it
// reads the last `context`. A model that scores only the window's next character ([classes]) needs a
// full window, the last `context` characters.
//
// The draw: p = the output's probabilities (Metrics.probabilities), restricted to the vocabulary;
// temperature T rescales log p (p_i ∝ exp(log p_i / T)); T = 0 takes the most likely character (the
// first on ties); top-k keeps the k most likely (ties to the lower index). One uniform draw from stream
// 4 of the seed picks the character where the cumulative probability, in index order, passes it.

import Foundation
import DNNSyntax
import DNNModel

public struct GenerationError: Error, CustomStringConvertible {
    public var description: String
    public var help: String?
}

public struct Generator {
    public let predictor: Predictor
    /// The vocabulary, in class order.
    public let vocabulary: [Unicode.Scalar]
    public let context: Int
    public var temperature: Double
    public var topK: Int?

    /// A generator for a model trained on a text, with the vocabulary its checkpoint carries.
    public init(predictor: Predictor, temperature: Double, topK: Int?) throws(GenerationError) {
        let model = predictor.model
        guard let context = model.textContext else {
            throw GenerationError(description: "`generate` samples from a model trained on a text; \(model.name)'s data.train is not one",
                                  help: "train on `data.train: {text: corpus.txt, context: 64}`")
        }
        let classes = predictor.classes ?? []
        var vocabulary: [Unicode.Scalar] = []
        for name in classes {
            guard name.unicodeScalars.count == 1 else {
                throw GenerationError(description: "the checkpoint's classes are not characters (`\(Format.printable(name))`)", help: nil)
            }
            vocabulary.append(name.unicodeScalars.first!)
        }
        self.predictor = predictor
        self.vocabulary = vocabulary
        self.context = context
        self.temperature = temperature
        self.topK = topK
    }

    /// The prompt's characters as class indices; one outside the vocabulary is an error naming it.
    public func indices(_ prompt: String) throws(GenerationError) -> [Int] {
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })
        var out: [Int] = []
        for (offset, c) in prompt.unicodeScalars.enumerated() {
            guard let k = index[c] else {
                throw GenerationError(description: "the prompt's character \(offset + 1), \(TextCorpus.describe(c)), is not in the model's vocabulary",
                                      help: "its characters are " + vocabulary.map { Format.printable(String($0)) }.joined())
            }
            out.append(k)
        }
        return out
    }

    /// `length` characters after the prompt, drawn with `seed`.
    public func generate(prompt: String, length: Int, seed: UInt64) throws(GenerationError) -> String {
        var ids = try indices(prompt)
        let perPosition = predictor.model.positions > 1
        if perPosition, ids.isEmpty {
            throw GenerationError(description: "the prompt is empty; the model reads at least one character", help: "give --prompt a character or more")
        }
        if !perPosition, ids.count < context {
            throw GenerationError(description: "the prompt has \(ids.count) character\(ids.count == 1 ? "" : "s"), but this model reads windows of \(context) (it scores the character after a whole window)",
                                  help: "give a prompt of at least \(context) characters")
        }
        var rng = RandomStream(seed: seed, stream: RandomStream.generation)
        let V = predictor.model.classWidth
        var out = ""
        for _ in 0 ..< length {
            let window = Array(ids.suffix(context))
            let read = perPosition ? window.count - 1 : 0
            let row = window.map(Float.init) + [Float](repeating: 0, count: context - window.count)
            let scores: [Float]
            do { scores = try predictor.outputs(row, rows: 1) } catch {
                throw GenerationError(description: error.description, help: nil)
            }
            let k = draw(Array(scores[read * V ..< (read + 1) * V]), &rng)
            ids.append(k)
            out.unicodeScalars.append(vocabulary[k])
        }
        return out
    }

    /// A class from one position's scores, as the header says.
    func draw(_ scores: [Float], _ rng: inout RandomStream) -> Int {
        let p = predictor.probabilities(scores[...]).prefix(vocabulary.count).map(Double.init)
        var order = Array(p.indices)
        if temperature == 0 { return order.max { p[$0] < p[$1] || (p[$0] == p[$1] && $0 > $1) }! }
        var weights = p.map { $0 > 0 ? Foundation.exp(Foundation.log($0) / temperature) : 0 }
        if let topK, topK < weights.count {
            order.sort { weights[$0] > weights[$1] || (weights[$0] == weights[$1] && $0 < $1) }
            for i in order[topK...] { weights[i] = 0 }
        }
        let total = weights.reduce(0, +)
        guard total > 0 else { return 0 }
        let u = rng.uniform() * total
        var sum = 0.0
        for (i, w) in weights.enumerated() where w > 0 {
            sum += w
            if u < sum { return i }
        }
        return weights.lastIndex { $0 > 0 }!
    }
}
