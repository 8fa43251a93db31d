/// A position in a manifest file: 1-based line and column, as editors show them.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int {
        get { Int(storedLine) }
        set { storedLine = Int32(clamping: newValue) }
    }
    public var column: Int {
        get { Int(storedColumn) }
        set { storedColumn = Int32(clamping: newValue) }
    }
    // 32 bits each, as in the composed document (whose sources are under 1 GB): every member of a large
    // organization carries a location, and this keeps one in 24 bytes instead of 32.
    private var storedLine: Int32
    private var storedColumn: Int32

    public init(file: String, line: Int, column: Int) {
        self.file = file
        storedLine = Int32(clamping: line)
        storedColumn = Int32(clamping: column)
    }

    /// A composed node's position, as the document stores it: made for every member of a large load.
    init(file: String, line32: Int32, column32: Int32) {
        self.file = file
        storedLine = line32
        storedColumn = column32
    }

    /// `path:line:col` for people: the path under the terminal rule, since a file name is outside text too.
    public var description: String { "\(OutputEscaping.terminal(file)):\(line):\(column)" }

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
    /// The `organization` section, if a loaded file has one.
    public var organization: OrganizationSection?
    /// The `offboarded` entries, in file order.
    public var offboarded: [OffboardedPerson] = []
    /// Where the `offboarded` section is, if a loaded file has one (even an empty one).
    public var offboardedLocation: SourceLocation?
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
    /// The last day (UTC) on which `role` holds; from the next day the role is `then`.
    public var expires: CalendarDay?
    /// The role from the day after `expires` (required with `expires`).
    public var then: OrganizationRole?
    public var location: SourceLocation

    public init(
        email: String, role: OrganizationRole? = nil, externalID: FieldValue<String> = .absent, expires: CalendarDay? = nil,
        then: OrganizationRole? = nil, location: SourceLocation
    ) {
        self.email = email
        self.role = role
        self.externalID = externalID
        self.expires = expires
        self.then = then
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
    public var members: [DesiredMember]? {
        get { expandedMembers }
        set {
            // The entries as written do not change with the members: when they were the members themselves, they
            // are kept as they were before the members change (`evaluated(asOf:)` drops expired members).
            if writtenEntries == nil { writtenEntries = memberEntries }
            expandedMembers = newValue
        }
    }
    /// The member entries as written (direct entries and group references, with their `expires`); nil when the
    /// membership is not managed. `DesiredState.evaluated(asOf:)` expands them as of a day.
    ///
    /// Most lists name no group: their entries are then the members, each a direct entry, and are made from
    /// `members` when read rather than kept twice (a large organization's load writes each member once).
    public var memberEntries: [DesiredMemberEntry]? {
        get { writtenEntries ?? expandedMembers?.map(DesiredMemberEntry.direct) }
        set { writtenEntries = newValue }
    }
    public var location: SourceLocation
    private var expandedMembers: [DesiredMember]?
    /// The entries when they are not `expandedMembers` as direct entries (a group reference, or members changed
    /// after loading); nil otherwise.
    private(set) var writtenEntries: [DesiredMemberEntry]?

    /// Each of `memberEntries`, without making the array when the entries are the members.
    func forEachMemberEntry(_ body: (DesiredMemberEntry) throws -> Void) rethrows {
        if let writtenEntries {
            for entry in writtenEntries { try body(entry) }
        } else if let expandedMembers {
            for member in expandedMembers { try body(.direct(member)) }
        }
    }

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
        self.expandedMembers = members
        self.location = location
    }

    /// The same project as a reader sees it: the same members and the same entries, however they are kept.
    public static func == (lhs: DesiredProject, rhs: DesiredProject) -> Bool {
        lhs.externalID == rhs.externalID && lhs.name == rhs.name && lhs.description == rhs.description && lhs.id == rhs.id
            && lhs.previousExternalIDs == rhs.previousExternalIDs && lhs.archived == rhs.archived
            && lhs.location == rhs.location && lhs.expandedMembers == rhs.expandedMembers
            && ((lhs.writtenEntries == nil && rhs.writtenEntries == nil) || lhs.memberEntries == rhs.memberEntries)
    }

    /// The entries are left out: they follow from the members when not kept, so equal projects hash alike.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(externalID)
        hasher.combine(name)
        hasher.combine(description)
        hasher.combine(id)
        hasher.combine(previousExternalIDs)
        hasher.combine(archived)
        hasher.combine(location)
        hasher.combine(expandedMembers)
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
    /// The last day (UTC) of the entry at `location` (the project's entry, or the group's member entry).
    public var expires: CalendarDay?

    public init(email: String, role: ProjectRole, location: SourceLocation, group: String? = nil, expires: CalendarDay? = nil) {
        self.email = email
        self.role = role
        self.location = location
        self.group = group
        self.expires = expires
    }

    public var normalizedEmail: String { normalizeEmail(email) }
}

/// One entry of a project's `members`, as written.
public enum DesiredMemberEntry: Sendable, Hashable {
    case direct(DesiredMember)
    /// `- group: NAME`, with the role it gives every member of the group in this project, if any.
    case group(DesiredGroupReference)
}

/// `- group: NAME` in a project's `members`.
public struct DesiredGroupReference: Sendable, Hashable {
    public var name: String
    public var role: ProjectRole?
    public var expires: CalendarDay?
    public var location: SourceLocation

    public init(name: String, role: ProjectRole? = nil, expires: CalendarDay? = nil, location: SourceLocation) {
        self.name = name
        self.role = role
        self.expires = expires
        self.location = location
    }
}

/// The `organization` section: which Cogram organization the manifests describe.
public struct OrganizationSection: Sendable, Hashable {
    public var name: String
    /// The id of a user of this organization; a key that reads an organization without it is the wrong key.
    public var anchor: String?
    /// The environment variable that holds this organization's API key.
    public var apiKeyEnv: String?
    public var location: SourceLocation
    /// The directory of the file that holds the section: every manifest at or below it belongs to it.
    public var root: String

    public init(name: String, anchor: String? = nil, apiKeyEnv: String? = nil, location: SourceLocation, root: String) {
        self.name = name
        self.anchor = anchor
        self.apiKeyEnv = apiKeyEnv
        self.location = location
        self.root = root
    }

    public static let maxNameLength = 100

    /// `COGRAM_API_KEY` or `COGRAM_API_KEY_[A-Z0-9_]+`.
    public static func isValidKeyVariable(_ name: String) -> Bool {
        let base = "COGRAM_API_KEY"
        if name == base { return true }
        guard name.hasPrefix(base + "_"), name.utf8.count > base.utf8.count + 1 else { return false }
        return name.utf8.dropFirst(base.utf8.count + 1).allSatisfy {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
        }
    }
}

/// An entry of `offboarded`: a person who must hold no project membership anywhere in the organization.
public struct OffboardedPerson: Sendable, Hashable {
    public var email: String
    public var date: CalendarDay?
    /// Also set this organization role.
    public var orgRole: OrganizationRole?
    public var location: SourceLocation

    public init(email: String, date: CalendarDay? = nil, orgRole: OrganizationRole? = nil, location: SourceLocation) {
        self.email = email
        self.date = date
        self.orgRole = orgRole
        self.location = location
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
