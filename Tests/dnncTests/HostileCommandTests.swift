// Hostile input, round two (issue 13), through the command line as a user or an attacker meets it:
// exit codes, messages with file:line:col, and no file outside the project or among the inputs
// written, replaced or deleted.

import Foundation
import Testing
import DNNCore

struct HostileCommandTests {
    static let embeddingSpec = """
        dnnc: 1
        name: tokens
        data:
          train:
            inputs: [[0, 1], [2, 3], [4, 5], [6, 7]]
            targets: [[0], [1], [1], [0]]
        model:
          input: [2]
          layers:
            - embedding: {vocab: 8, dim: 3}
            - flatten
            - dense: {units: 2}
        train:
          loss: cross_entropy
          optimizer: {sgd: {lr: 0.1}}
          epochs: 2
          batch_size: 2

        """

    static func folder(_ spec: String = embeddingSpec) throws -> URL {
        let folder = try temporaryFolder()
        try spec.write(to: folder.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        return folder
    }

    static func files(_ folder: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let walker = FileManager.default.enumerator(atPath: folder.path)!
        for case let name as String in walker {
            let path = folder.appendingPathComponent(name).path
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                out[name] = FileManager.default.contents(atPath: path)
            }
        }
        return out
    }

    @Test func embeddingIndicesFromPredictAndEvaluateAreCheckedNotRead() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try Binary.run(["run", "spec.yaml", "--save", "w.safetensors"], directory: folder).status == 0)
        for (value, line) in [("50000000", 3), ("11", 3), ("-1", 3), ("1e30", 3), ("2.5", 3)] {
            try "a,b\n1,2\n\(value),3\n".write(to: folder.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
            let r = try Binary.run(["predict", "spec.yaml", "--weights", "w.safetensors", "--input", "in.csv", "--output", "out.csv"], directory: folder)
            #expect(r.status == 2, "\(value): \(r.stderr)")
            #expect(r.stderr.contains("in.csv:\(line):1: holds"), "\(value): \(r.stderr)")
            #expect(r.stderr.contains("not an index of embedding `embedding_1` (0 to 7)"))
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out.csv").path))
            try "1,2,0\n\(value),3,1\n".write(to: folder.appendingPathComponent("labelled.csv"), atomically: true, encoding: .utf8)
            let e = try Binary.run(["evaluate", "spec.yaml", "--weights", "w.safetensors", "--data", "labelled.csv"], directory: folder)
            #expect(e.status == 2 && e.stderr.contains("labelled.csv:2:1: holds"), "\(value): \(e.stderr)")
        }
        // A class label out of range is located too, rows counted from 1.
        try "1,2,0\n3,4,7\n".write(to: folder.appendingPathComponent("labelled.csv"), atomically: true, encoding: .utf8)
        let e = try Binary.run(["evaluate", "spec.yaml", "--weights", "w.safetensors", "--data", "labelled.csv"], directory: folder)
        #expect(e.status == 2 && e.stderr.contains("labelled.csv:2:3: the class 7 is not one of the model's classes 0 to 1"), "\(e.stderr)")
        let big = try Binary.run(["evaluate", "spec.yaml", "--weights", "w.safetensors", "--data", "labelled.csv", "--format", "json"],
                                 stdin: nil, directory: folder)
        #expect(big.status == 2)
    }

    @Test func outputsThatNameInputsOrDevicesAreRefusedByEveryCommand() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try Binary.run(["run", "spec.yaml", "--save", "w.safetensors"], directory: folder).status == 0)
        try "1,2\n".write(to: folder.appendingPathComponent("in.csv"), atomically: true, encoding: .utf8)
        #expect(mkfifo(folder.appendingPathComponent("fifo").path, 0o644) == 0)
        let before = try Self.files(folder)
        for arguments in [["export", "spec.yaml", "--to", "pytorch", "-o", "spec.yaml"],
                          ["export", "spec.yaml", "--to", "onnx", "--weights", "w.safetensors", "-o", "w.safetensors"],
                          ["predict", "spec.yaml", "--weights", "w.safetensors", "--input", "in.csv", "--output", "in.csv"],
                          ["sweep", "spec.yaml", "--seeds", "0..1", "--plot", "spec.yaml"],
                          ["run", "spec.yaml", "--plot", "spec.yaml"],
                          ["run", "spec.yaml", "--save", "fifo"],
                          ["run", "spec.yaml", "--save", "/dev/null"],
                          ["export", "spec.yaml", "--to", "pytorch", "-o", "fifo"],
                          ["run", "spec.yaml", "--save", "."]] {
            let r = try Binary.run(arguments, directory: folder)
            #expect(r.status == 2, "\(arguments): \(r.stderr)")
            #expect(r.stderr.contains("would overwrite an input") || r.stderr.contains("replaces only regular files"), "\(arguments): \(r.stderr)")
            #expect(!r.stdout.contains("epoch"), "\(arguments) refused before training")
        }
        #expect(try Self.files(folder) == before, "nothing was written or replaced")
        var info = stat()
        #expect(stat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
    }

    @Test func checkpointFoldersStayInTheProjectAndCheckSaysSo() throws {
        let outside = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: outside) }
        let victim = outside.appendingPathComponent("victim")
        try FileManager.default.createDirectory(at: victim, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: victim.appendingPathComponent("epoch-000000.safetensors").path, contents: Data("keep".utf8))
        let project = outside.appendingPathComponent("project/specs")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside.appendingPathComponent("project/.git"), withIntermediateDirectories: true)
        for (extra, line) in [("  checkpoint: {every: 1, path: ../../victim}\n", 18), ("  checkpoint: {every: 1, path: \(victim.path)}\n", 18),
                              ("  checkpoint: {every: 1, path: /}\n", 18)] {
            try (Self.embeddingSpec + extra).write(to: project.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
            let c = try Binary.run(["check", "spec.yaml"], directory: project)
            #expect(c.status == 1 && c.stdout.contains("spec.yaml:\(line):"), "\(c.stdout)")
            #expect(c.stdout.contains("error[E0312]: the checkpoint folder"))
            let r = try Binary.run(["run", "spec.yaml"], directory: project)
            #expect(r.status == 1)
        }
        // Through the default folder, by the model's name.
        try (Self.embeddingSpec.replacingOccurrences(of: "name: tokens", with: "name: ../../../victim") + "  checkpoint: {every: 1}\n")
            .write(to: project.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let named = try Binary.run(["check", "spec.yaml"], directory: project)
        #expect(named.status == 1 && named.stdout.contains("spec.yaml:2:7: error[E0312]"), "\(named.stdout)")
        #expect(FileManager.default.contents(atPath: victim.appendingPathComponent("epoch-000000.safetensors").path) == Data("keep".utf8))
    }

    @Test func checkpointsNeverDestroyInputsOrAnotherRunsFiles() throws {
        let folder = try Self.folder(Self.embeddingSpec + "  checkpoint: {every: 1, keep: 1, path: ck}\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try Binary.run(["run", "spec.yaml"], directory: folder).status == 0)
        let ck = folder.appendingPathComponent("ck")
        #expect(try FileManager.default.contentsOfDirectory(atPath: ck.path) == ["epoch-000001.safetensors"])
        let kept = try Data(contentsOf: ck.appendingPathComponent("epoch-000001.safetensors"))
        // --init-from and --save may not be among the files the run writes and prunes.
        for arguments in [["run", "spec.yaml", "--init-from", "ck/epoch-000001.safetensors"],
                          ["run", "spec.yaml", "--resume", "--save", "ck/epoch-000001.safetensors"],
                          ["run", "spec.yaml", "--save", "ck/epoch-000005.safetensors"]] {
            let r = try Binary.run(arguments, directory: folder)
            #expect(r.status == 2 && r.stderr.contains("is one of the checkpoints this run writes and prunes"), "\(arguments): \(r.stderr)")
        }
        #expect(try Data(contentsOf: ck.appendingPathComponent("epoch-000001.safetensors")) == kept)
        // Another run (another seed) in the same folder keeps the first run's files, and so does its pruning.
        let other = try Binary.run(["run", "spec.yaml", "--seed", "5"], directory: folder)
        #expect(other.status == 0, "\(other.stderr)")
        #expect(other.stderr.contains("holds 1 checkpoint of another run"))
        #expect(try Data(contentsOf: ck.appendingPathComponent("epoch-000001.safetensors")) != kept, "the epoch it saved replaced the other run's")
        // The older run's files of other epochs are never pruned by a newer run.
        let older = try Self.folder(Self.embeddingSpec.replacingOccurrences(of: "epochs: 2", with: "epochs: 4") + "  checkpoint: {every: 1, keep: 2, path: ck}\n")
        defer { try? FileManager.default.removeItem(at: older) }
        #expect(try Binary.run(["run", "spec.yaml"], directory: older).status == 0)
        try (Self.embeddingSpec + "  checkpoint: {every: 1, keep: 2, path: ck}\n").write(to: older.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let newer = try Binary.run(["run", "spec.yaml"], directory: older)
        #expect(newer.status == 0, "\(newer.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: older.appendingPathComponent("ck").path).sorted()
                == ["epoch-000000.safetensors", "epoch-000001.safetensors", "epoch-000002.safetensors", "epoch-000003.safetensors"],
                "the newer run keeps its own two (0, 1) and the older run's 2 and 3")
        // --resume finds only its own run's checkpoints.
        let resumed = try Binary.run(["run", "spec.yaml", "--seed", "5", "--resume"], directory: folder)
        #expect(resumed.status == 0 && resumed.stderr.contains("resuming from"), "\(resumed.stderr)")
    }

    @Test func aLockedFolderIsRefusedAndStaleTemporariesAreRemoved() throws {
        let folder = try Self.folder(Self.embeddingSpec + "  checkpoint: {every: 1, path: ck}\n")
        defer { try? FileManager.default.removeItem(at: folder) }
        let ck = folder.appendingPathComponent("ck")
        try FileManager.default.createDirectory(at: ck, withIntermediateDirectories: true)
        // What a SIGKILL during a checkpoint write leaves.
        _ = FileManager.default.createFile(atPath: ck.appendingPathComponent(".epoch-000000.safetensors.99999.tmp").path, contents: Data([1, 2]))
        // Another run holding the lock.
        let fd = open(ck.appendingPathComponent(".dnnc-lock").path, O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0 && flock(fd, LOCK_EX) == 0)
        _ = "4242\n".withCString { write(fd, $0, 5) }
        let locked = try Binary.run(["run", "spec.yaml"], directory: folder)
        #expect(locked.status == 2 && locked.stderr.contains("another dnnc run (pid 4242) is writing checkpoints"), "\(locked.stderr)")
        close(fd)
        let r = try Binary.run(["run", "spec.yaml"], directory: folder)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: ck.path).sorted() == ["epoch-000000.safetensors", "epoch-000001.safetensors"])
    }

    @Test func hugeCountsAreUsageErrors() throws {
        for arguments in [["run", "specs/seed/relu.yaml", "--epochs", "9223372036854775807"],
                          ["check", "specs/seed/relu.yaml", "--max-spec-size", "9223372036854775807"],
                          ["run", "specs/seed/relu.yaml", "--threads", "100000"],
                          ["predict", "specs/seed/relu.yaml", "--weights", "x", "--batch-size", "9223372036854775807"]] {
            let r = try Binary.run(arguments)
            #expect(r.status == 2 && r.stderr.contains("must be from 1 to"), "\(arguments): \(r.stderr)")
        }
        let set = try Binary.run(["run", "specs/seed/relu.yaml", "--set", "train.epochs=9223372036854775807"])
        #expect(set.status == 2 && set.stderr.contains("must be from 1 up to 2147483647"), "\(set.stderr)")
    }

    @Test func aRunUnderAnAddressSpaceLimitFinishes() throws {
        let r = try Binary.run(["-c", "ulimit -v 1500000 && exec \(Binary.dnnc.path) run specs/seed/relu.yaml --epochs 50"], executable: "/bin/sh")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("epoch 49"))
    }

    static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: HostileCommandTests.python != nil, "python3 is not installed: the exported program cannot be parsed"))
    func theExportedProgramTreatsHostileNamesAsText() throws {
        let payload = #"x\"\"\"; import os; os.system(\"touch /tmp/dnnc-pwned\"); \"\"\""#
        let spec = Self.embeddingSpec.replacingOccurrences(of: "name: tokens", with: "name: \"\(payload)\"")
        let folder = try Self.folder(spec)
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try Binary.run(["export", "spec.yaml", "--to", "pytorch", "-o", "train.py"], directory: folder)
        #expect(r.status == 0, "\(r.stderr)")
        let check = try Binary.run(["-c", "import ast; t = ast.parse(open('train.py').read()); print(ast.get_docstring(t).splitlines()[0])"],
                                   executable: Self.python!, directory: folder)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.hasPrefix("x\"\"\"; import os; os.system(\"touch /tmp/dnnc-pwned\"); \"\"\": a PyTorch program"), "\(check.stdout)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/dnnc-pwned"))
    }

    @Test func theStudysConvergingRunsRaiseNoGradientAlarm() throws {
        for spec in ["specs/seed/relu.yaml", "specs/seed/prelu.yaml"] {
            let r = try Binary.run(["run", spec])
            #expect(r.status == 0)
            #expect(!r.stderr.contains("vanish"), "\(spec): \(r.stderr)")
        }
    }

    @Test func aFolderGivenAsInputIsNamedAsSuch() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try Binary.run(["run", "spec.yaml", "--save", "w.safetensors"], directory: folder).status == 0)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("rows"), withIntermediateDirectories: true)
        let r = try Binary.run(["predict", "spec.yaml", "--weights", "w.safetensors", "--input", "rows"], directory: folder)
        #expect(r.status == 2 && r.stderr.contains("cannot read rows: it is a directory, not a regular file"), "\(r.stderr)")
    }

    /// Where the process limit leaves no thread to start (a loaded machine, a container's pids limit),
    /// a run still trains and ends with the same bytes: the worker pool uses the threads it got, the
    /// signal watch needs none, and OpenBLAS starts none (its failed thread start raised SIGINT).
    /// RLIMIT_NPROC binds only an unprivileged user, so this runs where the tests run as root.
    /// Also that user nobody can reach the built dnnc and the digits data (a clone under a private home
    /// folder cannot be read by nobody: then the test is skipped, not failed).
    static let limitsAThreadCount = getuid() == 0
        && ["/usr/bin/prlimit", "/usr/bin/setpriv", "/usr/bin/timeout", "/usr/bin/test"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
        && (try? Binary.run(["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/test", "-x", Binary.dnnc.path, "-a", "-r", "specs/digits/images.npy"],
                            executable: "/usr/bin/setpriv").status) == 0

    @Test(.enabled(if: HostileCommandTests.limitsAThreadCount, "needs root, prlimit, setpriv and timeout, and a build that user nobody can read, to run dnnc as nobody with one thread"))
    func aRunWithoutThreadsToSpareFinishesWithTheSameBytes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: folder.path)
        for spec in ["specs/digits/mlp.yaml", "specs/digits/cnn.yaml"] {
            let free = folder.appendingPathComponent("free.safetensors").path, bound = folder.appendingPathComponent("bound.safetensors").path
            #expect(try Binary.run(["run", spec, "--epochs", "1", "--save", free]).status == 0)
            // A hang (dnnc waiting for a thread that never starts) fails by the timeout, exit 124.
            let r = try Binary.run(["120", "/usr/bin/prlimit", "--nproc=1:1", "/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                    Binary.dnnc.path, "run", spec, "--epochs", "1", "--save", bound], executable: "/usr/bin/timeout")
            #expect(r.status == 0, "\(spec): \(r.stderr)")
            #expect(!r.stderr.contains("SIGINT"), "\(spec): \(r.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: bound)) == Data(contentsOf: URL(fileURLWithPath: free)), "\(spec)")
            try FileManager.default.removeItem(atPath: free)
            try FileManager.default.removeItem(atPath: bound)
        }
    }
}
