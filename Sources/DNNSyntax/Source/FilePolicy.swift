// Which files a spec may read. Paths in a spec resolve relative to the spec's folder, with symbolic
// links resolved before any check; they must stay inside the project root (the git top level above
// the spec, or the spec's folder outside git) unless `--allow-outside-root`; only regular files are
// read, so a FIFO or a device cannot block or flood a run.

import Foundation

public enum FilePolicy {
    /// The canonical absolute path: symbolic links, `.` and `..` resolved (nil when it does not exist).
    public static func canonical(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The folder a spec's relative paths start from, and its project root.
    public static func folders(ofSpecAt specPath: String) -> (folder: String, root: String) {
        let folder = specPath == "<stdin>" ? FileManager.default.currentDirectoryPath
            : URL(fileURLWithPath: specPath).deletingLastPathComponent().path
        let start = canonical(folder) ?? folder
        var candidate = URL(fileURLWithPath: start)
        while true {
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent(".git").path) {
                return (folder, candidate.path)
            }
            let parent = candidate.deletingLastPathComponent()
            if parent.path == candidate.path { return (folder, start) }
            candidate = parent
        }
    }

    /// The file a spec names, checked: inside the project root (unless allowed), a regular file.
    public static func resolve(_ written: String, specPath: String, allowOutsideRoot: Bool) throws(DataFileError) -> String {
        let path = try resolveInside(written, specPath: specPath, allowOutsideRoot: allowOutsideRoot)
        try checkRegular(path, shown: written)
        return path
    }

