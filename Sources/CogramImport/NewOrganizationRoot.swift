import CogramCore
import CogramManifest
import Foundation

/// Where `import --org-root DIR` may bootstrap one more organization of a repository (cli.md, "Third round:
/// precise rules"): DIR becomes a root beside the others, so it must not be inside or around one, and neither the
/// organization nor its key variable may have a root already. Checked before anything is read from Cogram, so
/// that a refusal writes nothing and sends no key.
public struct NewOrganizationRoot: Sendable, Hashable {
    /// The folder, as given.
    public var directory: String
    public var name: String
    public var apiKeyEnv: String
    /// The roots the repository has already.
    public var existing: [FoundOrganizationRoot]

    /// Scans the repository of `directory` (the nearest folder above it that holds `.git`, else the current
    /// directory; and `directory` itself when it lies outside that) and checks the new root against its roots.
    public init(
        directory: String, name: String, apiKeyEnv: String, loader: ManifestLoader = ManifestLoader()
    ) throws(NewOrganizationRootError) {
        self.directory = directory
        self.name = name
        self.apiKeyEnv = apiKeyEnv
        let target = Self.absolute(directory)
        let repository = Self.repository(of: target) ?? Self.absolute(".")
        var found = loader.organizationRoots(below: repository)
        if !Self.contains(repository, target), FileManager.default.fileExists(atPath: target) {
            found += loader.organizationRoots(below: target)
        }
        existing = found
        for root in found {
            if Self.contains(root.directory, target) { throw .insideRoot(directory: directory, root: root) }
            if Self.contains(target, root.directory) { throw .aroundRoot(directory: directory, root: root) }
        }
        for root in found {
            guard let section = root.section else { continue }
            if section.name == name { throw .sameName(root) }
            if section.apiKeyEnv == apiKeyEnv { throw .sameKeyVariable(apiKeyEnv, root) }
        }
    }

    /// Roots that set no `api_key_env`: with a second organization they must (manifest-v1.md, "Third round").
    public var warnings: [String] {
        existing.compactMap { root in
            guard let section = root.section, section.apiKeyEnv == nil else { return nil }
            return "\(root.described) sets no api_key_env; with several organizations each one needs it: add "
                + "'api_key_env: \(ManifestLoader.suggestedKeyVariable(for: section.name))' there before the next plan"
        }
    }

    /// After the read: a key that reads an organization that another root anchors to is that organization's key.
    public func check(anchor: String?) throws(NewOrganizationRootError) {
        guard let anchor else { return }
        if let root = existing.first(where: { $0.section?.anchor == anchor }) { throw .sameAnchor(anchor, root) }
    }

    // MARK: - Paths

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (full as NSString).standardizingPath
    }

    /// The nearest folder at or above `path`'s parent that holds `.git`.
    static func repository(of path: String) -> String? {
        var folder = (path as NSString).deletingLastPathComponent
        while !folder.isEmpty {
            if FileManager.default.fileExists(atPath: folder + "/.git") { return folder }
            if folder == "/" { return nil }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// Whether `inner` is `outer` or below it.
    static func contains(_ outer: String, _ inner: String) -> Bool {
        inner == outer || inner.hasPrefix(outer == "/" ? "/" : outer + "/")
    }
}

/// Why `import --org-root` refused; nothing was written.
public enum NewOrganizationRootError: EscapedErrorDescription, Sendable, Hashable {
    case insideRoot(directory: String, root: FoundOrganizationRoot)
    case aroundRoot(directory: String, root: FoundOrganizationRoot)
    case sameName(FoundOrganizationRoot)
    case sameKeyVariable(String, FoundOrganizationRoot)
    case sameAnchor(String, FoundOrganizationRoot)

    public var description: String {
        switch self {
        case .insideRoot(let directory, let root): Self.nesting(directory, "is inside", root, "outside every root")
        case .aroundRoot(let directory, let root): Self.nesting(directory, "holds", root, "that holds no other root")
        case .sameName(let root):
            "the repository has a root for this organization already: \(root.described); import it there with "
                + "--out, or choose another --organization-name"
        case .sameKeyVariable(let variable, let root):
            "\(OutputEscaping.terminal(variable)) is the key variable of \(root.described) already; each "
                + "organization needs its own: choose another --api-key-env"
        case .sameAnchor(let anchor, let root):
            "the key read the organization of \(root.described) (a user with its anchor "
                + "\(OutputEscaping.terminal(anchor))): that is the wrong key for a new organization; put the new "
                + "organization's key in the variable and import again"
        }
    }

    private static func nesting(_ directory: String, _ relation: String, _ root: FoundOrganizationRoot, _ choice: String) -> String {
        "--org-root \(OutputEscaping.terminal(directory)) \(relation) the organization root of \(root.described); "
            + "roots must not nest: choose a folder \(choice), for example beside it"
    }
}
