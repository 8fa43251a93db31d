import CogramAPI
import CogramCore
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

    /// The number of distinct users among the grants. A user's rows are next to each other (the grants are sorted
    /// by email), so only the first of a run is hashed: hashing 200,000 ids was most of the summary's cost.
    var userCount: Int {
        var ids = Set<String>()
        grants.withUnsafeBufferPointer { grants in
            for index in grants.indices where index == 0 || grants[index].userID != grants[index - 1].userID {
                ids.insert(grants[index].userID)
            }
        }
        return ids.count
    }

    var membershipCount: Int { grants.count { $0.projectID != nil } }

    var summaryCounts: [(label: String, count: Int)] {
        // One pass over the grants, read in place, for the three counts by what stands behind a membership.
        var (memberships, entries, unmanaged, notInManifests) = (0, 0, 0, 0)
        grants.withUnsafeBufferPointer { grants in
            for index in grants.indices {
                if grants[index].projectID != nil { memberships += 1 }
                switch grants[index].managedBy {
                case .entry?: entries += 1
                case .unmanaged?: unmanaged += 1
                case .notInManifests?: notInManifests += 1
                case nil: break
                }
            }
        }
        return [
            ("users", userCount),
            ("memberships", memberships),
            ("managed by a manifest entry", entries),
            ("unmanaged", unmanaged),
            ("not in manifests (pending removal)", notInManifests),
            ("users in no manifest", usersInNoManifest.count),
            ("offboarded people with access", offboardedWithAccess.count),
            ("expiring within \(window) days", expiring.count),
        ]
    }
}

/// The human rendering: the organization first, then an aligned table of every grant and the lists.
public func renderHuman(_ report: AccessReport) -> String {
    String(decoding: renderHumanBytes(report), as: UTF8.self)
}

/// `renderHuman`'s UTF-8 bytes, written straight into one buffer: for 200,000 rows (figure 12) appending 1.4
/// million cells and their padding to a `String`, and keeping the cells in an array between measuring and writing
/// them, were most of this rendering. The widths are measured in a first pass and the cells written in a second;
/// printable ASCII (nearly every cell) is checked in place and counted in bytes, anything else escaped in both
/// passes.
func renderHumanBytes(_ report: AccessReport) -> [UInt8] {
    let t = escapeForTerminal
    var head = report.header.humanLines.joined(separator: "\n") + "\n"
    head += "Access as of \(report.day): "
    head += report.summaryCounts.map { "\($0.count) \($0.label)" }.joined(separator: ", ") + "\n\n"
    let header = ["EMAIL", "ORG ROLE", "PROJECT", "NAME", "STATUS", "ROLE", "MANAGED BY"]
    let columns = header.count - 1
    func project(_ grant: AccessGrant) -> String { grant.projectExternalID ?? (grant.projectID.map { "id \($0)" } ?? "-") }
    /// The characters the terminal rule leaves of `text`.
    func width(_ text: String) -> Int { isPrintableASCII(text) ? text.utf8.count : characterCount(t(text)) }

    var widths = header.prefix(columns).map(characterCount)
    report.grants.withUnsafeBufferPointer { grants in
        for index in grants.indices {
            widths[0] = max(widths[0], width(grants[index].email))
            widths[1] = max(widths[1], width(grants[index].organizationRole))
            widths[2] = max(widths[2], grants[index].projectExternalID.map(width) ?? width(project(grants[index])))
            widths[3] = max(widths[3], width(grants[index].projectName ?? ""))
            widths[4] = max(widths[4], width(grants[index].projectStatus ?? ""))
            widths[5] = max(widths[5], width(grants[index].projectRole ?? ""))
        }
    }

    var out = ByteWriter(capacity: head.utf8.count + (report.grants.count + 1) * (widths.reduce(0, +) + 2 * columns + 40) + 4096)
    out.append(head)
    for column in 0..<columns {
        out.append(header[column])
        out.spaces(widths[column] - characterCount(header[column]) + 2)
    }
    out.append(header[columns])
    out.byte(0x0A)
    report.grants.withUnsafeBufferPointer { grants in
        for index in grants.indices {
            out.cell(grants[index].email, width: widths[0], escape: t)
            out.cell(grants[index].organizationRole, width: widths[1], escape: t)
            if let externalID = grants[index].projectExternalID {
                out.cell(externalID, width: widths[2], escape: t)
            } else {
                out.cell(project(grants[index]), width: widths[2], escape: t)
            }
            out.cell(grants[index].projectName ?? "", width: widths[3], escape: t)
            out.cell(grants[index].projectStatus ?? "", width: widths[4], escape: t)
            out.cell(grants[index].projectRole ?? "", width: widths[5], escape: t)
            // The last column needs no width: a manifest entry is written as its parts.
            if case .entry(let file, let line)? = grants[index].managedBy, isPrintableASCII(file) {
                out.append(file)
                out.byte(UInt8(ascii: ":"))
                out.decimal(line)
            } else {
                out.append(t(grants[index].managedBy?.description ?? "no project membership"))
            }
            out.byte(0x0A)
        }
    }
    var tail = ""
    if !report.usersInNoManifest.isEmpty {
        tail += "\nUsers in no manifest:\n"
        for email in report.usersInNoManifest { tail += "  \(t(email))\n" }
    }
    if !report.offboardedWithAccess.isEmpty {
        tail += "\nOffboarded people who still have access:\n"
        for person in report.offboardedWithAccess {
            tail += "  \(t(person.email)) (\(t(person.location))): \(person.projects.map(t).joined(separator: ", "))\n"
        }
    }
    if !report.expiring.isEmpty {
        tail += "\nExpiring within \(report.window) days:\n"
        for entry in report.expiring {
            let scope = entry.project.map { "project \(t($0))" } ?? "organization"
            tail += "  \(t(entry.email)) \(t(entry.role)) in \(scope) until \(entry.expires) (\(t(entry.location)))\n"
        }
    }
    out.append(tail)
    return out.bytes
}

