// The catalog of diagnostic codes: stable identities, grouped by the stage that reports them.
// E01xx YAML, E02xx schema (keys, types, values), E03xx shapes and data, E04xx training.
// E is an error (the spec cannot run as written), W a warning (it runs but is likely wrong);
// within a stage errors count from 01 and warnings from 50. A code, once published, keeps its meaning.

public enum DiagnosticCode: String, Sendable, CaseIterable {
    // YAML
    case yamlSyntax = "E0101"
    case duplicateKey = "E0102"
    case undefinedAlias = "E0103"
    case aliasBudget = "E0104"
    case unsupportedTag = "E0105"
    case multipleDocuments = "E0106"
    case emptyDocument = "E0107"
    case nestingTooDeep = "E0108"
    case unusedSuppression = "W0150"
    case invalidSuppression = "W0151"
    // Schema
    case wrongType = "E0201"
    case unknownKey = "E0202"
    case unknownKind = "E0203"
    case missingKey = "E0204"
    case outOfRange = "E0205"
    case unsupportedVersion = "E0206"
    case malformedChoice = "E0207"
    case duplicateName = "E0208"
    case invalidNumber = "E0209"
    // Shapes and data
    case inputWidth = "E0301"
    case rowCountMismatch = "E0302"
    case outputWidth = "E0303"
    case raggedRows = "E0304"
    case emptyData = "E0305"
    case modelTooLarge = "E0306"
    case unscaledInputs = "W0350"
    case unscaledTargets = "W0351"
    case bottleneck = "W0352"
    case unreachableTargets = "W0353"
    case dyingOutput = "W0354"
    case symmetricInit = "W0355"
    // Training
    case invalidOptimizer = "E0401"
    case batchLargerThanData = "E0402"
    case implausibleLearningRate = "W0450"
    case logEveryBeyondEpochs = "W0451"

    public var severity: Severity { rawValue.hasPrefix("W") ? .warning : .error }

    /// One line on what the code means, for listings and the reference.
    public var summary: String {
        switch self {
        case .yamlSyntax: "the file is not well-formed YAML"
        case .duplicateKey: "a mapping has the same key twice"
        case .undefinedAlias: "an alias names an anchor that was not defined before it"
        case .aliasBudget: "aliases expand to more nodes than the budget allows"
        case .unsupportedTag: "a tag other than YAML's core tags"
        case .multipleDocuments: "the file holds more than one YAML document"
        case .emptyDocument: "the file holds no spec"
        case .nestingTooDeep: "collections nested deeper than the limit"
        case .unusedSuppression: "a `# dnnc: disable` comment that silences nothing"
        case .invalidSuppression: "a `# dnnc: disable` comment that names no warning"
        case .wrongType: "a value has the wrong type"
        case .unknownKey: "a key the language does not define here"
        case .unknownKind: "an unknown layer, activation, initializer, loss or optimizer"
        case .missingKey: "a required key is missing"
        case .outOfRange: "a number outside the range the key accepts"
        case .unsupportedVersion: "the `dnnc:` version is not one this dnnc speaks"
        case .malformedChoice: "a choice is neither a bare name nor a one-key mapping"
        case .duplicateName: "two layers have the same name"
        case .invalidNumber: "a number that is not finite or does not fit"
        case .inputWidth: "a data row does not match the model's input shape"
        case .rowCountMismatch: "inputs and targets have different numbers of rows"
        case .outputWidth: "the last layer's output does not match the targets' width"
        case .raggedRows: "the rows of a data matrix have different lengths"
        case .emptyData: "a data matrix has no rows or no columns"
        case .modelTooLarge: "the model has more parameters or inputs than dnnc allocates"
        case .unscaledInputs: "large or unevenly scaled inputs without normalization"
        case .unscaledTargets: "large targets without normalization"
        case .bottleneck: "a hidden dense layer of width 1"
        case .unreachableTargets: "the output activation cannot produce some of the targets"
        case .dyingOutput: "relu on a regression's output layer, which can die"
        case .symmetricInit: "a hidden layer's weights all start equal"
        case .invalidOptimizer: "optimizer settings that cannot work together"
        case .batchLargerThanData: "a batch size larger than the training set"
        case .implausibleLearningRate: "a learning rate outside the usual range for the optimizer"
        case .logEveryBeyondEpochs: "log_every is larger than the number of epochs"
        }
    }
}
