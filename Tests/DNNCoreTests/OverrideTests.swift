// `--set KEY=VALUE`: paths through the language, values checked against their keys' types.

import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

/// The model `baseSpec` compiles to with the overrides, or the error they raise.
func overridden(_ sets: String...) -> Result<ModelIR?, OverrideError> {
    do {
        let result = try Compiler.compile(SourceFile(path: "test.yaml", text: baseSpec), overrides: sets.map { try Override($0) })
        return .success(result.model)
    } catch let error as OverrideError {
        return .failure(error)
    } catch {
        preconditionFailure("only OverrideError is thrown")
    }
}

func overrideError(_ sets: String...) -> OverrideError? {
    do {
        _ = try Compiler.compile(SourceFile(path: "test.yaml", text: baseSpec), overrides: sets.map { try Override($0) })
        return nil
    } catch let error as OverrideError {
        return error
    } catch {
        return nil
    }
}

struct OverrideTests {
    @Test func scalarsByPath() throws {
        let ir = try #require(try overridden("train.optimizer.sgd.lr=0.001", "train.epochs=3", "seed=9").get())
        #expect(ir.optimizer == Optimizer(.sgd, lr: 0.001))
        #expect(ir.schedule.epochs == 3 && ir.seed == 9)
    }

    @Test func layersByNameOrIndexAndKeysNotWritten() throws {
        let byName = try #require(try overridden("model.layers.fc2.dense.activation=prelu").get())
        #expect(byName.layers[1].activation == .prelu(initialSlope: 0.25))
        let byIndex = try #require(try overridden("model.layers.0.dense.units=4").get())
        #expect(byIndex.layers[0].outputShape == [4])
        let flow = try #require(try overridden("model.layers.fc2.dense.activation={leaky_relu: {alpha: 0.2}}").get())
        #expect(flow.layers[1].activation == .leakyRelu(alpha: 0.2))
        let added = try #require(try overridden("data.normalize.inputs=standard").get())
        #expect(added.inputNormalization == .standard)
        let whole = try #require(try overridden("train.optimizer=adam", "train.optimizer.adam.lr=0.01").get())
        #expect(whole.optimizer.learningRate == 0.01 && whole.optimizer.name == "adam")
    }

    @Test func badPathsGetADidYouMean() {
        #expect(overrideError("train.optimzer.sgd.lr=1")?.message == "unknown key `optimzer` in `train`")
        #expect(overrideError("train.optimzer.sgd.lr=1")?.help == "did you mean `optimizer`?")
        #expect(overrideError("model.layers.fc9.dense.units=3")?.help == "did you mean `fc1` or `fc2`?")
        #expect(overrideError("train.optimizer.adam.lr=1")?.message == "`train.optimizer` is sgd, not adam")
        #expect(overrideError("train.optimizer.sgdd.lr=1")?.help == "did you mean `sgd`?")
        #expect(overrideError("train.epochs.x=1")?.message == "`train.epochs` is an integer, which has no key `x`")
        #expect(overrideError("train..epochs=1")?.message == "`train..epochs` is not a path")
        #expect(throws: OverrideError.self) { try Override("no-equals-sign") }
    }

    /// `data.train` may be written in several forms (inputs and targets, images, a text, a series): a
    /// path through it takes the form the spec wrote.
    @Test func aValueOfSeveralFormsIsWalkedInTheFormWritten() throws {
        let ir = try #require(try overridden("data.train.inputs=[[1, 1], [2, 3], [4, 5], [6, 7]]").get())
        #expect(ir.train.inputs.values.prefix(2) == [1, 1])
        #expect(overrideError("data.train.stream=true")?.message == "unknown key `stream` in `data.train`")
        #expect(overrideError("data.train.stream=true")?.help == "the keys here are `inputs`, `targets`")
        // Not written: the form that has the key.
        let split = try #require(try overridden("data.validation.split=0.5").get())
        #expect(split.validation?.inputs.rows == 2 && split.train.inputs.rows == 2)
    }

    @Test func badValuesAreCheckedAgainstTheKeysType() {
        #expect(overrideError("train.epochs=-1")?.message == "`train.epochs` must be from 1 up to 2147483647, found -1")
        #expect(overrideError("train.epochs=many")?.message == "`train.epochs` must be an integer, found the string \"many\"")
        #expect(overrideError("model.layers.fc1.dense.activation=rleu")?.help == "did you mean `relu`?")
        #expect(overrideError("train.epochs=[1")?.message.hasPrefix("the value is not valid YAML") == true)
    }

    @Test func aDiagnosticAboutAnOverriddenValueSaysSo() throws {
        let result = try Compiler.compile(SourceFile(path: "test.yaml", text: baseSpec),
                                          overrides: [try Override("train.optimizer.sgd.lr=50")])
        let warning = try #require(result.diagnostics.all.first { $0.code == .implausibleLearningRate })
        #expect(warning.message.contains("learning rate 50"))
        #expect(warning.notes.map(\.message) == ["the value here was replaced by --set train.optimizer.sgd.lr=50"])
        #expect(warning.range.start.line == 14, "it points where the replaced value was written")
    }
}
