import Foundation

/// `--format human|markdown|csv|json` of `access`.
public enum AccessFormat: String, CaseIterable, Sendable {
    case human, markdown, csv, json

    /// The document's bytes: JSON is written as bytes and goes out as they are, without a round trip through
    /// `String` (tens of megabytes for a large organization).
    public func render(_ report: AccessReport) throws -> Data {
        try pick({ renderHuman(report) }, { renderMarkdown(report) }, { renderCSV(report) }, report.jsonData)
    }

    public func render(_ set: AccessSet) throws -> Data {
        try pick({ renderHuman(set) }, { renderMarkdown(set) }, { renderCSV(set) }, set.jsonData)
    }

    /// The rendering this format names, made only when it is the one asked for.
    private func pick(
        _ human: () -> String, _ markdown: () -> String, _ csv: () -> String, _ json: () throws -> Data
    ) rethrows -> Data {
        switch self {
        case .human: Data(human().utf8)
        case .markdown: Data(markdown().utf8)
        case .csv: Data(csv().utf8)
        case .json: try json()
        }
    }
}
