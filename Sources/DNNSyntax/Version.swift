// dnnc's own version, printed by `dnnc --version` and written into SARIF logs.

public enum DNNCVersion {
    public static let current = "0.1.0"
}
