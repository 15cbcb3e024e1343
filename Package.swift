// swift-tools-version:6.0
// dnnc: a declarative model-spec compiler for neural networks.
import PackageDescription

let package = Package(
    name: "dnnc",
    products: [
        .executable(name: "dnnc", targets: ["dnnc"]),
        .library(name: "DNNCore", targets: ["DNNCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // libyaml, the system library (Debian: libyaml-dev).
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // The pipeline's stages: YAML → spec tree → IR → interpreter.
        .target(name: "DNNCore", dependencies: ["CYAML"]),
        // Trained models out of dnnc: ONNX (swift-protobuf over onnx.pb.swift, generated once and
        // committed by tools/onnx/generate.sh) and a PyTorch program.
        .target(
            name: "DNNExport",
            dependencies: ["DNNCore", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        // The command line: argument parsing and printing only.
        .executableTarget(
            name: "dnnc",
            dependencies: [
                "DNNCore",
                "DNNExport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Counts heap allocations per thread, for the test that a training step makes none.
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(name: "DNNCoreTests", dependencies: ["DNNCore", "DNNExport", "AllocationCounter"], exclude: ["Fixtures"]),
        .testTarget(name: "dnncTests", dependencies: ["dnnc", "DNNCore", "DNNExport"], exclude: ["Corpus"]),
    ],
    swiftLanguageModes: [.v6]
)
