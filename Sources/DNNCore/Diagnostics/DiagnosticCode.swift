// The catalog of diagnostic codes: stable identities, grouped by the stage that reports them.
// E01xx YAML, E02xx schema (keys, types, values), E03xx shapes and data, E04xx training.

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
    // Training
    case invalidOptimizer = "E0401"

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
        case .invalidOptimizer: "optimizer settings that cannot work together"
        }
    }
}
