import CogramAPI
import CogramManifest
import Foundation

/// A plan: what apply will change in Cogram, and what it must find unchanged before it does.
///
/// The JSON form (`cogramctl plan --format json`, `--out FILE`) is the document described in
/// `spec/cli.md`; `errors` are not part of it (a plan with errors is never saved or applied).
public struct Plan: Sendable, Hashable {
    public static let formatVersion = "1"
    public static let kind = "cogramctl-plan"

    public var formatVersion: String
    public var kind: String
    public var toolVersion: String
    /// RFC 3339 UTC.
    public var createdAt: String
    /// RFC 3339 UTC; a saved plan is refused after this instant.
    public var expiresAt: String
    public var apiURL: String
    /// `sha256:<hex>` over the loaded manifest files (see `ManifestDigest`).
    public var manifestDigest: String
    /// Counts by action, always derived from `changes` (also when a saved plan is read: a hand-edited summary
    /// cannot disagree with them).
    public var summary: PlanSummary { PlanSummary(changes: changes) }
    /// Sorted by action (in `ChangeAction.allCases` order), then address.
    public var changes: [Change]
    public var warnings: [String]
    /// Safety caps the plan exceeds; apply refuses such a plan (exit code 4).
    public var safetyViolations: [SafetyViolation]
    /// What the safety caps were measured against, so that they can be re-checked with other options.
    public var inventory: PlanInventory
    /// The `--target` external ids the plan was limited to, if any.
    public var targets: [String]?
    /// The cap overrides the plan was made with; `apply PLANFILE` honours them.
    public var safetyOverrides: SafetyOverrides
    /// `ownership.external_id_prefix` of the manifests: apply refuses a change outside it.
    public var ownershipPrefix: String?
    /// `hmac-sha256:<hex>` over the canonical document without this key (see `Plan+Signature.swift`).
    public var signature: String?
    /// `manifest_files`: each manifest file's path relative to the manifest root → `sha256:<hex>` of its bytes,
    /// so that a refusal names the files that changed. Nil in plans made without files (tests).
    public var manifestFiles: [String: String]?
    /// Manifest entries that expire within the plan's warning window (`--expiry-warning`), in file order; not
    /// changes. Signed when not empty (so that plans without any keep their signature).
    public var expiring: [ExpiringAccess] = []
    /// Manifest problems found while planning (unknown or deactivated emails, …). Not encoded.
    public var errors: [Diagnostic]
    /// The organization the manifests name (all nil when unbound); part of the signed body. Nil in plans saved
    /// before plans recorded it, which count as unbound.
    public var organization: PlanOrganization?
    /// Where the key of this run came from, for the header; not encoded (a saved plan shows its recorded
    /// `api_key_env`).
    public var keySource: String?

    public init(
        toolVersion: String, createdAt: String, expiresAt: String, apiURL: String, manifestDigest: String,
        changes: [Change], warnings: [String] = [], safetyViolations: [SafetyViolation] = [],
        inventory: PlanInventory = PlanInventory(), targets: [String]? = nil,
        safetyOverrides: SafetyOverrides = SafetyOverrides(), ownershipPrefix: String? = nil, errors: [Diagnostic] = []
    ) {
        self.formatVersion = Plan.formatVersion
        self.kind = Plan.kind
        self.toolVersion = toolVersion
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.apiURL = apiURL
        self.manifestDigest = manifestDigest
        self.changes = changes.sorted(by: Change.planOrder)
        self.warnings = warnings
        self.safetyViolations = safetyViolations
        self.inventory = inventory
        self.targets = targets
        self.safetyOverrides = safetyOverrides
        self.ownershipPrefix = ownershipPrefix
        self.signature = nil
        self.manifestFiles = nil
        self.errors = errors
        self.organization = nil
        self.keySource = nil
    }

    /// The first lines of every rendering: the organization, its anchor, the key's source and the API.
    public var header: OrganizationHeader {
        OrganizationHeader(
            name: organization?.name, anchor: organization?.anchor,
            keySource: keySource ?? OrganizationHeader.defaultKeySource(apiURL: apiURL, apiKeyEnv: organization?.apiKeyEnv),
            apiURL: apiURL)
    }

    /// True when the manifests had no `organization:` section (or the plan predates the record).
    public var isUnbound: Bool { organization?.name == nil }

    /// True when the plan was limited with `--target` (a partial plan: drift elsewhere is not looked at).
    public var isTargeted: Bool { targets != nil }

    /// True when there is nothing to apply.
    public var isEmpty: Bool { changes.isEmpty }
}