    /// A folder a spec names (an image data set's), checked as a file is: inside the project root
    /// (unless allowed), and a directory.
    public static func resolveFolder(_ written: String, specPath: String, allowOutsideRoot: Bool) throws(DataFileError) -> String {
        let path = try resolveInside(written, specPath: specPath, allowOutsideRoot: allowOutsideRoot)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DataFileError(message: "`\(written)` is not a folder", help: "give a folder with one subfolder of images per class, or a .csv list of images")
        }
        return path
    }

    /// A written path made canonical and confined to the project root (unless allowed).
    static func resolveInside(_ written: String, specPath: String, allowOutsideRoot: Bool) throws(DataFileError) -> String {
        let (folder, root) = folders(ofSpecAt: specPath)
        if written.hasPrefix("/") && !allowOutsideRoot {
            throw DataFileError(message: "`\(written)` is an absolute path; a spec reads files inside its project (\(root))",
                                help: "write the path relative to the spec, or pass --allow-outside-root")
        }
        let joined = written.hasPrefix("/") ? written : URL(fileURLWithPath: folder).appendingPathComponent(written).path
        guard let path = canonical(joined) else {
            throw DataFileError(message: "cannot read \(written): no such file", help: "paths are relative to the spec's folder")
        }
        if !allowOutsideRoot && !isInside(path, root: root) {
            throw DataFileError(message: "`\(written)` leads to \(path), outside the project root \(root)",
                                help: "keep data inside the project, or pass --allow-outside-root")
        }
        return path
    }

    /// Refuses directories, FIFOs, sockets and devices.
    public static func checkRegular(_ path: String, shown: String) throws(DataFileError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw DataFileError(message: "cannot read \(shown): \(String(cString: strerror(errno)))", help: nil)
        }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else {
            let what = kind == S_IFDIR ? "a directory" : kind == S_IFIFO ? "a FIFO" : kind == S_IFSOCK ? "a socket" : "a device"
            throw DataFileError(message: "cannot read \(shown): it is \(what), not a regular file", help: nil)
        }
    }

    /// Whether a resolved path is the project root or lies below it: the one test of confinement for
    /// what a spec reads and what it writes.
    package static func isInside(_ path: String, root: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// A folder a spec names for dnnc to write into (train.checkpoint.path, or its default under the
    /// model's name), confined like the files a spec reads: relative to the spec, inside the project
    /// root unless allowed. The folder need not exist: the part that exists is resolved (links
    /// included), and the rest may not climb with `..`.
    public static func resolveOutputFolder(_ written: String, specPath: String, allowOutsideRoot: Bool) throws(DataFileError) -> String {
        let (folder, root) = folders(ofSpecAt: specPath)
        if written.hasPrefix("/") && !allowOutsideRoot {
            throw DataFileError(message: "`\(written)` is an absolute path; a spec writes inside its project",
                                help: "write the folder relative to the spec, or pass --allow-outside-root")
        }
        let joined = written.hasPrefix("/") ? written : (folder as NSString).appendingPathComponent(written)
        var resolved = "/"
        var rest = joined.split(separator: "/").map(String.init)[...]
        while let part = rest.first, let next = canonical((resolved as NSString).appendingPathComponent(part)) {
            resolved = next
            rest = rest.dropFirst()
        }
        if rest.contains("..") {
            throw DataFileError(message: "`\(written)` climbs with `..` through a folder that does not exist",
                                help: "name a folder inside the project without `..`")
        }
        for part in rest where part != "." { resolved = (resolved as NSString).appendingPathComponent(part) }
        if !allowOutsideRoot && !isInside(resolved, root: root) {
            throw DataFileError(message: "`\(written)` leads to \(resolved), outside the project root \(root)",
                                help: "keep outputs inside the project, or pass --allow-outside-root")
        }
        var info = stat()
        if stat(resolved, &info) == 0, info.st_mode & S_IFMT != S_IFDIR {
            throw DataFileError(message: "`\(written)` is a file, not a folder", help: "name a folder for the checkpoints")
        }
        return resolved
    }

    /// The path a write to `path` would replace, resolved: the file's own canonical path when it
    /// exists, else its folder's joined with its name.
    public static func target(of path: String) -> String {
        if let existing = canonical(path) { return existing }
        let url = URL(fileURLWithPath: path)
        let folder = canonical(url.deletingLastPathComponent().path) ?? url.deletingLastPathComponent().path
        return (folder as NSString).appendingPathComponent(url.lastPathComponent)
    }

    /// One rule for every file a command writes (run's --save, --save-best and --plot, sweep's
    /// --plot, export's -o, predict's --output, checkpoints): its folder exists and is writable; what
    /// is there already is a regular file (an atomic write would replace a device, a FIFO or a link's
    /// target with a plain file); and it is none of the command's inputs (the spec, its data files,
    /// the weights it reads), nor another output of the same command.
    public static func checkOutputs(_ outputs: [(option: String, path: String)], inputs: [String]) throws(DataFileError) {
        let protected = Set(inputs.compactMap(canonical))
        var seen: Set<String> = []
        for (option, path) in outputs {
            try checkReplaceable(path, shown: "\(option) \(path)")
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard FileManager.default.isWritableFile(atPath: folder) else {
                throw DataFileError(message: "cannot write \(option) \(path): the folder \(folder) does not exist or is not writable", help: nil)
            }
            let target = target(of: path)
            if protected.contains(target) {
                throw DataFileError(message: "\(option) \(path) would overwrite an input of this command", help: "choose another path")
            }
            guard seen.insert(target).inserted else {
                throw DataFileError(message: "two outputs of this command name \(path)", help: "choose different paths")
            }
        }
    }

    /// Refuses to replace anything but a regular file (or nothing): a device, a FIFO, a socket or a folder.
    public static func checkReplaceable(_ path: String, shown: String) throws(DataFileError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        let kind = info.st_mode & S_IFMT
        guard kind != S_IFREG else { return }
        let what = kind == S_IFDIR ? "a folder" : kind == S_IFIFO ? "a FIFO" : kind == S_IFSOCK ? "a socket" : kind == S_IFLNK ? "a symbolic link" : "a device"
        throw DataFileError(message: "will not write \(shown): it is \(what), and dnnc replaces only regular files",
                            help: kind == S_IFLNK ? "name the link's target instead" : "name a file path")
    }
}

/// A file that cannot be read as data, or a path a spec may not use: what is wrong and what would fix it.
public struct DataFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var help: String?

    public init(message: String, help: String?) {
        self.message = message
        self.help = help
    }

    /// The message, then its help on a line of its own, for a command-line error.
    public var description: String { message + (help.map { "\n  help: \($0)" } ?? "") }
}
