// libFuzzer entry point for FuzzTargets.checkpoint; without FUZZING, a replayer of the files it is given.

import DNNCore
import Foundation

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzTargets.checkpoint(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
@main
struct Replay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            FuzzTargets.checkpoint(Array(FileManager.default.contents(atPath: path) ?? Data()))
        }
    }
}
#endif
