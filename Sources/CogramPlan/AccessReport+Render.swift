import CogramAPI
import CogramManifest
import Foundation

extension AccessReport {
    /// The organization's name as shown: its name, or "unnamed organization".
    public var organizationLabel: String { organizationName ?? "unnamed organization" }

    /// The first lines of every rendering: the organization, its anchor, the key's source and the API.
    public var header: OrganizationHeader {
        OrganizationHeader(
            name: organizationName, anchor: anchor,
            keySource: keySource ?? OrganizationHeader.defaultKeySource(apiURL: apiURL, apiKeyEnv: apiKeyEnv),
            apiURL: apiURL)
    }

    /// The number of distinct users among the grants.
    var userCount: Int { Set(grants.map(\.userID)).count }
    var memberships: [AccessGrant] { grants.filter { $0.projectID != nil } }

    func count(_ managedBy: (ManagedBy) -> Bool) -> Int {
        grants.filter { $0.managedBy.map(managedBy) ?? false }.count
    }

    var summaryCounts: [(label: String, count: Int)] {
        [
            ("users", userCount),
            ("memberships", memberships.count),
            ("managed by a manifest entry", count { if case .entry = $0 { true } else { false } }),
            ("unmanaged", count { $0 == .unmanaged }),
            ("not in manifests (pending removal)", count { $0 == .notInManifests }),
            ("users in no manifest", usersInNoManifest.count),
            ("offboarded people with access", offboardedWithAccess.count),
            ("expiring within \(window) days", expiring.count),
        ]
    }
}

/// The human rendering: the organization first, then an aligned table of every grant and the lists.
public func renderHuman(_ report: AccessReport) -> String {
    let t = escapeForTerminal
    var out = report.header.humanLines.joined(separator: "\n") + "\n"
    out += "Access as of \(report.day): "
    out += report.summaryCounts.map { "\($0.count) \($0.label)" }.joined(separator: ", ") + "\n\n"
    let header = ["EMAIL", "ORG ROLE", "PROJECT", "NAME", "STATUS", "ROLE", "MANAGED BY"]
    let rows = report.grants.map { grant in
        [
            grant.email, grant.organizationRole, grant.projectExternalID ?? (grant.projectID.map { "id \($0)" } ?? "-"),
            grant.projectName ?? "", grant.projectStatus ?? "", grant.projectRole ?? "",
            grant.managedBy?.description ?? "no project membership",
        ].map { t($0) }
    }
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    for row in [header] + rows {
        let line = row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
        }.joined(separator: "  ")
        out += line + "\n"
    }
    if !report.usersInNoManifest.isEmpty {
        out += "\nUsers in no manifest:\n"
        for email in report.usersInNoManifest { out += "  \(t(email))\n" }
    }
    if !report.offboardedWithAccess.isEmpty {
        out += "\nOffboarded people who still have access:\n"
        for person in report.offboardedWithAccess {
            out += "  \(t(person.email)) (\(t(person.location))): \(person.projects.map(t).joined(separator: ", "))\n"
        }
    }
    if !report.expiring.isEmpty {
        out += "\nExpiring within \(report.window) days:\n"
        for entry in report.expiring {
            let scope = entry.project.map { "project \(t($0))" } ?? "organization"
            out += "  \(t(entry.email)) \(t(entry.role)) in \(scope) until \(entry.expires) (\(t(entry.location)))\n"
        }
    }
    return out
}

