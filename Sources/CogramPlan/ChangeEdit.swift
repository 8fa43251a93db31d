import CogramAPI

/// What one change does, with the values it sets typed: a member's role is a `ProjectRole` from the manifest to
/// the request body, a user's an `OrganizationRole`. What a change was found with (`from`, `before`) is typed as
/// Cogram sent it, known to cogramctl or not.
public enum ChangeEdit: Sendable, Hashable {
    /// A new project; its external_id is the address's.
    case create(name: String, description: String?)
    /// A project's fields; `after.externalID`, when set, is the address's.
    case update(ProjectEdit)
    /// A project archived (status active → archived, nothing else).
    case archive
    /// An archived project made active again, with the field changes of the same PATCH.
    case restore(ProjectEdit)
    case addMember(ProjectRole)
    case updateMember(from: OpenEnum<ProjectRole>, to: ProjectRole)
    case removeMember(from: OpenEnum<ProjectRole>)
    case updateUser(UserEdit)

    public var action: ChangeAction {
        switch self {
        case .create: .create
        case .update: .update
        case .archive: .archive
        case .restore: .restore
        case .addMember: .addMember
        case .updateMember: .updateMember
        case .removeMember: .removeMember
        case .updateUser: .updateUser
        }
    }

    /// The project role the change sets; nil for other changes.
    public var memberRoleToSet: ProjectRole? {
        switch self {
        case .addMember(let role), .updateMember(_, let role): role
        default: nil
        }
    }

    /// The organization role a user change sets; nil when it sets none, and for other changes.
    public var userRoleToSet: OrganizationRole? {
        if case .updateUser(let fields) = self { return fields.after.role }
        return nil
    }

    /// The project role the member had when planned; nil for other changes.
    public var memberRoleBefore: OpenEnum<ProjectRole>? {
        switch self {
        case .updateMember(let role, _), .removeMember(let role): role
        default: nil
        }
    }
}

/// The fields of a project update or restore, as Cogram has them (`before`) and as apply sets them (`after`).
public struct ProjectEdit: Sendable, Hashable {
    public var before: ProjectFields
    public var after: ProjectFields

    public init(before: ProjectFields = ProjectFields(), after: ProjectFields = ProjectFields()) {
        self.before = before
        self.after = after
    }

    public var isEmpty: Bool { after == ProjectFields() }
}

/// The managed fields of a project; unset ones are `nil` / `.absent`.
public struct ProjectFields: Sendable, Hashable {
    public var name: String?
    public var description: PatchField<String>
    public var externalID: PatchField<String>

    public init(name: String? = nil, description: PatchField<String> = .absent, externalID: PatchField<String> = .absent) {
        self.name = name
        self.description = description
        self.externalID = externalID
    }
}

/// A user's role and external_id as Cogram has them (`before`, the role as sent) and as apply sets them (`after`).
public struct UserEdit: Sendable, Hashable {
    public var before: UserFields<OpenEnum<OrganizationRole>>
    public var after: UserFields<OrganizationRole>

    public init(before: UserFields<OpenEnum<OrganizationRole>> = UserFields(), after: UserFields<OrganizationRole> = UserFields()) {
        self.before = before
        self.after = after
    }

    public var isEmpty: Bool { after == UserFields() }
}

public struct UserFields<Role: Sendable & Hashable>: Sendable, Hashable {
    public var role: Role?
    public var externalID: PatchField<String>

    public init(role: Role? = nil, externalID: PatchField<String> = .absent) {
        self.role = role
        self.externalID = externalID
    }
}
