// `dnnc lsp` driven as an editor drives it: the built binary, JSON-RPC messages with Content-Length
// framing on its stdin, the replies read back from its stdout.

import Foundation
import Testing

/// A running `dnnc lsp` and the messages it sends.
final class ServerProcess {
    let process = Process()
    let input = Pipe(), output = Pipe()
    private var buffer = Data()
    private var nextID = 1

    init() throws {
        process.executableURL = Binary.dnnc
        process.arguments = ["lsp", "--debounce", "0.05"]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func sendRaw(_ bytes: Data) { input.fileHandleForWriting.write(bytes) }

    func send(_ object: [String: Any]) throws {
        let body = try JSONSerialization.data(withJSONObject: object.merging(["jsonrpc": "2.0"]) { a, _ in a })
        sendRaw(Data("Content-Length: \(body.count)\r\n\r\n".utf8) + body)
    }

    /// The next message the server sends.
    func receive() throws -> [String: Any] {
        while true {
            if let end = buffer.range(of: Data("\r\n\r\n".utf8)) {
                let header = String(decoding: buffer[buffer.startIndex ..< end.lowerBound], as: UTF8.self)
                let length = Int(header.replacingOccurrences(of: "Content-Length: ", with: ""))!
                if buffer.count - (end.upperBound - buffer.startIndex) >= length {
                    let body = buffer[end.upperBound ..< end.upperBound + length]
                    buffer = Data(buffer[(end.upperBound + length)...])
                    return try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
                }
            }
            let chunk = output.fileHandleForReading.availableData
            try #require(!chunk.isEmpty, "the server closed its output")
            buffer += chunk
        }
    }

    /// A request's result, skipping the notifications sent before it.
    func request(_ method: String, _ params: [String: Any]) throws -> Any? {
        let id = nextID
        nextID += 1
        try send(["id": id, "method": method, "params": params])
        while true {
            let message = try receive()
            if message["id"] as? Int == id { return message["result"] ?? message["error"] }
        }
    }

    /// The next diagnostics the server publishes.
    func diagnostics() throws -> [[String: Any]] {
        while true {
            let message = try receive()
            if message["method"] as? String == "textDocument/publishDiagnostics" {
                return (message["params"] as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []
            }
        }
    }
}

struct LanguageServerTests {
    static let spec = """
        dnnc: 1
        data:
          train: {inputs: [[0, 0], [0, 1], [1, 0], [1, 1]], targets: [[0], [1], [1], [0]]}
        model:
          input: [2]
          layers:
            - dense: {units: 8, activation: rleu, name: hidden}
            - dense: {units: 1, inputs: [hidden]}
        train:
          loss: mse
          optimizer: {sgd: {lr: 0.1}}
          epochs: 10

        """

    static func position(_ line: Int, _ character: Int) -> [String: Any] { ["line": line, "character": character] }

    @Test func anEditorGetsDiagnosticsHoverCompletionDefinitionSymbolsAndFixes() throws {
        let server = try ServerProcess()
        defer { server.process.terminate() }
        let uri = "file:///tmp/dnnc-lsp-test/t.yaml", doc: [String: Any] = ["uri": uri]
        let capabilities = try #require((try server.request("initialize", ["capabilities": [:]]) as? [String: Any])?["capabilities"] as? [String: Any])
        #expect(capabilities["hoverProvider"] as? Bool == true && capabilities["completionProvider"] != nil && capabilities["codeActionProvider"] as? Bool == true)
        try server.send(["method": "initialized", "params": [:]])
        // A malformed message gets an error reply, and the server goes on.
        server.sendRaw(Data("Content-Length: 7\r\n\r\n{oops}}".utf8))
        let parseError = try server.receive()
        #expect((parseError["error"] as? [String: Any])?["code"] as? Int == -32700)

        try server.send(["method": "textDocument/didOpen", "params": ["textDocument": ["uri": uri, "languageId": "yaml", "version": 1, "text": Self.spec]]])
        let opened = try server.diagnostics()
        #expect(opened.count == 1)
        let typo = try #require(opened.first)
        #expect(typo["code"] as? String == "E0203" && (typo["message"] as? String)?.hasPrefix("unknown activation `rleu`\nhelp: did you mean `relu`?") == true)
        let range = try #require(typo["range"] as? [String: Any])
        #expect(range["start"] as? [String: Int] == ["line": 6, "character": 36] && range["end"] as? [String: Int] == ["line": 6, "character": 40])
        // The fix-it as a quick fix, then the fixed text publishes no diagnostics (after the debounce).
        let actions = try #require(try server.request("textDocument/codeAction", ["textDocument": doc, "range": range, "context": ["diagnostics": opened]]) as? [[String: Any]])
        #expect(actions.first?["title"] as? String == "E0203: replace with `relu`")
        let fixed = Self.spec.replacingOccurrences(of: "rleu", with: "relu")
        try server.send(["method": "textDocument/didChange", "params": ["textDocument": ["uri": uri, "version": 2], "contentChanges": [["text": fixed]]]])
        #expect(try server.diagnostics().isEmpty)

        func hover(_ line: Int, _ character: Int) throws -> String? {
            ((try server.request("textDocument/hover", ["textDocument": doc, "position": Self.position(line, character)]) as? [String: Any])?["contents"] as? [String: Any])?["value"] as? String
        }
        // A layer: its shapes, parameters and multiply-adds; a key: its reference entry; a kind: its doc.
        #expect(try hover(6, 8) == "**hidden** (dense)\n\ninput [2] → output [8]\n\n24 parameters, 16 multiply-adds per sample, activation relu")
        #expect(try hover(11, 3)?.hasPrefix("**epochs**: integer (required)") == true)
        // A mapping's key: the keys it leaves out, resolved as `dnnc resolve` resolves them.
        let train = try #require(try hover(8, 2))
        #expect(train.hasPrefix("**train**: mapping (required)") && train.contains("\n\nleft out, so resolved to:\n") && train.contains("- `shuffle: true`")
                && train.contains("- `batch_size: 4 ("), "\(train)")
        #expect(try hover(10, 16)?.hasPrefix("**sgd** (optimizer)") == true)
        #expect(try hover(6, 37)?.hasPrefix("**relu** (activation)") == true)

        func completion(_ text: String, _ line: Int, _ character: Int) throws -> [String] {
            try server.send(["method": "textDocument/didChange", "params": ["textDocument": ["uri": uri, "version": 3], "contentChanges": [["text": text]]]])
            let result = try server.request("textDocument/completion", ["textDocument": doc, "position": Self.position(line, character)]) as? [String: Any]
            return (result?["items"] as? [[String: Any]] ?? []).compactMap { $0["label"] as? String }
        }
        // The keys train may hold; a choice key's kinds; the layer names in `inputs`.
        let half = fixed.replacingOccurrences(of: "  epochs: 10\n", with: "  epochs: 10\n  sche\n")
        #expect(try completion(half, 12, 6).contains("schedule"))
        let value = fixed.replacingOccurrences(of: "  loss: mse", with: "  loss: ")
        let losses = try completion(value, 9, 8)
        #expect(losses.contains("mse") && losses.contains("cross_entropy") && !losses.contains("relu"))
        let flow = fixed.replacingOccurrences(of: "{units: 1, inputs: [hidden]}", with: "{units: 1, inputs: [hidden], activation: }")
        #expect(try completion(flow, 7, 54).contains("tanh"))
        #expect(try completion(fixed, 7, 34) == ["input", "hidden", "dense_2"])

        // Go to the layer an `inputs` names; the layers as symbols.
        let definition = try #require(try server.request("textDocument/definition", ["textDocument": doc, "position": Self.position(7, 35)]) as? [String: Any])
        #expect((definition["range"] as? [String: Any])?["start"] as? [String: Int] == ["line": 6, "character": 48])
        let symbols = try #require(try server.request("textDocument/documentSymbol", ["textDocument": doc]) as? [[String: Any]])
        #expect(symbols.map { $0["name"] as? String } == ["hidden", "dense_2"] && symbols.first?["detail"] as? String == "dense → [8]")

        #expect(try server.request("shutdown", [:]) is NSNull)
        try server.send(["method": "exit"])
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
    }
}

/// A real client: Neovim's built-in LSP client, headless, attached to `dnnc lsp` (Editors/nvim-lsp.lua).
struct NeovimTests {
    static let nvim: String? = ["/usr/bin/nvim", "/usr/local/bin/nvim"].first { FileManager.default.isExecutableFile(atPath: $0) }
    /// DNNC_REQUIRE_NEOVIM=1 (as .ci/run sets) makes a missing Neovim a failure, never a skip.
    static let required = ProcessInfo.processInfo.environment["DNNC_REQUIRE_NEOVIM"] == "1"

