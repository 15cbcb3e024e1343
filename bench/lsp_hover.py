#!/usr/bin/env python3
"""Issue 17's latency target: `dnnc lsp` answering hover on a large spec. Writes a spec of N dense layers
(written out, default 1,000), opens it in `dnnc lsp` over stdio as an editor does, and times from
sending each request to reading its reply:
  - the first hover after opening (the compile of the document is made by then: the diagnostics came);
  - hover on 20 layers spread over the spec (the compile of that version is reused);
  - hover right after an edit (didChange, then hover at once: the new version is compiled in the hover).
Prints the medians in milliseconds.

    swift build -c release --product dnnc && python3 bench/lsp_hover.py [--layers 1000]
"""

import argparse
import json
import os
import statistics
import subprocess
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def spec(layers):
    body = "\n".join(f"    - dense: {{units: 16, activation: relu, name: l{k}}}" for k in range(layers))
    return ("dnnc: 1\ndata:\n  train: {inputs: [[0, 0], [0, 1], [1, 0], [1, 1]], targets: [[0], [1], [1], [0]]}\n"
            f"model:\n  input: [2]\n  layers:\n{body}\n    - dense: {{units: 1}}\n"
            "train: {loss: mse, optimizer: {sgd: {lr: 0.01}}, epochs: 1}\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--layers", type=int, default=1000)
    args = parser.parse_args()
    text = spec(args.layers)
    server = subprocess.Popen([os.path.join(ROOT, ".build", "release", "dnnc"), "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def send(message):
        body = json.dumps(dict(message, jsonrpc="2.0")).encode()
        server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        server.stdin.flush()

    def receive():
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            header += server.stdout.read(1)
        return json.loads(server.stdout.read(int(header.split(b":")[1].split(b"\r\n")[0])))

    def request(ident, method, params):
        start = time.perf_counter()
        send({"id": ident, "method": method, "params": params})
        while True:
            message = receive()
            if message.get("id") == ident:
                return (time.perf_counter() - start) * 1000, message["result"]

    uri = "file:///tmp/dnnc-lsp-bench.yaml"
    request(0, "initialize", {"capabilities": {}})
    start = time.perf_counter()
    send({"method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}})
    receive()
    opened = (time.perf_counter() - start) * 1000

    def hover(ident, layer):
        return request(ident, "textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 6 + layer, "character": 8}})

    first, result = hover(1, args.layers // 2)
    assert result and "input [16]" in result["contents"]["value"], result
    again = [hover(10 + k, k * args.layers // 20)[0] for k in range(20)]
    edited = []
    for k in range(5):
        changed = text.replace("epochs: 1}", f"epochs: {k + 2}}}")
        send({"method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": k + 2}, "contentChanges": [{"text": changed}]}})
        edited.append(hover(100 + k, args.layers - 1)[0])
    request(999, "shutdown", {})
    send({"method": "exit"})
    server.wait()
    print(f"{args.layers} layers ({len(text):,} bytes): open to diagnostics {opened:.1f} ms; first hover {first:.1f} ms; "
          f"hover median {statistics.median(again):.2f} ms (20); hover right after an edit median {statistics.median(edited):.1f} ms (5)")


if __name__ == "__main__":
    main()
