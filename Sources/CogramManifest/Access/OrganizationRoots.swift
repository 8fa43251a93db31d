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
    static func organizationFiles(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var files: [String] = []
        for name in names.sorted() where (name.hasSuffix(".yaml") || name.hasSuffix(".yml")) && !name.hasPrefix(".") {
            let file = (directory as NSString).appendingPathComponent(name)
            // Regular files only, not followed through symlinks: a FIFO would block the read.
            guard (try? FileManager.default.attributesOfItem(atPath: file)[.type] as? FileAttributeType) == .typeRegular,
                  let handle = FileHandle(forReadingAtPath: file) else { continue }
            defer { try? handle.close() }
            guard let data = try? handle.read(upToCount: 1 << 20) else { continue }
            if hasOrganizationLine(data) { files.append(file) }
        }
        return files
    }

    /// Whether a line of `data` starts with `organization:`, found on the bytes: a file above the manifests may be
    /// large, and Foundation's search of a `String` read from it cost more than loading the manifests' sections.
    /// A match followed by a non-ASCII byte (a combining mark would make `:` part of another character) is decided
    /// by the `String` search, which tells characters apart.
    static func hasOrganizationLine(_ data: Data) -> Bool {
        let key: StaticString = "organization:"
        let verdict: Bool? = data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Bool? in
            key.withUTF8Buffer { key -> Bool? in
                // memcmp and memchr rather than buffer slices: every run searches the folders above its manifests,
                // and a debug build (the end-to-end tests' binary) spent a third of a second on a 1 MB file.
                guard let base = bytes.baseAddress, let keyBase = key.baseAddress else { return false }
                var start = 0
                while bytes.count - start >= key.count {
                    if memcmp(base + start, keyBase, key.count) == 0 {
                        let end = start + key.count
                        return end == bytes.count || bytes[end] < 0x80 ? true : nil
                    }
                    guard let newline = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start) else { return false }
                    start = base.distance(to: UnsafeRawPointer(newline)) + 1
                }
                return false
            }
        }
        if let verdict { return verdict }
        let text = String(decoding: data, as: UTF8.self)
        return text.hasPrefix("organization:") || text.contains("\norganization:")
    }
}

/// An organization root found by scanning a folder: the file that holds `organization:` and its section (nil when
/// the section does not decode; the folder is a root all the same).
public struct FoundOrganizationRoot: Sendable, Hashable {
    /// The file as shown (relative to the current directory when inside it).
    public var file: String
    /// The root's absolute, standardized folder.
    public var directory: String
    public var section: OrganizationSection?

    /// `'Acme US' (us/org.yaml:2:1)`, or the file alone when its section did not decode.
    public var described: String {
        guard let section else { return "the root of \(OutputEscaping.terminal(file))" }
        return "'\(OutputEscaping.terminal(section.name))' (\(section.location))"
    }
}

extension ManifestLoader {
    /// The organization roots at or below `directory`, without loading the manifests (which may not load together
    /// yet): hidden folders are passed over, as when loading. For `import --org-root`, which adds a root.
    public func organizationRoots(below directory: String) -> [FoundOrganizationRoot] {
        let top = Self.absolute(directory)
        let current = Self.absolute(".")
        func shown(_ path: String) -> String {
            path.hasPrefix(current + "/") ? String(path.dropFirst(current.count + 1)) : path
        }
        var folders = [top]
        if let enumerator = FileManager.default.enumerator(atPath: top) {
            while let relative = enumerator.nextObject() as? String {
                if (relative as NSString).lastPathComponent.hasPrefix(".") {
                    enumerator.skipDescendants()
                    continue
                }
                if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory {
                    folders.append(top + "/" + relative)
                }
            }
        }
        var roots: [FoundOrganizationRoot] = []
        for folder in folders {
            for file in OrganizationRoots.organizationFiles(in: folder) {
                let path = shown(file)
                let bytes = FileManager.default.contents(atPath: file).map { [UInt8]($0) } ?? []
                let section = Self.decode(SourceFile(path: path, bytes: bytes), limits: limits).0?.organization
                roots.append(FoundOrganizationRoot(file: path, directory: (folder as NSString).standardizingPath, section: section))
            }
        }
        return roots
    }
}
