// How a spec is read: the YAML parser's limits, and whether data and output paths may leave the
// project (--allow-outside-root).

public struct CompileOptions: Sendable {
    public var limits = YAMLLimits()
    public var allowOutsideRoot = false

    public init(limits: YAMLLimits = YAMLLimits(), allowOutsideRoot: Bool = false) {
        self.limits = limits
        self.allowOutsideRoot = allowOutsideRoot
    }
}
