// Organization roots (manifest-v1.md, "Organization" and "Third round: precise rules"): the folder of each
// `organization:` file holds that organization's manifests. Files are split by root before they are merged, so
// that every section and uniqueness rule, and the visibility of groups, holds per root.

/// A source and what it decoded to (nil when it did not compose).
struct DecodedFile {
    var source: SourceFile
    var fragment: ManifestFragment?
}

/// The files of one root (or, without roots, of the one unnamed organization), to be merged together.
struct RootPart {
    var sources: [SourceFile] = []
    var fragments: [ManifestFragment] = []
}

extension ManifestLoader {
    /// A folder that holds an `organization:` file. `section` is nil when the section did not decode (its errors
    /// are reported already; the folder still counts as a root, so that its files are not reported again).
    private struct Root {
        var directory: String
        var section: OrganizationSection?
        var file: String
    }

    /// Splits the files by organization root, in load order. Reports a root inside another, a file outside every
    /// root, and what two roots must not share; without any `organization:` every file is one part.
    static func partition(_ files: [DecodedFile], diagnostics: inout [Diagnostic]) -> [RootPart] {
        var files = files
        var roots: [Root] = []
        for index in files.indices {
            guard let fragment = files[index].fragment, fragment.declaresOrganization else { continue }
            let path = files[index].source.path
            let directory = absolute(OrganizationRoots.directory(of: path))
            // A second section in the same folder is one root; merging reports the section twice.
            guard !roots.contains(where: { $0.directory == directory }) else { continue }
            roots.append(Root(directory: directory, section: fragment.organization, file: path))
        }
        guard !roots.isEmpty else {
            return [RootPart(sources: files.map(\.source), fragments: files.compactMap(\.fragment))]
        }
        let nested = nestedRoots(roots, diagnostics: &diagnostics)
        for index in files.indices where files[index].fragment?.organization != nil {
            let directory = absolute(OrganizationRoots.directory(of: files[index].source.path))
            if nested.contains(directory) { files[index].fragment?.organization = nil }
        }
        roots.removeAll { nested.contains($0.directory) }
        checkDistinct(roots.compactMap(\.section), diagnostics: &diagnostics)

        // A file that did not compose may be the `organization:` file of its folder: files outside the known
        // roots are then not reported (the load has failed already).
        let rootsAreKnown = files.allSatisfy { $0.fragment != nil }
        var parts = [RootPart](repeating: RootPart(), count: roots.count)
        // Files of one folder share a root: each folder is resolved once (loads hold thousands of files).
        var rootOfFolder: [String: Int?] = [:]
        for file in files {
            let folder = OrganizationRoots.directory(of: file.source.path)
            let found: Int?
            if let known = rootOfFolder[folder] {
                found = known
            } else {
                let directory = absolute(folder)
                found = roots.firstIndex { contains($0.directory, directory) }
                rootOfFolder[folder] = .some(found)
            }
            guard let index = found else {
                if rootsAreKnown {
                    diagnostics.append(Diagnostic(.error, at: SourceLocation(file: file.source.path, line: 1, column: 1),
                        "this file is outside every organization root (\(describe(roots))); move it into the folder of "
                            + "the organization it belongs to, or load it on its own"))
                }
                continue
            }
            parts[index].sources.append(file.source)
            if let fragment = file.fragment { parts[index].fragments.append(fragment) }
        }
        return parts
    }

    /// Whether `directory` is `root` or below it.
    private static func contains(_ root: String, _ directory: String) -> Bool {
        directory == root || directory.hasPrefix(root == "/" ? "/" : root + "/")
    }

    /// Reports every root inside another (naming both files) and returns the inner ones' folders: their files
    /// count as the outer root's.
    private static func nestedRoots(_ roots: [Root], diagnostics: inout [Diagnostic]) -> Set<String> {
        var nested = Set<String>()
        for inner in roots {
            guard let outer = roots.filter({ $0.directory != inner.directory && contains($0.directory, inner.directory) })
                .max(by: { $0.directory.count < $1.directory.count }) else { continue }
            nested.insert(inner.directory)
            let at = inner.section?.location ?? SourceLocation(file: inner.file, line: 1, column: 1)
            let outerAt = outer.section.map { "'\($0.name)' at \($0.location)" } ?? outer.file
            diagnostics.append(Diagnostic(.error, at: at,
                "this organization root is inside the root of \(outerAt); roots must not nest: move one organization's "
                    + "manifests out of the other's folder"))
        }
        return nested
    }

    /// Two roots are two organizations: each has its own name, anchor and key variable, and with several roots
    /// every one names its key variable (so that a key is only ever sent for its own organization).
    private static func checkDistinct(_ sections: [OrganizationSection], diagnostics: inout [Diagnostic]) {
        var firsts: [String: [String: OrganizationSection]] = [:]  // key → value → the first section with it
        func distinct(_ key: String, _ value: String?, in section: OrganizationSection, also: (OrganizationSection) -> String) {
            guard let value else { return }
            guard let first = firsts[key]?[value] else { return firsts[key, default: [:]][value] = section }
            diagnostics.append(Diagnostic(.error, at: section.location,
                "each organization needs its own \(key): '\(value)' is also \(also(first))"))
        }
        for section in sections {
            distinct("name", section.name, in: section) { "the organization at \($0.location)" }
            distinct("anchor", section.anchor, in: section) {
                "the anchor of '\($0.name)' at \($0.location), so both roots would be the same Cogram organization"
            }
            distinct("api_key_env", section.apiKeyEnv, in: section) { "the key variable of '\($0.name)' at \($0.location)" }
        }
        guard sections.count > 1 else { return }
        for section in sections where section.apiKeyEnv == nil {
            diagnostics.append(Diagnostic(.error, at: section.location,
                "with several organizations every organization needs 'api_key_env' (the variable that holds its key); "
                    + "add one to '\(section.name)', for example \(suggestedKeyVariable(for: section.name))"))
        }
    }

    /// `COGRAM_API_KEY_` and the name in upper case, with `_` for anything but A-Z and 0-9.
    public static func suggestedKeyVariable(for name: String) -> String {
        var suffix = ""
        for scalar in name.uppercased().unicodeScalars {
            let isWord = ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            if isWord { suffix.unicodeScalars.append(scalar) } else if !suffix.hasSuffix("_") { suffix += "_" }
        }
        while suffix.hasSuffix("_") { suffix.removeLast() }
        while suffix.hasPrefix("_") { suffix.removeFirst() }
        return suffix.isEmpty ? "COGRAM_API_KEY_ORG" : "COGRAM_API_KEY_" + suffix
    }

    /// `'Acme EU' (eu/org.yaml), 'Acme US' (us/org.yaml)`.
    private static func describe(_ roots: [Root]) -> String {
        roots.map { root in root.section.map { "'\($0.name)' (\(root.file))" } ?? root.file }.joined(separator: ", ")
    }
}
