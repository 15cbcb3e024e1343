// swift-tools-version:6.0
// libFuzzer targets for dnnc, apart from the product build (fuzz/README.md):
//   cd fuzz && swift build -c debug --sanitize=fuzzer --sanitize=address -Xswiftc -DFUZZING
//   .build/debug/FuzzSpec corpus/spec -max_total_time=600
// Without -DFUZZING each target is a plain program that replays the files it is given.
import Foundation
import PackageDescription

/// The dnnc package's identity: the name of the folder it was cloned into.
let dnnc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "dnnc-fuzz",
    dependencies: [.package(path: "..")],
    targets: ["FuzzSpec", "FuzzCSV", "FuzzCheckpoint"].map { name in
        .executableTarget(name: name, dependencies: [.product(name: "DNNCore", package: dnnc)],
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)
