// The learning rate of every step, as torch.optim.lr_scheduler computes it: epoch-based schedules in
// their closed forms (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR), OneCycleLR per batch,
// ReduceLROnPlateau after each epoch's monitored value; a linear warmup multiplies the first batches.

import Foundation

public struct LearningRate: Sendable {
    public let base: Double
    public let schedule: LRSchedule
    public let warmup: Int
    public let totalSteps: Int
    /// ReduceLROnPlateau's state: the lr it has reached, the best value and the epochs since it.
    var plateauLR: Double
    var best = Double.infinity
    var badEpochs = 0

    public init(base: Double, schedule: LRSchedule, warmup: Int, totalSteps: Int) {
        self.base = base
        self.schedule = schedule
        self.warmup = warmup
        self.totalSteps = totalSteps
        plateauLR = base
    }

    /// The lr of the batch at `step` (from 0, across epochs) in `epoch` (from 0).
    public func rate(epoch: Int, step: Int) -> Double {
        var lr: Double
        switch schedule {
        case .constant: lr = base
        case .step(let every, let gamma): lr = base * pow(gamma, Double(epoch / every))
        case .multistep(let milestones, let gamma): lr = base * pow(gamma, Double(milestones.filter { $0 <= epoch }.count))
        case .exponential(let gamma): lr = base * pow(gamma, Double(epoch))
        case .cosine(let tMax, let minLR): lr = minLR + (base - minLR) * (1 + cos(Double.pi * Double(epoch) / Double(tMax))) / 2
        case .oneCycle(let maxLR, let pctStart, let divFactor, let finalDivFactor):
            let initial = maxLR / divFactor, final = initial / finalDivFactor
            let peak = pctStart * Double(totalSteps) - 1, end = Double(totalSteps - 1)
            let s = Double(min(step, totalSteps - 1))
            func anneal(_ from: Double, _ to: Double, _ pct: Double) -> Double { to + (from - to) / 2 * (1 + cos(Double.pi * pct)) }
            lr = s <= peak ? anneal(initial, maxLR, peak > 0 ? s / peak : 1) : anneal(maxLR, final, (s - peak) / max(end - peak, 1))
        case .reduceOnPlateau: lr = plateauLR
        }
        if warmup > 0 && step < warmup { lr *= Double(step + 1) / Double(warmup) }
        return lr
    }

    /// After an epoch: ReduceLROnPlateau sees the monitored value (mode min, relative threshold).
    public mutating func observe(_ value: Double) {
        guard case .reduceOnPlateau(_, let factor, let patience, let threshold, let minLR) = schedule, value.isFinite else { return }
        if value < best * (1 - threshold) {
            best = value
            badEpochs = 0
        } else {
            badEpochs += 1
            if badEpochs > patience {
                plateauLR = max(plateauLR * factor, minLR)
                badEpochs = 0
            }
        }
    }
}
