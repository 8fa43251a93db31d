import CogramAPI
import Foundation

// A change's JSON form (`spec/cli.md`): `action`, `address`, `before`, `after`, `precondition`, `target`, `reason`,
// `project_name`, `cause`. Reading one builds the typed change; what the types cannot hold (a role no one knows, a
// field an action cannot set, an address that does not name the target) is a decoding error at its JSON path, such
// as `changes[3].after.role`.

extension Change {
    /// The fields as Cogram has them, as the JSON form and the renderings show them; nil for creates and additions.
    public var before: ChangeFields? {
        switch edit {
        case .create, .addMember: nil
        case .update(let e): ChangeFields(e.before)
        case .archive: ChangeFields(status: .active)
        case .restore(let e): with(ChangeFields(e.before)) { $0.status = .archived }
        case .updateMember(let from, _), .removeMember(let from): ChangeFields(role: from.rawValue)
        case .updateUser(let e): ChangeFields(externalID: e.before.externalID, role: e.before.role?.rawValue)
        }
    }

    /// The fields as apply sets them; nil for member removals. Apply sends exactly these fields.
    public var after: ChangeFields? {
        switch edit {
        case .create(let name, let description):
            ChangeFields(
                name: name, description: description.map { .value($0) } ?? .absent,
                externalID: target.projectExternalID.map { .value($0) } ?? .absent)
        case .update(let e): ChangeFields(e.after)
        case .archive: ChangeFields(status: .archived)
        case .restore(let e): with(ChangeFields(e.after)) { $0.status = .active }
        case .addMember(let role), .updateMember(_, let role): ChangeFields(role: role.rawValue)
        case .removeMember: nil
        case .updateUser(let e): ChangeFields(externalID: e.after.externalID, role: e.after.role?.rawValue)
        }
    }
}

private func with(_ fields: ChangeFields, _ change: (inout ChangeFields) -> Void) -> ChangeFields {
    var out = fields
    change(&out)
    return out
}

extension ChangeFields {
    init(_ fields: ProjectFields) {
        self.init(name: fields.name, description: fields.description, externalID: fields.externalID)
    }

    var projectFields: ProjectFields { ProjectFields(name: name, description: description, externalID: externalID) }
}

extension Change: Codable {
    enum CodingKeys: String, CodingKey {
        case action, address, before, after, precondition, target, reason, cause
        case projectName = "project_name"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(action, forKey: .action)
        try c.encode(address.description, forKey: .address)
        // `before` and `after` are always written, as null when a change has none.
        try c.encode(before, forKey: .before)
        try c.encode(after, forKey: .after)
        try c.encode(precondition, forKey: .precondition)
        try c.encode(target, forKey: .target)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(projectName, forKey: .projectName)
        try c.encodeIfPresent(cause, forKey: .cause)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let action = try c.decode(ChangeAction.self, forKey: .action)
        let written = try c.decode(String.self, forKey: .address)
        let before = try c.decodeIfPresent(ChangeFields.self, forKey: .before)
        let after = try c.decodeIfPresent(ChangeFields.self, forKey: .after)
        let precondition = try c.decode(Precondition.self, forKey: .precondition)
        let target = try c.decode(ChangeTarget.self, forKey: .target)

        func fail(_ keys: [any CodingKey], _ message: String) -> DecodingError {
            .dataCorrupted(.init(codingPath: decoder.codingPath + keys, debugDescription: "\(action.rawValue) \(written): \(message)"))
        }
        let afterRole: [any CodingKey] = [CodingKeys.after, ChangeFields.CodingKeys.role]