// MARK: - Actions and changes

/// What one change does. The order of the cases is the order of changes in a plan.
public enum ChangeAction: String, Codable, Sendable, Hashable, CaseIterable {
    case create
    case update
    case archive
    case restore
    case addMember = "add_member"
    case updateMember = "update_member"
    case removeMember = "remove_member"
    case updateUser = "update_user"

    /// Archives and member removals: shown first and marked in every rendering.
    public var isDestructive: Bool { self == .archive || self == .removeMember }

    var sortIndex: Int { ChangeAction.allCases.firstIndex(of: self)! }
}

/// One change of a plan: what it does (`edit`, typed per action), where (`address`), what apply must find
/// unchanged first (`precondition`) and the ids it works on (`target`). Its JSON form is in `Change+Document.swift`.
public struct Change: Sendable, Hashable {
    public var address: ChangeAddress
    public var edit: ChangeEdit
    public var precondition: Precondition
    /// The ids apply needs to execute the change.
    public var target: ChangeTarget
    /// Why the change is made, where that is not plain from the manifests (archives: "listed in no manifest",
    /// "archived: true").
    public var reason: String?
    /// The project's name, for archives and member changes (the address alone says little to a reviewer).
    public var projectName: String?
    /// For member changes and user role changes: the entry behind the change, typed, for the plan by person.
    /// Nil in plans saved before causes were recorded.
    public var cause: AccessCause?

    public init(
        _ edit: ChangeEdit, address: ChangeAddress, precondition: Precondition, target: ChangeTarget,
        reason: String? = nil, projectName: String? = nil, cause: AccessCause? = nil
    ) {
        self.address = address
        self.edit = edit
        self.precondition = precondition
        self.target = target
        self.reason = reason
        self.projectName = projectName
        self.cause = cause
    }

    public var action: ChangeAction { edit.action }

    static func planOrder(_ a: Change, _ b: Change) -> Bool {
        (a.action.sortIndex, a.address) < (b.action.sortIndex, b.address)
    }
}

/// The ids a change works on. `projectID` is nil for a project the plan creates (and its members):
/// apply learns the id from the create, by `projectExternalID`.
public struct ChangeTarget: Codable, Sendable, Hashable {
    public var projectID: String?
    public var projectExternalID: String?
    public var userID: String?
    public var email: String?

    public init(projectID: String? = nil, projectExternalID: String? = nil, userID: String? = nil, email: String? = nil) {
        self.projectID = projectID
        self.projectExternalID = projectExternalID
        self.userID = userID
        self.email = email
    }

    enum CodingKeys: String, CodingKey {
        case projectID = "project_id"
        case projectExternalID = "project_external_id"
        case userID = "user_id"
        case email
    }
}

/// The fields of a `before` or `after` object of a change's JSON form, and of its renderings: what `ChangeEdit`
/// holds typed, spelled out. Only fields that are not `.absent` / nil are encoded; `description` and `external_id`
/// distinguish "left out" from "null" (clear it).
public struct ChangeFields: Codable, Sendable, Hashable {
    public var name: String?
    public var description: PatchField<String>
    public var externalID: PatchField<String>
    public var status: ProjectStatus?
    /// A member's project role or a user's organization role, by the change's action, as written.
    public var role: String?

    public init(
        name: String? = nil, description: PatchField<String> = .absent, externalID: PatchField<String> = .absent,
        status: ProjectStatus? = nil, role: String? = nil
    ) {
        self.name = name
        self.description = description
        self.externalID = externalID
        self.status = status
        self.role = role
    }

    enum CodingKeys: String, CodingKey {
        case name, description, status, role
        case externalID = "external_id"
    }

    /// The set fields, in display order, as `(field name, display value)`; strings quoted, null as `null`.
    var displayFields: [(String, String)] {
        var out: [(String, String)] = []
        if let name { out.append(("name", quoted(name))) }
        if let d = display(description) { out.append(("description", d)) }
        if let e = display(externalID) { out.append(("external_id", e)) }
        if let status { out.append(("status", status.rawValue)) }
        if let role { out.append(("role", escapeForTerminal(role))) }
        return out
    }

    private func display(_ field: PatchField<String>) -> String? {
        switch field {
        case .absent: nil
        case .null: "null"
        case .value(let v): quoted(v)
        }
    }
}

func quoted(_ s: String) -> String {
    var out = "\""
    for ch in s.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default:
            if ControlCharacters.contains(ch) || OutputEscaping.isBidiControl(ch) { out += ControlCharacters.escape(ch, .quoted) } else { out.unicodeScalars.append(ch) }
        }
    }
    return out + "\""
}

