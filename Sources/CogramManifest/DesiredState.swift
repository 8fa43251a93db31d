/// A position in a manifest file: 1-based line and column, as editors show them.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

/// An optional manifest field: absent (not managed), explicitly null (clear it), or a value.
public enum FieldValue<Value: Sendable & Hashable>: Sendable, Hashable {
    case absent
    case null
    case value(Value)

    /// The value when one is set.
    public var value: Value? {
        if case .value(let v) = self { return v }
        return nil
    }

    public var isAbsent: Bool {
        if case .absent = self { return true }
        return false
    }
}

/// What the manifests say the organization should look like, merged across files.
public struct DesiredState: Sendable, Hashable {
    public var ownership: Ownership?
    public var policies: Policies?
    public var users: [DesiredUser]
    /// The named member lists; projects' `members` already hold their expanded members.
    public var groups: [DesiredGroup]
    public var projects: [DesiredProject]
    /// The files that were loaded, in load order.
    public var files: [String]

    public init(
        ownership: Ownership? = nil, policies: Policies? = nil, users: [DesiredUser] = [], groups: [DesiredGroup] = [],
        projects: [DesiredProject] = [], files: [String] = []
    ) {
        self.ownership = ownership
        self.policies = policies
        self.users = users
        self.groups = groups
        self.projects = projects
        self.files = files
    }

    /// The prefix that scopes which Cogram projects are managed, if any.
    public var externalIDPrefix: String? { ownership?.externalIDPrefix }
}

/// The `ownership` section.
public struct Ownership: Sendable, Hashable {
    public var externalIDPrefix: String?
    public var location: SourceLocation

    public init(externalIDPrefix: String?, location: SourceLocation) {
        self.externalIDPrefix = externalIDPrefix
        self.location = location
    }
}

/// An entry of `users`.
public struct DesiredUser: Sendable, Hashable {
    /// The email as written; compare with `normalizedEmail`.
    public var email: String
    public var role: OrganizationRole?
    public var externalID: FieldValue<String>
    public var location: SourceLocation

    public init(email: String, role: OrganizationRole? = nil, externalID: FieldValue<String> = .absent, location: SourceLocation) {
        self.email = email
        self.role = role
        self.externalID = externalID
        self.location = location
    }

    public var normalizedEmail: String { normalizeEmail(email) }
}

/// An entry of `projects`.
public struct DesiredProject: Sendable, Hashable {
    public var externalID: String
    public var name: String
    public var description: FieldValue<String>
    /// Adopt this existing Cogram project (by its API id).
    public var id: String?
    public var previousExternalIDs: [String]
    /// `archived: true` keeps (or makes) the project archived; absent or false means active.
    public var archived: Bool
    /// `nil` when the membership is not managed; `[]` when the project must have no members. Groups are expanded:
    /// each user appears once, with the role that won (see `DesiredMember.group`).
    public var members: [DesiredMember]?
    public var location: SourceLocation

    public init(
        externalID: String, name: String, description: FieldValue<String> = .absent, id: String? = nil,
        previousExternalIDs: [String] = [], archived: Bool = false, members: [DesiredMember]? = nil,
        location: SourceLocation
    ) {
        self.externalID = externalID
        self.name = name
        self.description = description
        self.id = id
        self.previousExternalIDs = previousExternalIDs
        self.archived = archived
        self.members = members
        self.location = location
    }
}

/// An entry of a project's `members`, or a member that a group brought in.
public struct DesiredMember: Sendable, Hashable {
    public var email: String
    public var role: ProjectRole
    /// Where the email is written: the project's entry, or the group's entry when `group` is set.
    public var location: SourceLocation
    /// The group that brought the member into the project; nil for a direct `email` entry.
    public var group: String?

    public init(email: String, role: ProjectRole, location: SourceLocation, group: String? = nil) {
        self.email = email
        self.role = role
        self.location = location
        self.group = group
    }

    public var normalizedEmail: String { normalizeEmail(email) }
}

/// An email lower-cased for comparison. Nearly every email is lower-case ASCII already: it is returned as it is,
/// without the allocation and Unicode case mapping of `lowercased()` (which gives the same string for it).
@inlinable
public func normalizeEmail(_ email: String) -> String {
    var email = email
    let unchanged = email.withUTF8 { bytes in
        !bytes.contains { $0 >= 0x80 || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
    }
    return unchanged ? email : email.lowercased()
}
