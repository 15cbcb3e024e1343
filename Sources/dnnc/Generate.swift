// `dnnc generate`: text from a character model trained on `data.train: {text, context}`.

import ArgumentParser
import DNNCore
import Foundation

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a prompt with a character model.",
        discussion: """
            Samples --length characters after --prompt from a model trained on a text, one at a time, each \
            from the model's probabilities at the last character it read, rescaled by --temperature (0: \
            always the most likely) and cut to the --top-k most likely. The same seed gives the same text. \
            Prints the prompt and what follows it.
            """)

    @OptionGroup var model: TrainedModelOptions

    @Option(help: "The text to continue; every character must be in the model's vocabulary.")
    var prompt: String

    @Option(help: "Characters to generate.")
    var length: Int = 100

    @Option(help: "Divides the log-probabilities: below 1 sharper, above 1 flatter; 0 takes the most likely.")
    var temperature: Double = 1

    @Option(name: .customLong("top-k"), help: "Draw only from the k most likely characters.")
    var topK: Int?

    @Option(help: "Seeds the draws.")
    var seed: UInt64 = 0

    func validate() throws {
        guard (0 ... 1_000_000).contains(length) else { throw ValidationError("--length must be from 0 to 1000000, found \(length)") }
        guard temperature.isFinite, temperature >= 0 else { throw ValidationError("--temperature must be a finite number from 0, found \(temperature)") }
        if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1, found \(topK)") }
    }

    func run() throws {
        let (ir, checkpoint) = try model.load()
        let predictor: Predictor
        do { predictor = try Predictor(model: ir, checkpoint: checkpoint, batch: 1) } catch {
            throw Console.fail("cannot use \(model.weights): \(error)")
        }
        let result = Result { () throws(GenerationError) -> String in
            let generator = try Generator(predictor: predictor, temperature: temperature, topK: topK)
            return try generator.generate(prompt: prompt, length: length, seed: seed)
        }
        switch result {
        case .success(let text): Console.out(prompt + text + "\n")
        case .failure(let error): throw Console.fail(error.description + (error.help.map { "\n  help: \($0)" } ?? ""))
        }
    }
}
