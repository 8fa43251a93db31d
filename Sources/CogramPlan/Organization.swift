import CogramAPI
import CogramManifest

/// Reads everything the key can see: every project (any status), every user, and every project's member list,
/// archived and unkeyed projects included. `plan` needs it when `offboarded:` is not empty (an offboarded person's
/// memberships are removed everywhere); `access` always needs it. Member lists are read concurrently, at most
/// `parallelism` at a time; `progress` is told of each page of the two lists, then of each member list done.
public func readFullObservedState(
    client: some CogramClientProtocol, parallelism: Int,
    progress: @escaping @Sendable (ObservedReadProgress) -> Void = { _ in }
) async throws -> ObservedState {
    let (projects, users) = try await readProjectsAndUsers(client: client, progress: progress)
    let ids = Array(Set(projects.map(\.id))).sorted()
    let members = try await readMemberLists(
        ids, projects: projects.count, users: users.count, client: client, parallelism: parallelism, progress: progress)
    return ObservedState(projects: projects, users: users, members: members)
}

/// The key reads an organization that has no user with the manifests' `organization.anchor` id: it is the key of
/// another organization, and nothing may be planned or applied with it.
public struct AnchorMismatch: Error, Sendable, Hashable, CustomStringConvertible {
    /// The manifests' organization name.
    public var organization: String
    public var anchor: String
    /// Where the key came from: an environment variable name (`COGRAM_API_KEY`, the `api_key_env` value) or
    /// `--api-key-file PATH`.
    public var keySource: String

    public init(organization: String, anchor: String, keySource: String) {
        self.organization = organization
        self.anchor = anchor
        self.keySource = keySource
    }

    public var description: String {
        "the API key from \(keySource) reads an organization with no user of id \(escapeForTerminal(anchor)), "
            + "the anchor of organization "
            + "'\(escapeForTerminal(organization))': it is the key of another organization; set \(keySource) to "
            + "the key of '\(escapeForTerminal(organization))' (nothing was planned or written)"
    }
}

/// Checks that `users` (the full user list the key reads) holds the organization's anchor. No `organization:`
/// section, or one without an anchor, passes: the plan then warns that the manifests are not bound.
public func checkAnchor(organization: OrganizationSection?, users: [User], keySource: String) throws(AnchorMismatch) {
    guard let organization, let anchor = organization.anchor else { return }
    guard users.contains(where: { $0.id == anchor }) else {
        throw AnchorMismatch(organization: organization.name, anchor: anchor, keySource: keySource)
    }
}
