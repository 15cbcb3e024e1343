// Which files `dnnc check DIR` checks: the YAML files in a folder tree that are dnnc specs, less
// those a `.dnncignore` file excludes.

import Foundation

/// A `.dnncignore` file: one pattern a line, `#` starts a comment, as .gitignore (and as ruff's
/// `exclude` and yamllint's `ignore`). A pattern without `/` (or with one only at its end) matches a
/// file or folder name at any depth (`broken-*.yaml`, `fixtures/`); one with a `/` inside matches the
/// path relative to the ignore file's folder (`tests/corpus`, `bench/*/data`). `*` and `?` match
/// within a name, `**` any number of folders. A matched folder excludes everything under it; a
/// trailing `/` makes a pattern match folders only. A `!` pattern re-includes what it matches.
public struct IgnoreFile: Sendable {
    public static let name = ".dnncignore"
    /// The folder the patterns are relative to.
    public var folder: String
    public var patterns: [(glob: String, anchored: Bool, foldersOnly: Bool, negated: Bool)]

    public init(folder: String, text: String) {
        self.folder = folder
        patterns = text.split(whereSeparator: \.isNewline).compactMap { raw in
            var line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
            let negated = line.hasPrefix("!")
            if negated { line.removeFirst() }
            let foldersOnly = line.hasSuffix("/")
            while line.hasSuffix("/") { line.removeLast() }
            let anchored = line.contains("/")
            while line.hasPrefix("/") { line.removeFirst() }
            return line.isEmpty ? nil : (line, anchored, foldersOnly, negated)
        }
    }

    /// The nearest `.dnncignore` in `folder` or the folders above it, up to the project root (the git
    /// top level); nil when there is none.
    public static func nearest(to folder: String) -> IgnoreFile? {
        var url = URL(fileURLWithPath: FilePolicy.canonical(folder) ?? folder)
        while true {
            let candidate = url.appendingPathComponent(name).path
            if let data = FileManager.default.contents(atPath: candidate) {
                return IgnoreFile(folder: url.path, text: String(decoding: data, as: UTF8.self))
            }
            if FileManager.default.fileExists(atPath: url.appendingPathComponent(".git").path) { return nil }
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { return nil }
            url = parent
        }
    }

    /// Whether the file or folder at `path` (absolute, canonical) is excluded.
    public func excludes(_ path: String, isFolder: Bool) -> Bool {
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        guard path.hasPrefix(base) else { return false }
        let parts = path.dropFirst(base.count).split(separator: "/").map(String.init)
        var excluded = false
        for pattern in patterns {
            // The path itself, or any folder above it, may match.
            var hit = false
            for end in 1 ... max(parts.count, 1) where !parts.isEmpty {
                let folderHit = end < parts.count || isFolder
                if pattern.foldersOnly && !folderHit { continue }
                let candidate = pattern.anchored ? parts[0 ..< end].joined(separator: "/") : parts[end - 1]
                if Self.glob(pattern.glob, matches: candidate) { hit = true; break }
            }
            if hit { excluded = !pattern.negated }
        }
        return excluded
    }

    /// `*` and `?` within a path component, `**` across components.
    static func glob(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern.unicodeScalars), t = Array(text.unicodeScalars)
        var memo: [Int: Bool] = [:]
        func match(_ i: Int, _ j: Int) -> Bool {
            let key = i * (t.count + 1) + j
            if let known = memo[key] { return known }
            var result: Bool
            if i == p.count {
                result = j == t.count
            } else if p[i] == "*", i + 1 < p.count, p[i + 1] == "*" {
                // `**/` may also match nothing.
                let next = i + 2 < p.count && p[i + 2] == "/" ? i + 3 : i + 2
                result = match(next, j) || (j < t.count && match(i, j + 1))
            } else if p[i] == "*" {
                result = match(i + 1, j) || (j < t.count && t[j] != "/" && match(i, j + 1))
            } else if j < t.count && (p[i] == "?" ? t[j] != "/" : p[i] == t[j]) {
                result = match(i + 1, j + 1)
            } else {
                result = false
            }
            memo[key] = result
            return result
        }
        return match(0, 0)
    }
}

public enum SpecDiscovery {
    /// The *.yaml and *.yml files under `folder`, sorted by path. Files directly in the folder are
    /// all taken: naming the folder says they are specs. Files in its subfolders are taken when they
    /// hold a top-level `dnnc:` key, so `dnnc check .` skips a repository's other YAML (CI
    /// workflows, compose files). Hidden files and folders (.git, .build) are skipped, and symbolic
    /// links to folders are not followed, so a link cycle cannot loop.
    ///
    /// The nearest `.dnncignore` (in the folder or above it, up to the project root) excludes files
    /// and folders by pattern (IgnoreFile); a file named on the command line is always checked.
    public static func specs(under folder: String) -> [String] {
        let root = URL(fileURLWithPath: folder)
        guard let enumerator = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey, .isDirectoryKey], options: [.skipsHiddenFiles]) else { return [] }
        let rootDepth = root.standardizedFileURL.pathComponents.count
        let canonicalRoot = FilePolicy.canonical(folder) ?? root.standardizedFileURL.path
        // A folder named on the command line is checked even when the ignore file excludes it.
        let ignore = IgnoreFile.nearest(to: folder).flatMap { $0.excludes(canonicalRoot, isFolder: true) ? nil : $0 }
        var found: [String] = []
        for case let url as URL in enumerator {
            if let ignore {
                let isFolder = (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true
                let relative = url.standardizedFileURL.pathComponents.dropFirst(rootDepth).joined(separator: "/")
                if ignore.excludes(canonicalRoot + "/" + relative, isFolder: isFolder) {
                    if isFolder { enumerator.skipDescendants() }
                    continue
                }
            }
            guard ["yaml", "yml"].contains(url.pathExtension.lowercased()),
                  (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let depth = url.standardizedFileURL.pathComponents.count - rootDepth
            let relative = url.standardizedFileURL.pathComponents.dropFirst(rootDepth).joined(separator: "/")
            let path = folder == "." || folder == "./" ? relative
                : folder.hasSuffix("/") ? folder + relative : folder + "/" + relative
            if depth == 1 || hasDnncKey(path) { found.append(path) }
        }
        return found.sorted()
    }

    /// Whether a file has a line that starts with the `dnnc:` key; reads at most 1 MiB.
    static func hasDnncKey(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: 1 << 20)) ?? Data()
        let text = String(decoding: data, as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).contains { line in
            line.hasPrefix("dnnc:") || line.hasPrefix("dnnc :") || line.hasPrefix("\"dnnc\":") || line.hasPrefix("'dnnc':")
        }
    }
}
