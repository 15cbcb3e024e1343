// Replays the fuzzers' committed corpus and every input that ever crashed them (fuzz/), through the
// same code the fuzzers drive: a regression comes back as a failing (crashing) test.

import Foundation
import Testing
@testable import DNNCore
@testable import DNNSyntax
@testable import DNNModel
@testable import DNNCheckpoint
@testable import DNNRuntime

struct FuzzReplayTests {
    static let fuzz = Repo.root.appendingPathComponent("fuzz")

    static func files(_ folder: String, prefix: String = "") -> [URL] {
        let url = fuzz.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { $0.hasPrefix(prefix) && !$0.hasPrefix(".") }.sorted().map { url.appendingPathComponent($0) }
    }

    @Test(arguments: FuzzTargets.all.map(\.name))
    func theCorpusAndEveryCrashReplay(_ target: String) throws {
        let run = FuzzTargets.all.first { $0.name == target }!.run
        let inputs = Self.files("corpus/\(target)") + Self.files("crashes", prefix: target + "-")
        #expect(!Self.files("corpus/\(target)").isEmpty, "fuzz/corpus/\(target) holds the seed corpus")
        for url in inputs {
            run(Array(try Data(contentsOf: url)))
        }
    }
}