    @Test(.enabled(if: nvim != nil || required, "Neovim is not installed here (Debian's `neovim`; .ci/run installs it)"))
    func neovimShowsTheDiagnosticsAHoverAndACompletion() throws {
        let nvim = try #require(Self.nvim, "DNNC_REQUIRE_NEOVIM=1, but nvim is missing")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let spec = folder.appendingPathComponent("t.yaml"), out = folder.appendingPathComponent("out.json")
        try LanguageServerTests.spec.replacingOccurrences(of: "rleu", with: "tanh").replacingOccurrences(of: "  epochs: 10\n", with: "  epochs: 10\n  batch_sise: 2\n")
            .write(to: spec, atomically: true, encoding: .utf8)
        let script = Binary.root.appendingPathComponent("Tests/dnncTests/Editors/nvim-lsp.lua").path
        let run = try Binary.run(["--headless", "--clean", spec.path, "-c", "luafile " + script], environment: ["DNNC": Binary.dnnc.path, "DNNC_NVIM_OUT": out.path],
                                 executable: nvim, directory: folder)
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any], "\(run.stderr)")
        let diagnostics = try #require(result["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 1 && diagnostics.first?["code"] as? String == "E0202" && diagnostics.first?["line"] as? Int == 12
                && (diagnostics.first?["message"] as? String)?.contains("did you mean `batch_size`?") == true, "\(diagnostics)")
        // The spec has an error, and the hover still shows the layer's shapes.
        #expect(result["hover"] as? String == "**hidden** (dense)\n\ninput [2] → output [8]\n\n24 parameters, 16 multiply-adds per sample, activation tanh")
        let completion = try #require(result["completion"] as? [String])
        #expect(completion.contains("relu") && completion.contains("gelu") && !completion.contains("units"))
    }
}
