// `dnnc lsp`: the language server on stdin and stdout. Messages are framed by `Content-Length: N` headers
// and a blank line (LSP's base protocol); LanguageServer (DNNCore/LSP) answers them on one serial queue,
// and diagnostics follow an edit once the document has been quiet for `debounce` seconds.

import ArgumentParser
import DNNCore
import Dispatch
import Foundation

struct LSP: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lsp",
        abstract: "Run the language server (LSP 3.17) on standard input and output, for editors.",
        discussion: "Diagnostics (as `dnnc check`), hover, completion, go to definition, document symbols and quick fixes.")

    @Option(help: "Seconds without edits before a changed document's diagnostics are published.")
    var debounce: Double = 0.15

    func run() throws {
        let queue = DispatchQueue(label: "dnnc.lsp")
        let output = FileHandle.standardOutput, lock = NSLock()
        let server = LanguageServer { message in
            let body = Array(message.compact.utf8)
            lock.lock(); defer { lock.unlock() }
            output.write(Data("Content-Length: \(body.count)\r\n\r\n".utf8) + Data(body))
        }
        let session = Session(server)
        var buffer = Data(), running = true
        let input = FileHandle.standardInput
        while running {
            // One message: headers to a blank line, then Content-Length bytes.
            guard let headerEnd = buffer.range(of: Data("\r\n\r\n".utf8)) else {
                let chunk = input.availableData
                if chunk.isEmpty { break }
                buffer += chunk
                continue
            }
            let headers = String(decoding: buffer[buffer.startIndex ..< headerEnd.lowerBound], as: UTF8.self)
            let length = headers.split(separator: "\r\n").compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first
            guard let length, length >= 0, length <= 64 << 20 else {
                // No usable length: drop the headers and answer that the message could not be read.
                buffer = Data(buffer[headerEnd.upperBound...])
                _ = queue.sync { session.server.handle(nil) }   // an answer to an unreadable message: it goes on
                continue
            }
            while buffer.count - (headerEnd.upperBound - buffer.startIndex) < length {
                let chunk = input.availableData
                if chunk.isEmpty { return }
                buffer += chunk
            }
            let start = headerEnd.upperBound
            let body = buffer[start ..< start + length]
            buffer = Data(buffer[(start + length)...])
            let message = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
            let changed = message?["method"] as? String == "textDocument/didChange"
                ? ((message?["params"] as? [String: Any])?["textDocument"] as? [String: Any])?["uri"] as? String : nil
            running = queue.sync { session.server.handle(message) }
            // A changed document: its diagnostics once it has been quiet for a while.
            if let uri = changed {
                let mine = queue.sync { session.bump(uri) }
                queue.asyncAfter(deadline: .now() + debounce) {
                    if session.generation[uri] == mine { session.server.publishDiagnostics(uri) }
                }
            }
        }
        queue.sync {}
        if !session.server.shutdownRequested { throw ExitCode(1) }
    }
}

/// The server and the edit counts the debounce compares, touched only on the server's queue.
final class Session: @unchecked Sendable {
    let server: LanguageServer
    var generation: [String: Int] = [:]

    init(_ server: LanguageServer) { self.server = server }

    func bump(_ uri: String) -> Int {
        generation[uri, default: 0] += 1
        return generation[uri]!
    }
}
