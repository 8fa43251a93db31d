import Foundation

/// Finds the `organization:` file of the root above a path argument: a path below a root (a subfolder, a single
/// file) belongs to that root's organization.
enum OrganizationRoots {
    static func directory(of file: String) -> String {
        let directory = (file as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    /// The YAML files with a top-level `organization:` key in the folders strictly above each path (and, for a file
    /// argument, beside it), looking upward up to the folder holding `.git` or the filesystem root.
    static func organizationFiles(above paths: [String]) -> [String] {
        let fm = FileManager.default
        var found: [String] = []
        var visited = Set<String>()
        for path in paths {
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let absolute = ManifestLoader.absolute(path)
            // A directory argument loads its own files; a file argument does not load its neighbours.
            if isDirectory.boolValue, fm.fileExists(atPath: absolute + "/.git") { continue }
            var directory = isDirectory.boolValue ? parent(absolute) : (absolute as NSString).deletingLastPathComponent
            while let current = directory {
                if visited.insert(current).inserted {
                    found.append(contentsOf: organizationFiles(in: current))
                }
                if fm.fileExists(atPath: (current as NSString).appendingPathComponent(".git")) { break }
                directory = parent(current)
            }
        }
        return found
    }

    private static func parent(_ directory: String) -> String? {
        guard directory != "/" else { return nil }
        let up = (directory as NSString).deletingLastPathComponent
        return up.isEmpty ? "/" : up
    }

    /// The files of `directory` (not below it) whose text has a line starting with `organization:`.
    private static func organizationFiles(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var files: [String] = []
        for name in names.sorted() where (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !name.hasPrefix(".") {
            let file = (directory as NSString).appendingPathComponent(name)
            // Regular files only, not followed through symlinks: a FIFO would block the read.
            guard (try? FileManager.default.attributesOfItem(atPath: file)[.type] as? FileAttributeType) == .typeRegular,
                  let handle = FileHandle(forReadingAtPath: file) else { continue }
            defer { try? handle.close() }
            guard let data = try? handle.read(upToCount: 1 << 20) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            if text.hasPrefix("organization:") || text.contains("\norganization:") {
                files.append(file)
            }
        }
        return files
    }
}
