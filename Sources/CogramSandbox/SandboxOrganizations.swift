import CogramAPI
import Foundation

// `--sandbox` with organizations (cli.md, "Third round: precise rules"): each organization root maps to a sandbox
// organization of the same name in one database, seeded from the seed beside that root, with a key of its own.

/// One organization an embedded sandbox must hold: what the manifests of one root say about it.
public struct SandboxOrganizationSeed: Sendable, Hashable {
    /// The `organization:` name of the root; the sandbox organization of this name is used or made.
    public var name: String
    /// The seed file for the organization when the database does not hold it yet (see `besideRoot`); nil seeds it
    /// from `emails`.
    public var seedPath: String?
    /// The emails the root's manifests name (normalized), made members when there is no seed file.
    public var emails: Set<String>
    /// The root's `organization.anchor`: without a seed file, an admin with this id is seeded, so that the
    /// anchor check passes in the sandbox as it would against the organization's real key.
    public var anchor: String?

    public init(name: String, seedPath: String? = nil, emails: Set<String> = [], anchor: String? = nil) {
        self.name = name
        self.seedPath = seedPath
        self.emails = emails
        self.anchor = anchor
    }

    /// `sandbox-seed.json` in the root's folder, when there is one.
    public static func besideRoot(_ root: String) -> String? {
        let file = URL(fileURLWithPath: root).appendingPathComponent("sandbox-seed.json").path
        return FileManager.default.fileExists(atPath: file) ? file : nil
    }

    /// The seed for a new organization and where it came from (for the banner). A seed file's own
    /// `organization` is replaced by `name`: the file beside a root seeds that root's organization.
    public func seed() throws(SandboxSeed.Unreadable) -> (seed: SandboxSeed, source: String) {
        if let seedPath {
            do {
                var seed = try SandboxSeed.load(path: seedPath)
                seed.organization = name
                return (seed, SandboxSeed.relativePath(seedPath))
            } catch {
                throw SandboxSeed.Unreadable(path: SandboxSeed.relativePath(seedPath), reason: "\(error)")
            }
        }
        var users = emails.sorted().map { email in
            SandboxSeed.User(email: email, name: String(email.prefix { $0 != "@" }), role: .member)
        }
        var source = "the manifests' \(users.count) email\(users.count == 1 ? "" : "s")"
        if let anchor {
            users.append(SandboxSeed.User(
                email: Self.anchorEmail, name: "Sandbox admin", role: .admin, id: anchor))
            source += " and an admin with the anchor's id"
        }
        return (SandboxSeed(organization: name, users: users), source)
    }

    /// The email of the admin seeded for an anchor (`.invalid` is reserved: it can never reach anyone).
    public static let anchorEmail = "sandbox-admin@sandbox.invalid"
}

/// An organization of a sandbox serving several, and the key that reads it (and only it).
public struct SandboxOrganizationKey: Sendable, Hashable {
    public var name: String
    public var organizationID: String
    /// The database's embedded key of this organization: made by the first run, reused by the next ones, never
    /// printed.
    public var apiKey: APIKey
    /// Where a newly made organization's seed came from; nil when the database held the organization already.
    public var seededFrom: String?
}

extension SandboxStore {
    /// Makes sure the database holds one organization per entry of `organizations` (found by name, else made and
    /// seeded), and returns each one's embedded key, in the order given. Seeds are read before anything is
    /// written, so that an unreadable seed leaves the database as it was.
    public func ensureOrganizations(_ organizations: [SandboxOrganizationSeed]) throws -> [SandboxOrganizationKey] {
        var names = Set<String>()
        for organization in organizations where !names.insert(organization.name).inserted {
            throw SandboxError.invalidArgument("the organization '\(organization.name)' is asked for twice; organization names must be unique")
        }
        var seeds: [String: (seed: SandboxSeed, source: String)] = [:]
        for organization in organizations where try self.organization(byName: organization.name) == nil {
            seeds[organization.name] = try organization.seed()
        }
        return try organizations.map { organization in
            let id: String
            var seededFrom: String?
            if let (seed, source) = seeds[organization.name] {
                id = try self.seed(seed)
                seededFrom = source
            } else if let existing = try self.organization(byName: organization.name) {
                id = existing.id
            } else {
                throw SandboxError.invalidArgument("the organization '\(organization.name)' disappeared from the database while it was prepared")
            }
            return SandboxOrganizationKey(
                name: organization.name, organizationID: id, apiKey: APIKey(try embeddedKey(orgID: id)), seededFrom: seededFrom)
        }
    }

    /// The organization of exactly this name (`organization(_:)` also matches ids).
    func organization(byName name: String) throws -> Organization? {
        try organizations().first { $0.name == name }
    }
}
