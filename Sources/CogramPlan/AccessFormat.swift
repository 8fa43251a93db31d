import Foundation

/// `--format human|markdown|csv|json` of `access`.
public enum AccessFormat: String, CaseIterable, Sendable {
    case human, markdown, csv, json

    public func render(_ report: AccessReport) throws -> String {
        try pick({ renderHuman(report) }, { renderMarkdown(report) }, { renderCSV(report) }, report.jsonData)
    }

    public func render(_ set: AccessSet) throws -> String {
        try pick({ renderHuman(set) }, { renderMarkdown(set) }, { renderCSV(set) }, set.jsonData)
    }

    /// The rendering this format names, made only when it is the one asked for.
    private func pick(
        _ human: () -> String, _ markdown: () -> String, _ csv: () -> String, _ json: () throws -> Data
    ) rethrows -> String {
        switch self {
        case .human: human()
        case .markdown: markdown()
        case .csv: csv()
        case .json: String(decoding: try json(), as: UTF8.self)
        }
    }
}
