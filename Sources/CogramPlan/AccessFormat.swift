import Foundation

/// `--format human|markdown|csv|json` of `access`.
public enum AccessFormat: String, CaseIterable, Sendable {
    case human, markdown, csv, json

    /// The document's UTF-8 bytes: JSON, CSV and the human table are written as bytes and go out as they are,
    /// without a round trip through `String` or a copy into a `Data` (tens of megabytes for a large organization).
    public func render(_ report: AccessReport) -> [UInt8] {
        switch self {
        case .human: renderHumanBytes(report)
        case .markdown: Array(renderMarkdown(report).utf8)
        case .csv: renderCSVBytes(report)
        case .json: report.jsonBytes()
        }
    }

    public func render(_ set: AccessSet) -> [UInt8] {
        switch self {
        case .human: Array(renderHuman(set).utf8)
        case .markdown: Array(renderMarkdown(set).utf8)
        case .csv: Array(renderCSV(set).utf8)
        case .json: set.jsonBytes()
        }
    }
}
