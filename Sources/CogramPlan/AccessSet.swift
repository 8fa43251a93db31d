import CogramAPI
import CogramCore
import Foundation

/// What `access` reports over several organization roots (cli.md, "Plan sets"): one access report per
/// organization, in name order. JSON: `{"kind": "cogramctl-access-set", "format_version", "organizations": [access
/// document, …]}`; CSV: one table with a leading `organization` column; human and Markdown: a section per
/// organization and a line of totals.
public struct AccessSet: Sendable, Hashable {
    public static let kind = "cogramctl-access-set"

    /// Ordered by organization name.
    public var reports: [AccessReport]

    public init(_ reports: [AccessReport]) {
        self.reports = reports.sorted { $0.organizationLabel < $1.organizationLabel }
    }

    /// `Totals: 5 memberships of 4 users in 2 organizations (Acme EU: 2, Acme US: 3).`
    public var totalsLine: String {
        let memberships = reports.reduce(0) { $0 + $1.membershipCount }
        let users = reports.reduce(0) { $0 + $1.userCount }
        let each = reports.map { "\($0.organizationName ?? "unnamed"): \($0.membershipCount)" }.joined(separator: ", ")
        return "Totals: \(memberships) membership\(memberships == 1 ? "" : "s") of \(users) user\(users == 1 ? "" : "s") in "
            + "\(reports.count) organization\(reports.count == 1 ? "" : "s") (\(each))."
    }

    /// The JSON document, sorted keys, with a final newline.
    public func jsonData() throws -> Data {
        Data(jsonBytes())
    }

    func jsonBytes() -> [UInt8] {
        var json = StableJSONWriter(capacity: 64 + reports.reduce(0) { $0 + $1.grants.count * 400 })
        json.beginObject()
        json.member("format_version", "1")
        json.member("kind", Self.kind)
        json.key("organizations")
        json.beginArray()
        for report in reports { report.writeJSON(to: &json) }
        json.endArray()
        json.endObject()
        return json.finishBytes()
    }
}

/// Each organization's report under `=== NAME ===`, then the totals.
public func renderHuman(_ set: AccessSet) -> String {
    var sections = set.reports.map { "=== \(escapeForTerminal($0.organizationName ?? "unnamed")) ===\n\n" + renderHuman($0) }
    sections.append(escapeForTerminal(set.totalsLine) + "\n")
    return sections.joined(separator: "\n")
}

/// One document for an auditor: the totals, then each organization's report one heading level down.
public func renderMarkdown(_ set: AccessSet) -> String {
    var out = "# Access report: \(set.reports.count) organization\(set.reports.count == 1 ? "" : "s")\n\n"
    out += "**\(markdownEscape(set.totalsLine))**\n"
    for report in set.reports {
        // Only the report's own headings start a line with `#`: its rows are table rows and list items.
        let lines = renderMarkdown(report).split(separator: "\n", omittingEmptySubsequences: false)
        out += "\n" + lines.map { $0.hasPrefix("#") ? "#" + $0 : String($0) }.joined(separator: "\n")
    }
    return out
}

/// One CSV table of every organization's rows, each with the organization's name in a leading `organization`
/// column, in the set's order (cli.md, "Access report").
public func renderCSV(_ set: AccessSet) -> String {
    var out = ""
    out.reserveCapacity(256 + set.reports.reduce(0) { $0 + $1.grants.count * 180 })
    appendCSVRow(["organization"] + AccessReport.csvColumns, to: &out)
    for report in set.reports {
        let name = report.organizationName ?? "unnamed"
        for grant in report.grants { appendCSVRow([name] + grant.csvCells, to: &out) }
    }
    return out
}
