// MARK: - Shared pieces

let noChangesLine = "No changes. Cogram matches the manifests."

extension ChangeAction {
    var symbol: String {
        switch self {
        case .create, .addMember: "+"
        case .update, .updateMember, .updateUser: "~"
        case .restore: "^"
        case .archive, .removeMember: "-"
        }
    }

    /// The end of `# <address> will be …`.
    var outcomePhrase: String {
        switch self {
        case .create: "created"
        case .update, .updateUser: "updated"
        case .restore: "restored"
        case .archive: "ARCHIVED"
        case .addMember: "added"
        case .updateMember: "given a new role"
        case .removeMember: "REMOVED"
        }
    }
}

extension Plan {
    /// The line a targeted or PR-scoped plan has right under the organization header. A PR-scoped plan records
    /// its notice as its first warning (the JSON document's place for it); the renderings move it up here.
    var scopeLine: String? {
        if let targets {
            let list = targets.map { escapeForTerminal(projectAddress($0)) }.joined(separator: ", ")
            return "Targeted plan (--target): only \(list). Other projects, users and drift elsewhere are not in this plan."
        }
        guard let first = warnings.first, first.hasPrefix(ProjectScope.noticePrefix) else { return nil }
        return "Scoped plan: " + first.dropFirst(ProjectScope.noticePrefix.count) + "."
    }

    /// The warnings as the renderings list them: without the scope notice, which `scopeLine` shows.
    var listedWarnings: [String] {
        guard targets == nil, let first = warnings.first, first.hasPrefix(ProjectScope.noticePrefix) else { return warnings }
        return Array(warnings.dropFirst())
    }

    /// `Plan: 1 to create, 2 to update, 0 to restore, 1 to archive; members: …; users: ….`
    var summaryLine: String {
        let s = summary
        return "Plan: \(s.create) to create, \(s.update) to update, \(s.restore) to restore, \(s.archive) to archive; "
            + "members: \(s.addMember) to add, \(s.updateMember) to change, \(s.removeMember) to remove; "
            + "users: \(s.updateUser) to update."
    }
}

extension Change {
    /// `# <address> will be …`, with the project's name and the reason for archives.
    var headline: String {
        var line = "# \(escapeForTerminal(address.description)) will be \(action.outcomePhrase)"
        if let projectName { line = "# \(escapeForTerminal(address.description)) (\(quoted(projectName))) will be \(action.outcomePhrase)" }
        if let reason { line += ": \(escapeForTerminal(reason))" }
        return line
    }
}

/// The lines under a change's address: `field: old → new`, or the fields it sets or had.
func fieldLines(_ change: Change) -> [String] {
    switch (change.before, change.after) {
    case (let before?, let after?):
        let old = Dictionary(before.displayFields, uniquingKeysWith: { a, _ in a })
        return after.displayFields.map { name, new in "\(name): \(old[name] ?? "null") → \(new)" }
    case (nil, let after?):
        return after.displayFields.map { "\($0): \($1)" }
    case (let before?, nil):
        return before.displayFields.map { "\($0): \($1)" }
    case (nil, nil):
        return []
    }
}

// MARK: - Human

/// The plan as a terminal shows it (Terraform-like). ANSI colour only when `color` is true.
public func renderHuman(_ plan: Plan, color: Bool) -> String {
    let style = Style(enabled: color)
    func paint(_ action: ChangeAction, _ s: String) -> String {
        switch action {
        case .create, .addMember: style.green(s)
        case .update, .updateMember, .updateUser: style.yellow(s)
        case .restore: style.cyan(s)
        case .archive, .removeMember: style.red(s)
        }
    }

    var lines = plan.header.humanLines.map { style.bold($0) } + [""]
    if let scope = plan.scopeLine { lines += [style.bold(scope), ""] }
    lines += humanAccessLines(plan, style: style)
    if !plan.changes.isEmpty {
        lines += [
            "cogramctl will make the following changes. Symbols:",
            "  \(style.green("+")) create, add member",
            "  \(style.yellow("~")) update, change member role",
            "  \(style.cyan("^")) restore (unarchive)",
            "  \(style.red("-")) archive, remove member (destructive, listed first)",
            "",
        ]
        for group in plan.groups {
            let comment = "  \(group.headline)"
            lines.append(group.isDestructive ? style.bold(style.red(comment)) : style.dim(comment))
            let action = group.main?.action ?? .updateMember
            lines.append("  \(paint(action, action.symbol))\(group.symbolLine.dropFirst())")
            lines += group.detailLines.map { line in
                // Member lines carry their own symbol, painted like the change it stands for.
                switch line.first {
                case "-": "      \(style.red("-"))\(line.dropFirst())"
                case "+": "      \(style.green("+"))\(line.dropFirst())"
                case "~": "      \(style.yellow("~"))\(line.dropFirst())"
                default: "      \(line)"
                }
            }
            lines.append("")
        }
    }
    if !plan.listedWarnings.isEmpty {
        if let last = lines.last, last != "" { lines.append("") }
        lines += plan.listedWarnings.map { "\(style.yellow("Warning:")) \(escapeForTerminal($0))" }
        lines.append("")
    }
    if !plan.safetyViolations.isEmpty {
        lines.append(style.bold(style.red("Safety caps exceeded; apply refuses this plan:")))
        lines += plan.safetyViolations.map { "  - \(escapeForTerminal($0.message)) (allow with \($0.flag))" }
        lines.append("")
    }
    // The verdict comes last, after any warnings.
    lines.append(plan.changes.isEmpty ? noChangesLine : style.bold(plan.summaryLine))
    while lines.last == "" { lines.removeLast() }
    return lines.joined(separator: "\n")
}

