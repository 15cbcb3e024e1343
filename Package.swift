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
        // The pipeline's stages, each a module that imports only the ones before it (DNNCore/Exports.swift
        // draws the map): YAML and the spec tree → the language, IR and ops → checkpoints → the
        // interpreter → the tools over them, which re-export all of it.
        // libpng and libjpeg-turbo's TurboJPEG, the system libraries (Debian: libpng-dev,
        // libturbojpeg0-dev): image data sets are decoded with them.
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
        .target(name: "DNNSyntax", dependencies: ["CYAML"]),
        .target(name: "DNNModel", dependencies: ["DNNSyntax", "CPNG", "CTurboJPEG"]),
        .target(name: "DNNCheckpoint", dependencies: ["DNNSyntax", "DNNModel"]),
        .target(name: "DNNRuntime", dependencies: ["DNNSyntax", "DNNModel", "DNNCheckpoint"]),
        .target(name: "DNNCore", dependencies: ["DNNSyntax", "DNNModel", "DNNCheckpoint", "DNNRuntime"]),
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
        .testTarget(name: "DNNCoreTests", dependencies: ["DNNSyntax", "DNNModel", "DNNCheckpoint", "DNNRuntime", "DNNCore", "DNNExport", "AllocationCounter"], exclude: ["Fixtures"]),
        .testTarget(name: "dnncTests", dependencies: ["dnnc", "DNNSyntax", "DNNModel", "DNNCheckpoint", "DNNRuntime", "DNNCore", "DNNExport"], exclude: ["Corpus", "Editors"]),
    ],
    swiftLanguageModes: [.v6]
)