/// A growing UTF-8 buffer for the access report's large renderings, appended to in place.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    mutating func byte(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func spaces(_ count: Int) {
        if count > 0 { bytes.append(contentsOf: repeatElement(0x20, count: count)) }
    }

    /// `value` in decimal, as `String(value)` writes it.
    mutating func decimal(_ value: Int) {
        guard value >= 0 else { return append(String(value)) }
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// A table cell as the terminal rule leaves it, padded to `width` characters, then the two spaces between
    /// columns.
    mutating func cell(_ text: String, width: Int, escape: (String) -> String) {
        var text = text
        let written = text.withUTF8 { source -> Int? in
            for byte in source where byte < 0x20 || byte > 0x7E { return nil }
            bytes.append(contentsOf: source)
            return source.count
        }
        if let written {
            spaces(width - written + 2)
        } else {
            let escaped = escape(text)
            append(escaped)
            spaces(width - characterCount(escaped) + 2)
        }
    }
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
    String(decoding: renderCSVBytes(report), as: UTF8.self)
}

/// `renderCSV`'s UTF-8 bytes, each row's fields written straight into one buffer (no array of cells per row, and
/// a manifest entry as its parts).
func renderCSVBytes(_ report: AccessReport) -> [UInt8] {
    var out = ByteWriter(capacity: 256 + report.grants.count * 160)
    var header = ""
    appendCSVRow(AccessReport.csvColumns, to: &header)
    out.append(header)
    report.grants.withUnsafeBufferPointer { grants in
        for index in grants.indices {
            out.append(csvField(grants[index].email))
            out.byte(UInt8(ascii: ","))
            out.append(csvField(grants[index].userID))
            out.byte(UInt8(ascii: ","))
            out.append(csvField(grants[index].organizationRole))
            out.byte(UInt8(ascii: ","))
            out.append(csvField(grants[index].projectExternalID ?? ""))
            out.byte(UInt8(ascii: ","))
            out.append(csvField(grants[index].projectID ?? ""))
            out.byte(UInt8(ascii: ","))
            out.append(csvField(grants[index].projectName ?? ""))
            out.byte(UInt8(ascii: ","))
            out.append(csvField(grants[index].projectStatus ?? ""))
            out.byte(UInt8(ascii: ","))
            out.append(csvField(grants[index].projectRole ?? ""))
            out.byte(UInt8(ascii: ","))
            // "file:line" needs nothing when the file needs nothing: the colon and the digits neither start a
            // formula nor need quotes.
            if case .entry(let file, let line)? = grants[index].managedBy, OutputEscaping.isPlainCSVField(file) {
                out.append(file)
                out.byte(UInt8(ascii: ":"))
                out.decimal(line)
            } else {
                out.append(csvField(grants[index].managedBy?.description ?? ""))
            }
            out.byte(UInt8(ascii: "\r"))
            out.byte(UInt8(ascii: "\n"))
        }
    }
    return out.bytes
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
        Data(jsonBytes())
    }

    func jsonBytes() -> [UInt8] {
        var json = StableJSONWriter(capacity: 64 + grants.count * 400)
        writeJSON(to: &json)
        return json.finishBytes()
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
            if case .entry(let file, let line)? = grant.managedBy {
                json.member("managed_by", file: file, line: line)
            } else {
                json.member("managed_by", grant.managedBy?.description)
            }
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