// MARK: - Markdown

/// The plan as a pull-request comment: the summary first, then the plan by person and the expiring entries
/// (unfolded), then one line per project (destructive ones first), then the per-project detail folded in
/// `<details>`. The whole comment stays under GitHub's 65,536-character
/// limit: details are truncated first, then the project list; the summary never is.
public func renderMarkdown(_ plan: Plan) -> String {
    renderMarkdown(plan, limit: 65_536)
}

func renderMarkdown(_ plan: Plan, limit: Int) -> String {
    // Budget in UTF-8 bytes, which is never less than characters; keep a margin for the closing lines.
    let budget = limit - 1_024
    var head: [String] = ["### cogramctl plan", ""] + plan.header.markdownLines + [""]
    if plan.isUnbound { head += [OrganizationHeader.notBoundMarkdown, ""] }
    if let scope = plan.scopeLine { head += ["> [!NOTE]", "> \(markdownEscape(scope))", ""] }
    if plan.changes.isEmpty {
        head += [noChangesLine, ""]
    } else {
        head += ["**\(plan.summaryLine)**", "", "| action | count |", "|---|---:|"]
        let summary = plan.summary
        head += ChangeAction.allCases.map { "| \($0.rawValue) | \(summary[$0]) |" }
        head.append("")
    }
    // Unfolded under the summary: who gains or loses access is what a reviewer approves. It takes at least a
    // quarter of the comment and at most half, as much as the project list leaves; the list and the details
    // share the rest.
    let headSize = head.reduce(0) { $0 + $1.utf8.count + 1 }
    let groups = plan.groups
    let listSize = groups.reduce(0) { $0 + $1.markdownSummary.utf8.count + 3 }
    head += markdownAccessLines(plan, budget: min(budget / 2, max(budget / 4, budget - 600 - headSize - listSize)))
    if !plan.safetyViolations.isEmpty {
        head.append("> [!CAUTION]")
        head.append("> Safety caps exceeded; apply refuses this plan:")
        head += plan.safetyViolations.map { "> - \(markdownEscape($0.message)) (allow with \(markdownCode($0.flag)))" }
        head.append("")
    }
    if !plan.listedWarnings.isEmpty {
        let warnings = plan.listedWarnings
        let shown = warnings.prefix(20)
        head.append("**Warnings**")
        head.append("")
        head += shown.map { "- \(markdownEscape($0))" }
        if warnings.count > shown.count { head.append("- … and \(warnings.count - shown.count) more warnings") }
        head.append("")
    }
    var size = head.reduce(0) { $0 + $1.utf8.count + 1 }

    var body: [String] = []
    if !groups.isEmpty {
        body += ["**Changes by project** (\(groups.count))", ""]
        // The project list may take what is left after a minimal details section; destructive projects come
        // first, so they are the last to be cut.
        let listBudget = budget - 400
        var listed = 0
        for group in groups {
            let line = "- \(group.markdownSummary)"
            if size + line.utf8.count + 1 + 80 > listBudget { break }
            body.append(line)
            size += line.utf8.count + 1
            listed += 1
        }
        if listed < groups.count {
            body.append("- … and \(groups.count - listed) more projects (list truncated; `cogramctl show PLANFILE` shows them all)")
        }
        body.append("")
        size += 200

        let fence = diffFence(groups)
        var details = ["<details><summary>Details by project</summary>", "", fence + "diff"]
        size += details.reduce(0) { $0 + $1.utf8.count + 1 }
        var shown = 0
        for group in groups {
            var block = [group.headline, group.symbolLine] + group.detailLines.map { "    \($0)" }
            if shown > 0 { block.insert("", at: 0) }
            let blockSize = block.reduce(0) { $0 + $1.utf8.count + 1 }
            if size + blockSize > budget { break }
            details += block
            size += blockSize
            shown += 1
        }
        details.append(fence)
        if shown < groups.count {
            details += ["", "_Details truncated: \(shown) of \(groups.count) projects shown. Run `cogramctl show PLANFILE` for the full plan._"]
        }
        details += ["", "</details>"]
        body += details
    }
    return (head + body).joined(separator: "\n") + "\n"
}

/// A code fence longer than any run of backticks in the groups' text, so that no API text can close it.
func diffFence(_ groups: [ChangeGroup]) -> String {
    var longest = 0
    for group in groups {
        for text in [group.headline, group.symbolLine] + group.detailLines {
            var run = 0
            for ch in text {
                run = ch == "`" ? run + 1 : 0
                longest = max(longest, run)
            }
        }
    }
    return String(repeating: "`", count: max(3, longest + 1))
}

/// Markdown text outside code: `OutputEscaping.markdownText`.
func markdownEscape(_ s: String) -> String {
    escapeMarkdownText(s)
}
