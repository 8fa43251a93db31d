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
    var membershipCount: Int { grants.count { $0.projectID != nil } }

    func count(_ managedBy: (ManagedBy) -> Bool) -> Int {
        grants.count { $0.managedBy.map(managedBy) ?? false }
    }

    var summaryCounts: [(label: String, count: Int)] {
        [
            ("users", userCount),
            ("memberships", membershipCount),
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
    // The padded cells of all rows in one flat array with their widths, and the output appended in place: 200,000
    // rows (figure 12) made an array per row and the joined intermediate strings most of this rendering. Printable
    // ASCII (nearly every cell) is checked once and counted in bytes; the last column needs no width, so a manifest
    // entry is written there as its parts rather than made into a string first.
    let columns = header.count - 1
    var cells = Array(header.prefix(columns))
    var counts = cells.map(characterCount)
    var widths = counts
    cells.reserveCapacity((report.grants.count + 1) * columns)
    counts.reserveCapacity((report.grants.count + 1) * columns)
    func add(_ text: String, column: Int) {
        let count: Int
        if isPrintableASCII(text) {
            cells.append(text)
            count = text.utf8.count
        } else {
            let escaped = t(text)
            cells.append(escaped)
            count = characterCount(escaped)
        }
        counts.append(count)
        if count > widths[column] { widths[column] = count }
    }
    // Through the buffer, each field is read in place: `for grant in report.grants` copied every grant (nine
    // strings retained and released) in both loops.
    report.grants.withUnsafeBufferPointer { grants in
        for index in grants.indices {
            add(grants[index].email, column: 0)
            add(grants[index].organizationRole, column: 1)
            add(grants[index].projectExternalID ?? (grants[index].projectID.map { "id \($0)" } ?? "-"), column: 2)
            add(grants[index].projectName ?? "", column: 3)
            add(grants[index].projectStatus ?? "", column: 4)
            add(grants[index].projectRole ?? "", column: 5)
        }
    }
    let padding = (0...(widths.max() ?? 0)).map { String(repeating: " ", count: $0) }
    out.reserveCapacity(out.utf8.count + (report.grants.count + 1) * (widths.reduce(0, +) + 2 * columns + 40) + 4096)
    func writeCells(row: Int) {
        for column in 0..<columns {
            let index = row * columns + column
            out += cells[index]
            out += padding[widths[column] - counts[index]]
            out += "  "
        }
    }
    writeCells(row: 0)
    out += header[columns] + "\n"
    report.grants.withUnsafeBufferPointer { grants in
        for row in grants.indices {
            writeCells(row: row + 1)
            let managedBy = grants[row].managedBy
            if case .entry(let file, let line)? = managedBy, isPrintableASCII(file) {
                out += file
                out += ":"
                out += String(line)
            } else {
                out += t(managedBy?.description ?? "no project membership")
            }
            out += "\n"
        }
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
    out.reserveCapacity(out.utf8.count + report.grants.count * 200 + 4096)
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
        out += "| "
        for (i, cell) in cells.enumerated() {
            if i > 0 { out += " | " }
            out += tableSafe(cell)
        }
        out += " |\n"
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

/// The characters of text the terminal rule has escaped: its bytes when they are all printable ASCII (one
/// character each), else the grapheme count, which walks the text.
func characterCount(_ text: String) -> Int {
    isPrintableASCII(text) ? text.utf8.count : text.count
}

/// Every byte is printable ASCII: the terminal rule leaves the text as it is, one character per byte.
func isPrintableASCII(_ text: String) -> Bool {
    var text = text
    return text.withUTF8 { bytes in !bytes.contains { $0 < 0x20 || $0 > 0x7E } }
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
    var out = ""
    out.reserveCapacity(256 + report.grants.count * 160)
    appendCSVRow(AccessReport.csvColumns, to: &out)
    for grant in report.grants { appendCSVRow(grant.csvCells, to: &out) }
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

/// One CSV record with its CRLF, appended to `out`.
func appendCSVRow(_ cells: [String], to out: inout String) {
    for (i, cell) in cells.enumerated() {
        if i > 0 { out += "," }
        out += csvField(cell)
    }
    out += "\r\n"
}

extension AccessReport {
    /// The JSON document `{"kind": "cogramctl-access", …}` in `StableJSON`'s form (sorted keys, a final newline).
    public func jsonData() throws -> Data {
        var json = StableJSONWriter(capacity: 64 + grants.count * 400)
        writeJSON(to: &json)
        return json.finish()
    }

    /// Writes the document as it goes (also as one element of an access set): every object's keys below are in
    /// sorted order.
    func writeJSON(to json: inout StableJSONWriter) {
        json.beginObject()
        json.member("api_url", apiURL)
        json.member("as_of", day.description)
        json.member("expiring", objects: expiring) { json, entry in
            json.member("email", entry.email)
            json.member("expires", entry.expires.description)
            json.member("location", entry.location)
            json.member("project", entry.project)
            json.member("role", entry.role)
        }
        json.key("expiry_warning_days")
        json.number(window)
        json.member("format_version", "1")
        json.member("grants", objects: grants) { json, grant in
            json.member("email", grant.email)
            json.member("managed_by", grant.managedBy?.description)
            json.member("organization_role", grant.organizationRole)
            json.member("project_external_id", grant.projectExternalID)
            json.member("project_id", grant.projectID)
            json.member("project_name", grant.projectName)
            json.member("project_role", grant.projectRole)
            json.member("project_status", grant.projectStatus)
            json.member("user_id", grant.userID)
        }
        json.member("kind", "cogramctl-access")
        json.member("offboarded_with_access", objects: offboardedWithAccess) { json, person in
            json.member("email", person.email)
            json.member("location", person.location)
            json.member("projects", strings: person.projects)
        }
        json.key("organization")
        json.beginObject()
        json.member("anchor", anchor)
        json.member("name", organizationName)
        json.endObject()
        json.member("users_in_no_manifest", strings: usersInNoManifest)
        json.endObject()
    }
}
