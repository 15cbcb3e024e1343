// Which files `dnnc check DIR` checks: the YAML files in a folder tree that are dnnc specs.

import Foundation

public enum SpecDiscovery {
    /// The *.yaml and *.yml files under `folder`, sorted by path. Files directly in the folder are
    /// all taken: naming the folder says they are specs. Files in its subfolders are taken when they
    /// hold a top-level `dnnc:` key, so `dnnc check .` skips a repository's other YAML (CI
    /// workflows, compose files). Hidden files and folders (.git, .build) are skipped, and symbolic
    /// links to folders are not followed, so a link cycle cannot loop.
    public static func specs(under folder: String) -> [String] {
        let root = URL(fileURLWithPath: folder)
        guard let enumerator = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles]) else { return [] }
        let rootDepth = root.standardizedFileURL.pathComponents.count
        var found: [String] = []
        for case let url as URL in enumerator {
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
