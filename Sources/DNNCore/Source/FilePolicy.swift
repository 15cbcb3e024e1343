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
        let (folder, root) = folders(ofSpecAt: specPath)
        if written.hasPrefix("/") && !allowOutsideRoot {
            throw DataFileError(message: "`\(written)` is an absolute path; a spec reads files inside its project (\(root))",
                                help: "write the path relative to the spec, or pass --allow-outside-root")
        }
        let joined = written.hasPrefix("/") ? written : URL(fileURLWithPath: folder).appendingPathComponent(written).path
        guard let path = canonical(joined) else {
            throw DataFileError(message: "cannot read \(written): no such file", help: "paths are relative to the spec's folder")
        }
        if !allowOutsideRoot && !(path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")) {
            throw DataFileError(message: "`\(written)` leads to \(path), outside the project root \(root)",
                                help: "keep data inside the project, or pass --allow-outside-root")
        }
        try checkRegular(path, shown: written)
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
}
