// The one random generator behind every draw in dnnc: xoshiro256** (Blackman & Vigna, 2018), its
// state filled by SplitMix64 from the spec's seed and a stream number, so initialization (stream 0),
// shuffling (1), dropout (2), the validation split (3), `dnnc generate` (4) and augmentation (5) never disturb each other. Documented in
// grammar/README.md.

import Foundation
import DNNSyntax

public struct RandomStream: Sendable {
    public static let initialization: UInt64 = 0
    public static let shuffling: UInt64 = 1
    public static let dropout: UInt64 = 2
    public static let validationSplit: UInt64 = 3
    /// `dnnc generate`'s draws, from its --seed.
    public static let generation: UInt64 = 4
    /// `data.augment`'s draws, sample after sample (Data/Augmentation.swift).
    public static let augmentation: UInt64 = 5

    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64, stream: UInt64) {
        var x = seed ^ (stream &* 0xD1B5_4A32_D192_ED03)
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The generator's state, for a checkpoint to save and restore.
    public var state: [UInt64] {
        get { [s.0, s.1, s.2, s.3] }
        set { s = (newValue[0], newValue[1], newValue[2], newValue[3]) }
    }

    /// Uniform on [0, 1) with 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal by Box–Muller, one value per two uniforms (the sine branch is not used).
    public mutating func normal() -> Double {
        let u1 = 1.0 - uniform()  // (0, 1], so the logarithm is finite
        let u2 = uniform()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }

    /// Uniform integer in 0..<bound, unbiased (Lemire's multiply-and-reject).
    public mutating func index(below bound: Int) -> Int {
        precondition(bound > 0)
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }
}

