import CogramAPI
import Foundation

/// The seed file: an organization, its users and optionally some projects.
///
/// Applying a seed is idempotent (see `SandboxStore.seed(_:)`): the organization is found by name, users by
/// email, and a seeded project is created only the first time its entry is seen.
public struct SandboxSeed: Codable, Sendable, Hashable {
    /// The organization's name; it identifies the organization inside the database.
    public var organization: String
    public var users: [User]
    public var projects: [Project]?

    public init(organization: String, users: [User], projects: [Project]? = nil) {
        self.organization = organization
        self.users = users
        self.projects = projects
    }

    /// A user of the organization (users cannot be created through the API).
    public struct User: Codable, Sendable, Hashable {
        /// A fixed id, so that a manifest's `organization.anchor` can name it; generated when absent.
        public var id: String?
        public var email: String
        public var name: String
        public var role: OrganizationRole
        public var externalID: String?
        public var status: UserStatus?

        public init(
            email: String, name: String, role: OrganizationRole, externalID: String? = nil,
            status: UserStatus? = nil, id: String? = nil
        ) {
            self.id = id
            self.email = email
            self.name = name
            self.role = role
            self.externalID = externalID
            self.status = status
        }

        enum CodingKeys: String, CodingKey {
            case id, email, name, role, status
            case externalID = "external_id"
        }
    }

    /// A project that exists before any manifest is applied.
    public struct Project: Codable, Sendable, Hashable {
        /// A fixed id (for examples that adopt the project); generated when absent.
        public var id: String?
        public var name: String
        public var description: String?
        public var externalID: String?
        public var status: ProjectStatus?
        public var members: [Member]?

        public init(
            id: String? = nil, name: String, description: String? = nil, externalID: String? = nil,
            status: ProjectStatus? = nil, members: [Member]? = nil
        ) {
            self.id = id
            self.name = name
            self.description = description
            self.externalID = externalID
            self.status = status
            self.members = members
        }

        enum CodingKeys: String, CodingKey {
            case id, name, description, status, members
            case externalID = "external_id"
        }

        /// What identifies this entry across seedings: the fixed id, else the external id, else the name.
        var seedKey: String {
            if let id { return "id:\(id)" }
            if let externalID { return "external_id:\(externalID)" }
            return "name:\(name)"
        }
    }

    public struct Member: Codable, Sendable, Hashable {
        public var email: String
        public var role: ProjectRole

        public init(email: String, role: ProjectRole) {
            self.email = email
            self.role = role
        }
    }

    /// Reads and decodes a seed file.
    public static func load(path: String) throws -> SandboxSeed {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SandboxError.seedUnreadable(path: path, reason: error.localizedDescription)
        }
        do {
            return try JSONDecoder().decode(SandboxSeed.self, from: data)
        } catch {
            throw SandboxError.seedInvalid(path: path, reason: DecodingError.describe(error))
        }
    }
}
