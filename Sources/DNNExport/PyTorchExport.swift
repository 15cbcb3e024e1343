// The spec as one PyTorch program (filled in below).

import DNNCore

public enum PyTorchExport {
    public static func program(_ model: ModelIR, specPath: String, outputPath: String) -> String { "" }
}
