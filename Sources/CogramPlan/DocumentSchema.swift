/// The JSON Schemas of the documents cogramctl reads and writes, as `cogramctl schema NAME` prints them. The
/// files in `schemas/` are the source; `DocumentSchema+Text.swift` is generated from them by
/// `scripts/embed-schemas.py`, so the binary needs no resource bundle beside it.
public enum DocumentSchema: String, CaseIterable, Sendable {
    case manifest
    case plan
    case drift
    case access
    case planSet = "plan-set"
    case driftSet = "drift-set"
    case accessSet = "access-set"
    case applyReportSet = "apply-report-set"

    /// The file's name in `schemas/` (and in the release archive's `schemas/`).
    public var fileName: String {
        switch self {
        case .manifest: "cogram-manifest.v1.schema.json"
        case .plan: "cogramctl-plan.v1.schema.json"
        case .drift: "cogramctl-drift.v1.schema.json"
        case .access: "cogramctl-access.v1.schema.json"
        case .planSet: "cogramctl-plan-set.v1.schema.json"
        case .driftSet: "cogramctl-drift-set.v1.schema.json"
        case .accessSet: "cogramctl-access-set.v1.schema.json"
        case .applyReportSet: "cogramctl-apply-report-set.v1.schema.json"
        }
    }
}

extension DocumentSchema {
    /// A document's schema as its set's `$defs.NAME` holds it: without `$schema` and `$id`, indented one level, its
    /// references re-rooted under `#/$defs/NAME`. One copy of each document's schema in the binary
    /// (scripts/embed-schemas.py checks that this gives the set files' bytes).
    static func nested(_ schema: String, as name: String) -> String {
        var lines = schema.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let kept = lines.filter { !$0.hasPrefix("  \"$schema\"") && !$0.hasPrefix("  \"$id\"") }
        let nested = kept.map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n")
        return String(nested.dropFirst(4)).replacingOccurrences(of: "\"#/$defs/", with: "\"#/$defs/\(name)/$defs/")
    }
}
