// The plan by person and the expiring entries in the human and Markdown renderings: sections that come before the
// object-level changes, because who gains or loses access is what a reviewer approves.

extension AccessChange {
    /// `project.acme-x ("X")`, `project#prj_1 ("Loose")` or `organization role`.
    var subject: String {
        guard scope == .project else { return "organization role" }
        let name = projectName.map { " (\(quoted($0)))" } ?? ""
        return escapeForTerminal((address.projectAddress ?? address).description) + name
    }

    /// `owner`, `editor, REMOVED` or `editor → viewer`.
    var roleChange: String {
        switch (from, to) {
        case (nil, let to?): escapeForTerminal(to)
        case (let from?, nil): "\(escapeForTerminal(from)), REMOVED"
        default: "\(escapeForTerminal(from ?? "none")) → \(escapeForTerminal(to ?? "none"))"
        }
    }

    var symbol: String {
        switch (from, to) {
        case (nil, _): "+"
        case (_, nil): "-"
        default: "~"
        }
    }

    /// `manifest, org.yaml:9, expires 2027-03-31`, `group:leads, org.yaml:20`, `expired 2027-03-31, org.yaml:12`,
    /// `offboarded, people.yaml:3`.
    var why: String {
        var parts: [String]
        switch cause.reason {
        case .expired: parts = ["expired" + (cause.expires.map { " \($0)" } ?? "")]
        default: parts = [escapeForTerminal(cause.reason.description)]
        }
        if let location = cause.location { parts.append(escapeForTerminal(location)) }
        if cause.reason != .expired, let expires = cause.expires { parts.append("expires \(expires)") }
        return parts.joined(separator: ", ")
    }
}

extension ExpiringAccess {
    /// `dana@acme.example: editor in project.acme-x until 2027-03-31 (org.yaml:9)`.
    var line: String {
        let scope = project.map { "in \(escapeForTerminal(projectAddress($0)))" } ?? "in the organization"
        return "\(escapeForTerminal(email)): \(escapeForTerminal(role)) \(scope) until \(expires) (\(escapeForTerminal(location)))"
    }
}

let expiringHeading = "Expiring soon (within the warning window; not changes of this plan)"

/// The human sections: `Access by person:` with one block per person, then the expiring entries.
func humanAccessLines(_ plan: Plan, style: Style) -> [String] {
    var lines: [String] = []
    let people = plan.access
    if !people.isEmpty {
        lines.append(style.bold("Access by person (\(people.count) \(people.count == 1 ? "person" : "people")):"))
        for person in people {
            lines.append("  \(escapeForTerminal(person.email))")
            for change in person.changes {
                let symbol = switch change.symbol {
                case "+": style.green("+")
                case "-": style.red("-")
                default: change.isDestructive ? style.red("~") : style.yellow("~")
                }
                var text = "\(change.subject): \(change.roleChange)"
                if change.isDestructive, change.to != nil { text += " (lowered)" }
                lines.append("    \(symbol) \(text) [\(change.why)]")
            }
        }
        lines.append("")
    }
    return lines + humanExpiringLines(plan.expiring, style: style)
}

func humanExpiringLines(_ entries: [ExpiringAccess], style: Style) -> [String] {
    guard !entries.isEmpty else { return [] }
    return [style.bold(expiringHeading + ":")] + entries.map { "  \($0.line)" } + [""]
}

