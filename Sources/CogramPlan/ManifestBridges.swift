import CogramAPI
import CogramManifest

// Where the manifest's values meet the API's.

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
