#!/usr/bin/env bash
# Regenerates Sources/DNNExport/tensorboard.pb.swift from tools/tensorboard/tensorboard.proto. Run once
# when the proto changes; the generated file is committed, so building dnnc needs neither protoc nor
# protoc-gen-swift. Needs: protoc (Debian: protobuf-compiler) and protoc-gen-swift from swift-protobuf
# 1.39 (`swift build -c release --product protoc-gen-swift` in its checkout), passed as PROTOC_GEN_SWIFT
# or found on PATH.
set -euo pipefail
cd "$(dirname "$0")"
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal --swift_out=../../Sources/DNNExport tensorboard.proto
echo "wrote Sources/DNNExport/tensorboard.pb.swift"