/// The Markdown sections, unfolded under the summary: a table of every access change by person, then the expiring
/// entries. Rows past `budget` UTF-8 bytes are left out, saying how many and where to see them all.
func markdownAccessLines(_ plan: Plan, budget: Int) -> [String] {
    var lines: [String] = []
    var size = 0
    func fits(_ line: String) -> Bool {
        guard size + line.utf8.count + 1 <= budget else { return false }
        size += line.utf8.count + 1
        return true
    }
    let people = plan.access
    if !people.isEmpty {
        let total = people.reduce(0) { $0 + $1.changes.count }
        lines += [
            "**Access by person** (\(people.count) \(people.count == 1 ? "person" : "people"), \(total) \(total == 1 ? "change" : "changes"))",
            "", "| Person | Access | Change | Why |", "|---|---|---|---|",
        ]
        var shown = 0
        rows: for person in people {
            for (index, change) in person.changes.enumerated() {
                let who = index == 0 ? markdownEscape(person.email) : ""
                let subject = change.scope == .project
                    ? markdownCode((change.address.projectAddress ?? change.address).description)
                        + (change.projectName.map { " (\(markdownEscape($0)))" } ?? "")
                    : "organization role"
                let what: String
                switch (change.from, change.to) {
                case (nil, let to?): what = "➕ \(markdownEscape(to))"
                case (let from?, nil): what = "⚠️ **removed** (was \(markdownEscape(from)))"
                default:
                    let arrow = "\(markdownEscape(change.from ?? "none")) → **\(markdownEscape(change.to ?? "none"))**"
                    what = change.isDestructive ? "⚠️ \(arrow) (lowered)" : arrow
                }
                var why = change.cause.reason == .expired
                    ? "expired" + (change.cause.expires.map { " \($0)" } ?? "") : markdownEscape(change.cause.reason.description)
                if let location = change.cause.location { why += " " + markdownCode(location) }
                if change.cause.reason != .expired, let expires = change.cause.expires { why += ", expires \(expires)" }
                let row = "| " + [who, subject, what, why].map(tableSafe).joined(separator: " | ") + " |"
                guard fits(row) else { break rows }
                lines.append(row)
                shown += 1
            }
        }
        if shown < total {
            lines.append("")
            lines.append("_\(total - shown) more access changes not shown; `cogramctl show PLANFILE` lists them all._")
        }
        lines.append("")
    }
    return lines + markdownExpiringLines(plan.expiring, budget: budget - size)
}

func markdownExpiringLines(_ entries: [ExpiringAccess], budget: Int) -> [String] {
    guard !entries.isEmpty else { return [] }
    var lines = ["**\(expiringHeading)**", ""]
    var size = 0
    for entry in entries {
        let scope = entry.project.map { "in \(markdownCode(projectAddress($0)))" } ?? "in the organization"
        let line = "- \(markdownEscape(entry.email)): \(markdownEscape(entry.role)) \(scope) until \(entry.expires) (\(markdownCode(entry.location)))"
        guard size + line.utf8.count + 1 <= budget else {
            lines.append("- … and \(entries.count - (lines.count - 2)) more expiring entries")
            break
        }
        lines.append(line)
        size += line.utf8.count + 1
    }
    return lines + [""]
}

/// The expiring entries alone, for reports that are not plans (`drift`), to append to the report: a blank line and
/// the section, or nothing when there are none.
public func renderExpiring(_ entries: [ExpiringAccess], markdown: Bool) -> String {
    guard !entries.isEmpty else { return "" }
    let lines = markdown ? markdownExpiringLines(entries, budget: 32_768) : humanExpiringLines(entries, style: Style(enabled: false))
    // The drift report's Markdown ends without a line break, its human text with one.
    return (markdown ? "\n\n" : "\n") + lines.joined(separator: "\n")
}

/// The plan-by-person sections of the human and Markdown renderings alone, as `renderHuman` and `renderMarkdown`
/// make them (the Markdown at the largest budget it can get): what the benchmark's figure 12 compares with the
/// cost of `makePlan`, which cannot be told apart inside the whole renderings.
@_spi(Benchmarks)
public func renderAccessSections(_ plan: Plan) -> (human: String, markdown: String) {
    let human = humanAccessLines(plan, style: Style(enabled: false))
    let markdown = markdownAccessLines(plan, budget: (65_536 - 1_024) / 2)
    return (human.joined(separator: "\n"), markdown.joined(separator: "\n"))
}