// MARK: - Preconditions

/// What apply must find unchanged in Cogram for a change to still be the right one.
public enum Precondition: Sendable, Hashable {
    /// No project (active or archived) has this external_id.
    case projectAbsent(externalID: String)
    /// The project still has this `updated_at` and status.
    case project(updatedAt: String, status: ProjectStatus)
    /// The user is not a member of the project (or the project is created by this plan).
    case memberAbsent
    /// The member still has this role (as Cogram sent it, known to cogramctl or not).
    case member(role: OpenEnum<ProjectRole>)
    /// The user still has this role (as Cogram sent it) and external_id.
    case user(role: OpenEnum<OrganizationRole>, externalID: String?)
}

extension Precondition: Codable {
    private enum Keys: String, CodingKey {
        case project, member
        case externalID = "external_id"
        case updatedAt = "updated_at"
        case status
        case memberRole = "member_role"
        case userRole = "user_role"
        case userExternalID = "user_external_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        if c.contains(.project) {
            self = .projectAbsent(externalID: try c.decode(String.self, forKey: .externalID))
        } else if c.contains(.updatedAt) {
            self = .project(
                updatedAt: try c.decode(String.self, forKey: .updatedAt),
                status: try c.decode(ProjectStatus.self, forKey: .status))
        } else if c.contains(.member) {
            self = .memberAbsent
        } else if c.contains(.memberRole) {
            self = .member(role: try c.decode(OpenEnum<ProjectRole>.self, forKey: .memberRole))
        } else if c.contains(.userRole) {
            self = .user(
                role: try c.decode(OpenEnum<OrganizationRole>.self, forKey: .userRole),
                externalID: try c.decodeIfPresent(String.self, forKey: .userExternalID))
        } else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unrecognised precondition"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .projectAbsent(let externalID):
            try c.encode("absent", forKey: .project)
            try c.encode(externalID, forKey: .externalID)
        case .project(let updatedAt, let status):
            try c.encode(updatedAt, forKey: .updatedAt)
            try c.encode(status, forKey: .status)
        case .memberAbsent:
            try c.encode("absent", forKey: .member)
        case .member(let role):
            try c.encode(role, forKey: .memberRole)
        case .user(let role, let externalID):
            try c.encode(role, forKey: .userRole)
            try c.encode(externalID, forKey: .userExternalID)
        }
    }

    /// A short human description, for precondition failures.
    public var summary: String {
        switch self {
        case .projectAbsent(let externalID): "no project with external_id \(quoted(externalID))"
        case .project(let updatedAt, let status): "\(status.rawValue), updated_at \(updatedAt)"
        case .memberAbsent: "not a member"
        case .member(let role): "member with role \(role.rawValue)"
        case .user(let role, let externalID): "role \(role.rawValue), external_id \(externalID.map(quoted) ?? "null")"
        }
    }
}

// MARK: - Summary, inventory, safety, errors

/// Count of changes per action.
public struct PlanSummary: Codable, Sendable, Hashable {
    public var create = 0
    public var update = 0
    public var archive = 0
    public var restore = 0
    public var addMember = 0
    public var updateMember = 0
    public var removeMember = 0
    public var updateUser = 0

    public init() {}

    public init(changes: [Change]) {
        for change in changes { self[change.action] += 1 }
    }