/// The Markdown rendering, for an auditor: a heading, the counts, one table of every grant, then the lists.
public func renderMarkdown(_ report: AccessReport) -> String {
    let e = markdownEscape
    var out = "# Access report: \(e(report.organizationLabel))\n\n"
    out += report.header.markdownLines.joined(separator: "\n") + "\n\n"
    out += "Manifests judged as of \(report.day) (UTC).\n\n"
    for (label, count) in report.summaryCounts { out += "- **\(count)** \(label)\n" }
    out += "\n## Access\n\n"
    out += "| Email | Organization role | Project | Name | Status | Project role | Managed by |\n"
    out += "|---|---|---|---|---|---|---|\n"
    for grant in report.grants {
        let managedBy: String
        switch grant.managedBy {
        case .entry(let file, let line)?: managedBy = markdownCode("\(file):\(line)")
        case .unmanaged?: managedBy = "unmanaged"
        case .notInManifests?: managedBy = "**not in manifests**"
        case nil: managedBy = "no project membership"
        }
        let project = grant.projectExternalID.map(markdownCode) ?? grant.projectID.map { "id " + markdownCode($0) } ?? ""
        let cells = [
            e(grant.email), e(grant.organizationRole), project, e(grant.projectName ?? ""), e(grant.projectStatus ?? ""),
            e(grant.projectRole ?? ""), managedBy,
        ]
        out += "| " + cells.map(tableSafe).joined(separator: " | ") + " |\n"
    }
    out += "\n## Users in no manifest\n\n"
    out += report.usersInNoManifest.isEmpty ? "None.\n" : report.usersInNoManifest.map { "- \(e($0))\n" }.joined()
    out += "\n## Offboarded people who still have access\n\n"
    out += report.offboardedWithAccess.isEmpty ? "None.\n" : report.offboardedWithAccess.map { person in
        "- \(e(person.email)) (\(markdownCode(person.location))): \(person.projects.map(markdownCode).joined(separator: ", "))\n"
    }.joined()
    out += "\n## Expiring within \(report.window) days\n\n"
    out += report.expiring.isEmpty ? "None.\n" : report.expiring.map { entry in
        let scope = entry.project.map { "project \(markdownCode($0))" } ?? "organization"
        return "- \(e(entry.email)): \(e(entry.role)) in \(scope) until \(entry.expires) (\(markdownCode(entry.location)))\n"
    }.joined()
    return out
}

/// A table cell: a `|` inside a code span still splits a GitHub table row, so it is escaped there too.
func tableSafe(_ cell: String) -> String {
    // Most cells have no `|`: a byte search is far cheaper than walking the characters (figure 12).
    guard cell.utf8.contains(UInt8(ascii: "|")) else { return cell }
    var out = ""
    var previous: Character?
    for ch in cell {
        if ch == "|", previous != "\\" { out.append("\\") }
        out.append(ch)
        previous = ch
    }
    return out
}

/// The CSV rendering: RFC 4180 (CRLF line ends, a header, fields quoted when needed), with the formula guard: a
/// cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so that a project name
/// from the app cannot run as a spreadsheet formula.
public func renderCSV(_ report: AccessReport) -> String {
    var out = csvRow(AccessReport.csvColumns)
    for grant in report.grants { out += csvRow(grant.csvCells) }
    return out
}

extension AccessGrant {
    /// The cells of its CSV row, in `AccessReport.csvColumns` order.
    var csvCells: [String] {
        [
            email, userID, organizationRole, projectExternalID ?? "", projectID ?? "", projectName ?? "",
            projectStatus ?? "", projectRole ?? "", managedBy?.description ?? "",
        ]
    }
}

extension AccessReport {
    public static let csvColumns = [
        "email", "user_id", "organization_role", "project_external_id", "project_id", "project_name", "project_status",
        "project_role", "managed_by",
    ]
}

func csvRow(_ cells: [String]) -> String {
    cells.map(csvField).joined(separator: ",") + "\r\n"
}

extension AccessReport {
    /// The JSON document `{"kind": "cogramctl-access", …}`, sorted keys, with a final newline.
    public func jsonData() throws -> Data { try StableJSON.data(jsonValue) }

    /// The JSON document as a value, for the access set that holds one per organization.
    var jsonValue: JSONValue {
        func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        let grants = grants.map { grant -> JSONValue in
            .object([
                "email": .string(grant.email), "user_id": .string(grant.userID),
                "organization_role": .string(grant.organizationRole), "project_external_id": string(grant.projectExternalID),
                "project_id": string(grant.projectID), "project_name": string(grant.projectName),
                "project_status": string(grant.projectStatus), "project_role": string(grant.projectRole),
                "managed_by": string(grant.managedBy?.description),
            ])
        }
        let offboarded = offboardedWithAccess.map { person -> JSONValue in
            .object([
                "email": .string(person.email), "projects": .array(person.projects.map(JSONValue.string)),
                "location": .string(person.location),
            ])
        }
        let expiring = expiring.map { entry -> JSONValue in
            .object([
                "email": .string(entry.email), "project": string(entry.project), "role": .string(entry.role),
                "expires": .string(entry.expires.description), "location": .string(entry.location),
            ])
        }
        return .object([
            "kind": .string("cogramctl-access"), "format_version": .string("1"),
            "organization": .object(["name": string(organizationName), "anchor": string(anchor)]),
            "api_url": .string(apiURL), "as_of": .string(day.description), "expiry_warning_days": .number(Double(window)),
            "grants": .array(grants), "users_in_no_manifest": .array(usersInNoManifest.map(JSONValue.string)),
            "offboarded_with_access": .array(offboarded), "expiring": .array(expiring),
        ])
    }
}
