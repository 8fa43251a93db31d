/// The JSON Schemas of the documents cogramctl reads and writes, as `cogramctl schema NAME` prints them. The
/// files in `schemas/` are the source; `DocumentSchema+Text.swift` is generated from them by
/// `scripts/embed-schemas.py`, so the binary needs no resource bundle beside it.
public enum DocumentSchema: String, CaseIterable, Sendable {
    case manifest
    case plan
    case drift
    case access
    case planSet = "plan-set"

    /// The file's name in `schemas/` (and in the release archive's `schemas/`).
    public var fileName: String {
        switch self {
        case .manifest: "cogram-manifest.v1.schema.json"
        case .plan: "cogramctl-plan.v1.schema.json"
        case .drift: "cogramctl-drift.v1.schema.json"
        case .access: "cogramctl-access.v1.schema.json"
        case .planSet: "cogramctl-plan-set.v1.schema.json"
        }
    }
}
