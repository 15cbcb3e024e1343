// swift-tools-version:6.0
// libFuzzer targets for dnnc, apart from the product build (fuzz/README.md):
//   cd fuzz && swift build -c debug --sanitize=fuzzer --sanitize=address -Xswiftc -DFUZZING \
//       -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp   (as run.sh does)
//   FUZZ_TARGET=spec .build/debug/Fuzz corpus/spec -max_total_time=600
// Without -DFUZZING it is a plain program: `Fuzz spec FILE...` replays files through a target.
import Foundation
import PackageDescription

/// The dnnc package's identity: the name of the folder it was cloned into.
let dnnc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "dnnc-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(name: "Fuzz", dependencies: [.product(name: "DNNCore", package: dnnc)],
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])]),
    ]
)
