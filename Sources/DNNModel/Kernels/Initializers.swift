// Fills a parameter with its initializer's values, in row-major order, from the initialization stream.
// Fan-scaled initializers use the layer's inputs (fan_in) and units (fan_out) as PyTorch does for Linear.

import DNNSyntax

public enum Initializers {
    public static func fill(_ out: UnsafeMutableBufferPointer<Float>, with initializer: Initializer,
                            fanIn: Int, fanOut: Int, rng: inout RandomStream) {
        func each(_ draw: (inout RandomStream) -> Double) {
            for i in out.indices { out[i] = Float(draw(&rng)) }
        }
        switch initializer {
        case .zeros: out.update(repeating: 0)
        case .ones: out.update(repeating: 1)
        case .constant(let value): out.update(repeating: value)
        case .uniform(let low, let high):
            each { low + (high - low) * $0.uniform() }
        case .normal(let mean, let stddev):
            each { mean + stddev * $0.normal() }
        case .truncatedNormal(let mean, let stddev):
            // Redraw beyond two standard deviations, as tf.truncated_normal does.
            each { rng in
                var z = rng.normal()
                while abs(z) > 2 { z = rng.normal() }
                return mean + stddev * z
            }
        case .glorotUniform:
            let limit = (6.0 / Double(fanIn + fanOut)).squareRoot()
            each { -limit + 2 * limit * $0.uniform() }
        case .glorotNormal:
            let stddev = (2.0 / Double(fanIn + fanOut)).squareRoot()
            each { stddev * $0.normal() }
        case .heUniform:
            let limit = (6.0 / Double(fanIn)).squareRoot()
            each { -limit + 2 * limit * $0.uniform() }
        case .heNormal:
            let stddev = (2.0 / Double(fanIn)).squareRoot()
            each { stddev * $0.normal() }
        }
    }
}
