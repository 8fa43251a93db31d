// The renderings of a plan set (cli.md, "Several organizations"): one section per organization headed by its
// name, each the organization's own plan as a single organization's run shows it, and a line of totals.

extension PlanSet {
    /// `Totals: 3 changes in 2 organizations (Acme EU: 1, Acme US: 2).`
    public var totalsLine: String {
        let total = plans.reduce(0) { $0 + $1.changes.count }
        let each = plans.map { "\($0.organization?.name ?? "unnamed"): \($0.changes.count)" }.joined(separator: ", ")
        return "Totals: \(total) change\(total == 1 ? "" : "s") in \(plans.count) organization\(plans.count == 1 ? "" : "s") (\(each))."
    }

    public var isEmpty: Bool { plans.allSatisfy(\.isEmpty) }
    public var changeCount: Int { plans.reduce(0) { $0 + $1.changes.count } }
    public var isDestructive: Bool { plans.contains(where: \.isDestructive) }
    public var accessRemovedCount: Int { plans.reduce(0) { $0 + $1.accessRemovedCount } }

    /// The `GITHUB_OUTPUT` lines of `plan` over several organizations (`plan-file` with `--out`).
    public func outputs(planFile: String?) -> [(String, String)] {
        var outputs = [("has-changes", String(!isEmpty)), ("change-count", String(changeCount))]
        outputs += [("destructive", String(isDestructive)), ("access-removed", String(accessRemovedCount))]
        outputs.append(("organizations", names.joined(separator: ",")))
        if let planFile { outputs.append(("plan-file", planFile)) }
        return outputs
    }
}

/// Each organization's plan under `=== NAME ===`, then the totals.
public func renderHuman(_ set: PlanSet, color: Bool) -> String {
    let style = Style(enabled: color)
    var sections = set.plans.map { plan in
        style.bold("=== \(escapeForTerminal(plan.organization?.name ?? "unnamed")) ===") + "\n\n" + renderHuman(plan, color: color)
    }
    sections.append(style.bold(escapeForTerminal(set.totalsLine)))
    return sections.joined(separator: "\n\n")
}

/// One comment: the totals, then a section per organization (`## NAME`, its plan as a single organization's
/// comment shows it). GitHub's limit is shared evenly among the organizations.
public func renderMarkdown(_ set: PlanSet) -> String {
    let share = max(4_096, (65_536 - 1_024) / max(1, set.plans.count))
    var lines = ["## cogramctl plan: \(set.plans.count) organization\(set.plans.count == 1 ? "" : "s")", "", "**\(markdownEscape(set.totalsLine))**", ""]
    for plan in set.plans {
        lines += ["## \(markdownEscape(plan.organization?.name ?? "unnamed"))", "", renderMarkdown(plan, limit: share)]
    }
    return lines.joined(separator: "\n")
}
