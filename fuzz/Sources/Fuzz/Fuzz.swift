// One libFuzzer entry point for every target in FuzzTargets.all, chosen by FUZZ_TARGET;
// without FUZZING, a replayer: `Fuzz TARGET FILE...` runs the files through that target.

import DNNCore
import Foundation

/// The target's function by its name.
func target(_ name: String?) -> ([UInt8]) -> Void {
    for entry in FuzzTargets.all where entry.name == name { return entry.run }
    return FuzzTargets.spec
}

#if FUZZING
nonisolated(unsafe) let chosen = target(ProcessInfo.processInfo.environment["FUZZ_TARGET"])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    chosen(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
struct Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        let run = target(arguments.first)
        for path in arguments.dropFirst() {
            run(Array(FileManager.default.contents(atPath: path) ?? Data()))
        }
    }
}
#endif
