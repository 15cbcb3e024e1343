// swift-tools-version:6.0
// dnnc's benchmarks, kept out of the product build: `swift run -c release --package-path bench gemm-bench`.
import PackageDescription

let package = Package(
    name: "dnnc-bench",
    dependencies: [.package(name: "dnnc", path: "..")],
    targets: [
        .executableTarget(name: "gemm-bench", dependencies: [.product(name: "DNNCore", package: "dnnc")]),
    ],
    swiftLanguageModes: [.v6]
)