        // The address the target names; the written one must be it.
        let address: ChangeAddress
        switch action {
        case .create, .update, .archive, .restore:
            guard let externalID = target.projectExternalID else {
                throw fail([CodingKeys.target], "a project change names its project by project_external_id")
            }
            if action != .create, target.projectID == nil { throw fail([CodingKeys.target], "the target has no project_id") }
            address = .project(externalID)
        case .addMember, .updateMember, .removeMember:
            guard let email = target.email, target.userID != nil else {
                throw fail([CodingKeys.target], "a member change needs project_external_id, user_id and email")
            }
            if let externalID = target.projectExternalID {
                address = .member(externalID, email: email)
            } else if action == .removeMember, let projectID = target.projectID {
                // Offboarding reaches projects without an external_id: `project#<id>.member.<email>`.
                address = .member(.id(projectID), email: email)
            } else {
                throw fail([CodingKeys.target], "a member change needs project_external_id, user_id and email")
            }
        case .updateUser:
            guard let email = target.email, target.userID != nil, target.projectID == nil, target.projectExternalID == nil else {
                throw fail([CodingKeys.target], "a user change needs user_id and email, and names no project")
            }
            address = .user(email: email)
        }
        guard address.description == written else {
            throw fail([CodingKeys.address], "the address does not name the target (\(address))")
        }

        switch (action, precondition) {
        case (.create, .projectAbsent(let externalID)):
            if externalID != target.projectExternalID { throw fail([CodingKeys.precondition], "its precondition names another external_id") }
        case (.update, .project), (.restore, .project), (.archive, .project),
             (.addMember, .memberAbsent), (.updateMember, .member), (.removeMember, .member), (.updateUser, .user):
            break
        default:
            throw fail([CodingKeys.precondition], "a \(precondition.kindName) precondition does not fit this action")
        }

        func roleFound() throws -> OpenEnum<ProjectRole> {
            guard let raw = before?.role else { throw fail([CodingKeys.before, ChangeFields.CodingKeys.role], "the role the member has is missing") }
            return OpenEnum(rawValue: raw)
        }
        func projectRole(_ raw: String?, _ keys: [any CodingKey]) throws -> ProjectRole {
            guard let raw, let role = ProjectRole(rawValue: raw) else { throw fail(keys, "the role to set is not owner, editor or viewer") }
            return role
        }
        let edit: ChangeEdit
        switch action {
        case .create:
            guard let after, let name = after.name else { throw fail([CodingKeys.after], "a create without a name") }
            let description: String? = if case .value(let d) = after.description { d } else { nil }
            edit = .create(name: name, description: description)
        case .update, .restore:
            let fields = ProjectEdit(before: before?.projectFields ?? ProjectFields(), after: after?.projectFields ?? ProjectFields())
            edit = action == .update ? .update(fields) : .restore(fields)
        case .archive:
            edit = .archive
        case .addMember:
            edit = .addMember(try projectRole(after?.role, afterRole))
        case .updateMember:
            edit = .updateMember(from: try roleFound(), to: try projectRole(after?.role, afterRole))
        case .removeMember:
            edit = .removeMember(from: try roleFound())
        case .updateUser:
            var fields = UserEdit()
            fields.before = UserFields(role: before?.role.map(OpenEnum.init(rawValue:)), externalID: before?.externalID ?? .absent)
            if let raw = after?.role {
                guard let role = OrganizationRole(rawValue: raw) else { throw fail(afterRole, "the role to set is not admin, member or guest") }
                fields.after.role = role
            }
            fields.after.externalID = after?.externalID ?? .absent
            edit = .updateUser(fields)
        }

        self.init(
            edit, address: address, precondition: precondition, target: target,
            reason: try c.decodeIfPresent(String.self, forKey: .reason),
            projectName: try c.decodeIfPresent(String.self, forKey: .projectName),
            cause: try c.decodeIfPresent(AccessCause.self, forKey: .cause))

        // What the typed change writes back must be what was read: anything else is a field this action cannot
        // carry (an archive that renames, a member change that sets a name, a role on a project).
        if case .value(let e) = after?.externalID ?? .absent, e != target.projectExternalID, action != .updateUser {
            throw fail([CodingKeys.after, ChangeFields.CodingKeys.externalID], "it would set external_id \(quoted(e)), not the address's")
        }
        if self.after != after { throw fail([CodingKeys.after], "it holds fields a \(action.rawValue) change cannot set") }
        if let before, self.before != before { throw fail([CodingKeys.before], "it holds fields a \(action.rawValue) change cannot have") }
    }
}
