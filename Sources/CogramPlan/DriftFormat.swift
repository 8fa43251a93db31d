import Foundation

/// `--format human|json|markdown` of `drift`.
public enum DriftFormat: String, CaseIterable, Sendable {
    case human, json, markdown

    /// One organization's report; `paths` name the manifests in the commands that end the drift.
    public func render(_ report: DriftReport, expiring: [ExpiringAccess], paths: [String]) throws -> String {
        switch self {
        case .human: renderHuman(report, paths: paths) + renderExpiring(expiring, markdown: false)
        case .markdown: renderMarkdown(report, paths: paths) + renderExpiring(expiring, markdown: true)
        case .json: String(decoding: try report.jsonData(), as: UTF8.self)
        }
    }

    public func render(_ set: DriftSet) throws -> String {
        switch self {
        case .human: renderHuman(set)
        case .markdown: renderMarkdown(set)
        case .json: String(decoding: try set.jsonData(), as: UTF8.self)
        }
    }
}
