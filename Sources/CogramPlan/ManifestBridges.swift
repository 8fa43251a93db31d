import CogramAPI
import CogramManifest

// Where the manifest's enums meet the API's: one exhaustive switch each, so that a case added on either side stops
// the build here instead of failing at run time.

extension ProjectRole {
    /// The API's project role for a manifest member role.
    init(_ role: MemberRole) {
        self = switch role { case .owner: .owner; case .editor: .editor; case .viewer: .viewer }
    }
}

extension OrganizationRole {
    /// The API's organization role for a manifest user role.
    init(_ role: UserRole) {
        self = switch role { case .admin: .admin; case .member: .member; case .guest: .guest }
    }
}

extension PatchField {
    /// A live optional value as a field: `null` when unset.
    init(live value: Value?) {
        self = value.map { .value($0) } ?? .null
    }
}

/// The `before` and `after` of a nullable field a manifest may manage (a description, an external_id): nil when the
/// manifest leaves it out or Cogram already has what it asks.
func nullableFieldChange(
    _ wanted: FieldValue<String>, live: String?
) -> (before: PatchField<String>, after: PatchField<String>)? {
    switch wanted {
    case .absent: nil
    case .null: live.map { (.value($0), .null) }
    case .value(let new): live == new ? nil : (PatchField(live: live), .value(new))
    }
}
