// A layer's activation forward and backward, dispatched to its type (Ops/Activations/), which holds
// the loops: z is the pre-activation and a = f(z), both (B, S) with S the size of one sample of `shape`.

import DNNSyntax

public enum ActivationKernel {
    /// a = f(z) for a batch of B samples of `shape`.
    public static func forward(_ activation: Activation, z: UnsafePointer<Float>, a: UnsafeMutablePointer<Float>,
                               slope: UnsafePointer<Float>?, B: Int, shape: [Int]) {
        activation.function.forward(z: z, a: a, slope: slope, B: B, shape: shape)
    }

    /// dz = ∂L/∂z from da = ∂L/∂a; prelu also adds into dslope.
    public static func backward(_ activation: Activation, z: UnsafePointer<Float>, a: UnsafePointer<Float>,
                                da: UnsafePointer<Float>, dz: UnsafeMutablePointer<Float>,
                                slope: UnsafePointer<Float>?, dslope: UnsafeMutablePointer<Float>?, B: Int, shape: [Int]) {
        activation.function.backward(z: z, a: a, da: da, dz: dz, slope: slope, dslope: dslope, B: B, shape: shape)
    }
}
