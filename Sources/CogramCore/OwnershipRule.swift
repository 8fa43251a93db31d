/// Which projects the manifests manage: those with an external_id, and when `ownership.external_id_prefix` is
/// set, only those whose external_id starts with it. Planner, apply's checks, import and the loader all ask here.
public enum OwnershipRule {
    /// Whether an external_id is managed under `prefix` (nil: every external_id is).
    public static func manages(externalID: String, prefix: String?) -> Bool {
        guard let prefix else { return true }
        return externalID.hasPrefix(prefix)
    }

    /// Whether a project with this external_id (nil: none) is managed under `prefix`.
    public static func manages(project externalID: String?, prefix: String?) -> Bool {
        guard let externalID else { return false }
        return manages(externalID: externalID, prefix: prefix)
    }
}
