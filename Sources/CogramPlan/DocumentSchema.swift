/// The JSON Schemas of the documents cogramctl reads and writes, as `cogramctl schema NAME` prints them. The
/// files in `schemas/` are the source; `DocumentSchema+Text.swift` is generated from them by
/// `scripts/embed-schemas.py`, so the binary needs no resource bundle beside it.
public enum DocumentSchema: String, CaseIterable, Sendable {
    case manifest
    case plan
    case drift
    case access
    case planSet = "plan-set"
    case applyReportSet = "apply-report-set"

    /// The file's name in `schemas/` (and in the release archive's `schemas/`).
    public var fileName: String {
        switch self {
        case .manifest: "cogram-manifest.v1.schema.json"
        case .plan: "cogramctl-plan.v1.schema.json"
        case .drift: "cogramctl-drift.v1.schema.json"
        case .access: "cogramctl-access.v1.schema.json"
        case .planSet: "cogramctl-plan-set.v1.schema.json"
        case .applyReportSet: "cogramctl-apply-report-set.v1.schema.json"
        }
    }
}

extension DocumentSchema {
    /// The plan schema as the plan set's `$defs.plan` holds it: without `$schema` and `$id`, indented one level, its
    /// references re-rooted under `#/$defs/plan`. One copy of the plan schema in the binary (scripts/embed-schemas.py
    /// checks that this gives the plan-set file's bytes).
    static func nestedPlan(_ plan: String) -> String {
        var lines = plan.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        let kept = lines.filter { !$0.hasPrefix("  \"$schema\"") && !$0.hasPrefix("  \"$id\"") }
        let nested = kept.map { $0.isEmpty ? "" : "    " + $0 }.joined(separator: "\n")
        return String(nested.dropFirst(4)).replacingOccurrences(of: "\"#/$defs/", with: "\"#/$defs/plan/$defs/")
    }
}
