import Foundation

extension DriftReport {
    /// The organization header every drift rendering starts with.
    var header: OrganizationHeader {
        OrganizationHeader(
            name: organization.name, anchor: organization.anchor,
            keySource: organization.keySource
                ?? OrganizationHeader.defaultKeySource(apiURL: apiURL, apiKeyEnv: organization.apiKeyEnv),
            apiURL: apiURL)
    }

    var summaryLine: String {
        let adoptable = drift.filter(\.adoptable).count
        return drift.isEmpty
            ? "No drift. Cogram matches the manifests."
            : "Drift: \(drift.count) difference\(drift.count == 1 ? "" : "s") (\(adoptable) adoptable)."
    }

    var unmanagedLine: String {
        "Unmanaged: \(unmanaged.projectsWithoutExternalID) projects without external_id, "
            + "\(unmanaged.usersInNoManifest) users in no manifest, "
            + "\(unmanaged.membershipsUnmanaged) memberships in projects whose members no manifest manages."
    }
}

private func display(_ value: String?) -> String { value.map(quoted) ?? "(none)" }

/// The terminal rendering of a drift report; with `paths`, it ends with both ways to end the drift.
public func renderHuman(_ report: DriftReport, paths: [String] = []) -> String {
    var lines = report.header.humanLines + ["Checked at \(report.checkedAt).", ""]
    for item in report.drift {
        var head = "\(item.kind.rawValue) \(escapeForTerminal(item.address))"
        if let field = item.field { head += " \(field)" }
        lines.append(head)
        lines.append("    manifest: \(escapeForTerminal(display(item.manifest)))   cogram: \(escapeForTerminal(display(item.cogram)))")
        var detail: [String] = []
        if let location = item.location { detail.append("at \(escapeForTerminal(location))") }
        if let updatedAt = item.updatedAt { detail.append("changed in Cogram \(escapeForTerminal(updatedAt))") }
        detail.append(item.adoptable ? "adoptable" : "not adoptable" + (item.note.map { ": \(escapeForTerminal($0))" } ?? ""))
        lines.append("    " + detail.joined(separator: "; "))
    }
    if !report.drift.isEmpty { lines.append("") }
    lines.append(report.summaryLine)
    if report.hasDrift, !paths.isEmpty {
        let commands = fixCommands(paths)
        lines.append("Revert Cogram to the manifests: \(escapeForTerminal(commands.revert))")
        if report.drift.contains(where: \.adoptable) {
            lines.append("Or write Cogram's values into the manifests: \(escapeForTerminal(commands.adopt))")
        }
    }
    lines.append(report.unmanagedLine)
    return lines.joined(separator: "\n") + "\n"
}

/// The two ways to end drift, as commands for these paths.
func fixCommands(_ paths: [String]) -> (revert: String, adopt: String) {
    let joined = paths.map(shellQuoted).joined(separator: " ")
    return ("cogramctl apply \(joined)", "cogramctl drift --adopt \(joined)")
}

/// What `drift --adopt` left, one line each with the reason.
public func renderNotAdopted(_ items: [DriftItem]) -> String {
    items.map { item in
        var line = "  \(item.kind.rawValue) \(escapeForTerminal(item.address))"
        if let field = item.field { line += " \(field)" }
        line += ": manifest \(escapeForTerminal(display(item.manifest))), cogram \(escapeForTerminal(display(item.cogram)))"
        if let location = item.location { line += " (\(escapeForTerminal(location)))" }
        if let note = item.note { line += "; \(escapeForTerminal(note))" }
        return line + "\n"
    }.joined()
}

/// The Markdown rendering: an issue body, with both ways to end the drift.
public func renderMarkdown(_ report: DriftReport, paths: [String]) -> String {
    let title = report.organization.name.map { "Drift in \(markdownEscape($0))" } ?? "Drift in the unnamed organization"
    var lines = ["### \(title)", ""]
    lines += report.header.markdownLines.map { $0.hasSuffix("  ") ? $0 : $0 + "  " }
    lines += ["Checked at \(report.checkedAt).", "", "**\(report.summaryLine)**", ""]
    if !report.drift.isEmpty {
        lines += ["| kind | address | field | manifest | Cogram | changed in Cogram | location | adoptable |",
                  "|---|---|---|---|---|---|---|---|"]
        for item in report.drift {
            let cells = [
                item.kind.rawValue, markdownCode(item.address), item.field ?? "", item.manifest.map(markdownEscape) ?? "",
                item.cogram.map(markdownEscape) ?? "", item.updatedAt ?? "", item.location.map(markdownCode) ?? "",
                item.adoptable ? "yes" : "no" + (item.note.map { ": " + markdownEscape($0) } ?? ""),
            ]
            lines.append("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        let commands = fixCommands(paths)
        lines += [
            "", "**To fix**", "",
            "- Revert Cogram to the manifests: `\(commands.revert)`",
            "- Or keep Cogram's values: `\(commands.adopt)` writes the items marked adoptable into the manifests; "
                + "open a pull request with the result.",
        ]
    }
    lines += ["", markdownEscape(report.unmanagedLine), ""]
    return lines.joined(separator: "\n")
}

/// A path as a shell word: bare when it is plainly safe, else single-quoted.
func shellQuoted(_ s: String) -> String {
    let safe = s.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "-_./=:@".unicodeScalars.contains($0) }
    return safe && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