    public subscript(action: ChangeAction) -> Int {
        get {
            switch action {
            case .create: create
            case .update: update
            case .archive: archive
            case .restore: restore
            case .addMember: addMember
            case .updateMember: updateMember
            case .removeMember: removeMember
            case .updateUser: updateUser
            }
        }
        set {
            switch action {
            case .create: create = newValue
            case .update: update = newValue
            case .archive: archive = newValue
            case .restore: restore = newValue
            case .addMember: addMember = newValue
            case .updateMember: updateMember = newValue
            case .removeMember: removeMember = newValue
            case .updateUser: updateUser = newValue
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case create, update, archive, restore
        case addMember = "add_member"
        case updateMember = "update_member"
        case removeMember = "remove_member"
        case updateUser = "update_user"
    }
}

/// What the planner saw, as far as the safety caps and precondition checks need it.
public struct PlanInventory: Codable, Sendable, Hashable {
    /// Managed projects that were active.
    public var managedActiveProjects: Int
    /// Memberships of the managed projects whose members were read.
    public var managedMemberships: Int
    /// All projects read (any status), to estimate the cost of a full re-read.
    public var projects: Int
    /// All users read.
    public var users: Int

    public init(managedActiveProjects: Int = 0, managedMemberships: Int = 0, projects: Int = 0, users: Int = 0) {
        self.managedActiveProjects = managedActiveProjects
        self.managedMemberships = managedMemberships
        self.projects = projects
        self.users = users
    }

    enum CodingKeys: String, CodingKey {
        case managedActiveProjects = "managed_active_projects"
        case managedMemberships = "managed_memberships"
        case projects, users
    }
}

/// Cap overrides (`--allow-mass-archive`, `--max-archive N`, …), recorded in a plan so that `apply PLANFILE`
/// applies what was reviewed under the caps it was reviewed with.
public struct SafetyOverrides: Codable, Sendable, Hashable {
    public var allowMassArchive: Bool
    public var maxArchive: Int?
    public var allowMassMemberRemoval: Bool
    public var maxMemberRemovals: Int?
    public var allowNoOwner: Bool

    public init(
        allowMassArchive: Bool = false, maxArchive: Int? = nil, allowMassMemberRemoval: Bool = false,
        maxMemberRemovals: Int? = nil, allowNoOwner: Bool = false
    ) {
        self.allowMassArchive = allowMassArchive
        self.maxArchive = maxArchive
        self.allowMassMemberRemoval = allowMassMemberRemoval
        self.maxMemberRemovals = maxMemberRemovals
        self.allowNoOwner = allowNoOwner
    }

    /// Both sets together: whatever either lifts is lifted; the higher of two raised caps counts.
    public func merging(_ other: SafetyOverrides) -> SafetyOverrides {
        func larger(_ a: Int?, _ b: Int?) -> Int? { [a, b].compactMap { $0 }.max() }
        return SafetyOverrides(
            allowMassArchive: allowMassArchive || other.allowMassArchive, maxArchive: larger(maxArchive, other.maxArchive),
            allowMassMemberRemoval: allowMassMemberRemoval || other.allowMassMemberRemoval,
            maxMemberRemovals: larger(maxMemberRemovals, other.maxMemberRemovals),
            allowNoOwner: allowNoOwner || other.allowNoOwner)
    }

    /// The command-line flags that give these overrides, for messages.
    public var flags: [String] {
        var out: [String] = []
        if allowMassArchive { out.append("--allow-mass-archive") }
        if let maxArchive { out.append("--max-archive \(maxArchive)") }
        if allowMassMemberRemoval { out.append("--allow-mass-member-removal") }
        if let maxMemberRemovals { out.append("--max-member-removals \(maxMemberRemovals)") }
        if allowNoOwner { out.append("--allow-no-owner") }
        return out
    }

    enum CodingKeys: String, CodingKey {
        case allowMassArchive = "allow_mass_archive"
        case maxArchive = "max_archive"
        case allowMassMemberRemoval = "allow_mass_member_removal"
        case maxMemberRemovals = "max_member_removals"
        case allowNoOwner = "allow_no_owner"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        allowMassArchive = try c.decodeIfPresent(Bool.self, forKey: .allowMassArchive) ?? false
        maxArchive = try c.decodeIfPresent(Int.self, forKey: .maxArchive)
        allowMassMemberRemoval = try c.decodeIfPresent(Bool.self, forKey: .allowMassMemberRemoval) ?? false
        maxMemberRemovals = try c.decodeIfPresent(Int.self, forKey: .maxMemberRemovals)
        allowNoOwner = try c.decodeIfPresent(Bool.self, forKey: .allowNoOwner) ?? false
    }
}

/// A safety cap that the plan exceeds.
public struct SafetyViolation: Codable, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, Hashable {
        case massArchive = "mass_archive"
        case massMemberRemoval = "mass_member_removal"
        case noOwner = "no_owner"
    }

    public var kind: Kind
    public var message: String
    /// The command-line flag that allows it, e.g. `--allow-mass-archive`.
    public var flag: String
    /// The project concerned, for `no_owner`.
    public var address: String? = nil

    public var description: String { "\(message) (allow with \(flag))" }
}

/// Planning errors in file, line, column order, then by message; errors without a location first.
func byLocationThenMessage(_ a: Diagnostic, _ b: Diagnostic) -> Bool {
    switch (a.location, b.location) {
    case (let l?, let r?): (l, a.message) < (r, b.message)
    case (nil, nil): a.message < b.message
    case (nil, _): true
    case (_, nil): false
    }
}
