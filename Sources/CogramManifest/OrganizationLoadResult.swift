/// One organization's share of a load: the manifests at or below its root, merged and checked on their own.
public struct LoadedOrganization: Sendable, Hashable {
    public var desired: DesiredState
    /// The files of this organization, in load order (for its manifest digest and for rendering diagnostics).
    public var sources: [SourceFile]

    /// The `organization:` section; nil for the one unnamed organization of manifests without it.
    public var organization: OrganizationSection? { desired.organization }
    /// The organization's name; nil when unnamed.
    public var name: String? { desired.organization?.name }
}

/// What `ManifestLoader.loadOrganizations` produced: one organization per root when there were no errors, every
/// diagnostic of every root, and every source read.
public struct OrganizationLoadResult: Sendable {
    /// Ordered by name: one per root, or a single unnamed organization when no file has `organization:`. Empty
    /// when any diagnostic is an error.
    public var organizations: [LoadedOrganization]
    public var diagnostics: [Diagnostic]
    public var sources: [SourceFile]
    /// Hidden files and folders (a name starting with ".") that loading a directory passed over, as shown paths.
    public var skipped: [String] = []

    public var isValid: Bool { !organizations.isEmpty && !diagnostics.hasErrors }

    /// The organizations named in `names` (`--org NAME`, repeatable), in name order; all of them when `names` is
    /// empty.
    public func selecting(_ names: [String]) throws(OrganizationSelectionError) -> [LoadedOrganization] {
        guard !names.isEmpty else { return organizations }
        let known = organizations.compactMap(\.name)
        guard !known.isEmpty else { throw .unnamed }
        for name in names where !known.contains(name) {
            throw .unknown(name: name, known: known)
        }
        let wanted = Set(names)
        return organizations.filter { $0.name.map(wanted.contains) ?? false }
    }

    /// One organization of this result as a result of its own: its state, its files and the diagnostics located
    /// in them, for the offline commands that edit one root at a time (`offboard`).
    public func result(of organization: LoadedOrganization) -> LoadResult {
        let files = Set(organization.sources.map(\.path))
        return LoadResult(
            desired: organization.desired, diagnostics: diagnostics.filter { $0.location.map { files.contains($0.file) } ?? false },
            sources: organization.sources)
    }

    /// The result as one organization, for commands that handle one at a time: several organizations are an
    /// error that asks for one organization's folder.
    public var single: LoadResult {
        var result = LoadResult(
            desired: organizations.count == 1 ? organizations[0].desired : nil, diagnostics: diagnostics, sources: sources)
        result.skipped = skipped
        if organizations.count > 1 {
            let named = organizations.compactMap(\.organization)
            let list = named.map { "'\($0.name)' at \($0.location)" }.joined(separator: ", ")
            result.diagnostics.append(Diagnostic(.error, at: named.dropFirst().first?.location,
                "the manifests hold several organizations (\(list)); this command works on one organization at a time: give it one organization's folder"))
            result.diagnostics = result.diagnostics.sortedByLocation()
            result.desired = nil
        }
        return result
    }
}

/// A `--org NAME` that names no organization of the manifests.
public enum OrganizationSelectionError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknown(name: String, known: [String])
    /// The manifests have no `organization:` section, so there is nothing to choose by name.
    case unnamed

    public var description: String {
        switch self {
        case .unknown(let name, let known):
            let shown = ControlCharacters.escaping(String(name.prefix(120)), .terminal)
            let hint = Suggestion.closest(to: name, in: known).map { " (did you mean '\($0)'?)" } ?? ""
            return "--org '\(shown)' names no organization of the manifests\(hint); they hold: "
                + known.map { "'\($0)'" }.joined(separator: ", ")
        case .unnamed:
            return "--org chooses organizations by the name in their 'organization:' section, and these manifests have none; remove --org or add the section"
        }
    }
}
