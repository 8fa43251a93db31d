// MARK: - Changes grouped by project

/// One project's changes (its own and its members'), or one user's: the unit the human and Markdown renderings
/// show, so that a new project and its members read as one thing.
struct ChangeGroup {
    /// `project.<external_id>` or `user.<email>`.
    var address: String
    /// The project's own change (create, update, restore, archive) or the user's update, if any.
    var main: Change?
    /// Member changes: removals first, then additions, then role changes, each by address.
    var members: [Change]

    var removals: Int { members.count { $0.action == .removeMember } }
    var isDestructive: Bool { main?.action == .archive || removals > 0 }

    /// Destructive groups first (archives, then projects losing members), then by what happens to the project.
    var rank: Int {
        if main?.action == .archive { return 0 }
        if removals > 0 { return 1 }
        switch main?.action {
        case .create: return 2
        case .restore: return 3
        case .update: return 4
        case nil: return 5
        default: return 6
        }
    }

    /// Members as `a@x (owner), b@x (editor)`, for creates whose members are all additions.
    var memberList: String {
        members.map { "\(escapeForTerminal(email($0))) (\(escapeForTerminal($0.after?.role ?? "?")))" }.joined(separator: ", ")
    }

    /// The lines under the group's headline: the project's fields, then one line per member change.
    var detailLines: [String] {
        var out = main.map(fieldLines) ?? []
        if main?.action == .create, members.allSatisfy({ $0.action == .addMember }) { return out }
        for change in members {
            let who = escapeForTerminal(email(change))
            // Expiry and offboarding say why; a change the manifests ask for plainly has no reason.
            let why = change.reason.map { ": \(escapeForTerminal($0))" } ?? ""
            switch change.action {
            case .removeMember: out.append("- member \(who) (\(escapeForTerminal(change.before?.role ?? "?"))) will be REMOVED\(why)")
            case .addMember: out.append("+ member \(who) (\(escapeForTerminal(change.after?.role ?? "?")))\(why)")
            default:
                out.append("~ member \(who): \(escapeForTerminal(change.before?.role ?? "?")) → \(escapeForTerminal(change.after?.role ?? "?"))\(why)")
            }
        }
        return out
    }

    /// `# project.x will be updated; 1 member will be REMOVED`.
    var headline: String {
        var line = main?.headline ?? "# \(escapeForTerminal(address))'s members will change"
        if removals > 0 { line += "; \(removals) \(removals == 1 ? "member" : "members") will be REMOVED" }
        return line
    }

    /// `+ project.x, with members a (owner)` / `~ project.x`.
    var symbolLine: String {
        let symbol = main?.action.symbol ?? "~"
        var line = "\(symbol) \(escapeForTerminal(address))"
        if main?.action == .create, !members.isEmpty, members.allSatisfy({ $0.action == .addMember }) {
            line += ", with members \(memberList)"
        }
        return line
    }

    /// One line of the Markdown project list: ``⚠️ `project.x` — **archived** ("Old Site"): listed in no manifest``.
    var markdownSummary: String {
        var parts: [String] = []
        if let main {
            switch main.action {
            case .archive:
                var text = "**archived**"
                if let name = main.projectName { text += " (\(markdownEscape(quoted(name))))" }
                if let reason = main.reason { text += ": \(markdownEscape(reason))" }
                parts.append(text)
            case .create: parts.append("created")
            case .restore: parts.append("restored")
            default: parts.append("updated (\((main.after?.displayFields ?? []).map(\.0).joined(separator: ", ")))")
            }
        }
        let added = members.count { $0.action == .addMember }
        let changed = members.count { $0.action == .updateMember }
        var counts: [String] = []
        if removals > 0 { counts.append("**\(removals) removed**") }
        if added > 0 { counts.append("\(added) added") }
        if changed > 0 { counts.append("\(changed) role \(changed == 1 ? "change" : "changes")") }
        if !counts.isEmpty { parts.append("members: " + counts.joined(separator: ", ")) }
        return (isDestructive ? "⚠️ " : "") + markdownCode(address) + " — " + parts.joined(separator: "; ")
    }

    private func email(_ change: Change) -> String {
        change.target.email ?? change.address.email ?? ""
    }
}

extension Plan {
    /// The changes grouped by project (users last), destructive groups first.
    var groups: [ChangeGroup] {
        var byAddress: [String: ChangeGroup] = [:]
        for change in changes {
            let address: String
            switch change.action {
            case .addMember, .updateMember, .removeMember:
                address = (change.address.projectAddress ?? change.address).description
            default:
                address = change.address.description
            }
            var group = byAddress[address] ?? ChangeGroup(address: address, main: nil, members: [])
            if change.action.isMemberChange { group.members.append(change) } else { group.main = change }
            byAddress[address] = group
        }
        let memberOrder: [ChangeAction] = [.removeMember, .addMember, .updateMember]
        // Each sort key is made once per element, not in every comparison: an address's text and a group's rank
        // (which counts its removals) cost more than the comparison itself.
        let groups = byAddress.values.map { group -> ChangeGroup in
            var g = group
            if g.members.count > 1 {
                g.members = g.members
                    .map { (order: memberOrder.firstIndex(of: $0.action)!, address: $0.address.description, change: $0) }
                    .sorted { ($0.order, $0.address) < ($1.order, $1.address) }
                    .map(\.change)
            }
            return g
        }
        return groups
            .map { (user: $0.main?.action == .updateUser, rank: $0.rank, group: $0) }
            .sorted { a, b in
                if a.user != b.user { return !a.user }
                return (a.rank, a.group.address) < (b.rank, b.group.address)
            }
            .map(\.group)
    }
}

extension ChangeAction {
    var isMemberChange: Bool { self == .addMember || self == .updateMember || self == .removeMember }
}
