// The learning rate of every step: the current phase's lr times its schedule's factor (Ops/Schedules/),
// times a linear warmup over the first batches. ReduceLROnPlateau's factor moves after each epoch's
// monitored value.

import DNNSyntax
import DNNModel
import DNNCheckpoint

/// A class, so that a step reads its schedule in place: a struct held by the trainer would be copied,
/// existential and all, for every step's rate.
public final class LearningRate {
    /// The spec optimizer's lr: the rates a schedule writes (min_lr, max_lr) are relative to it.
    public let base: Double
    public let schedule: LRSchedule
    public let warmup: Int
    public let totalSteps: Int
    /// Read and written by the trainer alone, on its thread (see Trainer's state).
    @exclusivity(unchecked) var plateau = PlateauState()

    public init(base: Double, schedule: LRSchedule, warmup: Int, totalSteps: Int) {
        self.base = base
        self.schedule = schedule
        self.warmup = warmup
        self.totalSteps = totalSteps
    }

    /// The schedule's factor at the batch at `step` (from 0, across epochs) in `epoch` (from 0).
    public func factor(epoch: Int, step: Int) -> Double {
        schedule.rule.factor(epoch: epoch, step: step, totalSteps: totalSteps, base: base, plateau: plateau.factor)
    }

    /// The rate of that batch for an optimizer whose lr is `lr` (the phase's; `base` without phases).
    public func rate(_ lr: Double, epoch: Int, step: Int) -> Double {
        var rate = lr * factor(epoch: epoch, step: step)
        if warmup > 0 && step < warmup { rate *= Double(step + 1) / Double(warmup) }
        return rate
    }

    /// After an epoch: the schedule sees its monitored value.
    public func observe(_ value: Double) {
        schedule.rule.observe(value, &plateau, base: base)
    }
}
