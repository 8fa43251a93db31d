/// Turns projects' member entries into members: each `- group: NAME` becomes the group's members, and a user
/// reached more than once keeps one role: a direct `email` entry wins over any group; among groups the highest
/// role wins (owner > editor > viewer), the first group listed on a tie.
enum GroupExpansion {
    static func expand(_ entries: some Sequence<ProjectEntry>, groups: inout [DesiredGroup], diagnostics: inout [Diagnostic]) -> [DesiredProject] {
        var byName: [String: DesiredGroup] = [:]
        groups = groups.filter { group in
            if let first = byName[group.name] {
                diagnostics.append(Diagnostic(.error, at: group.location,
                    "group '\(group.name)' is defined twice; first defined at \(first.location)"))
                return false
            }
            byName[group.name] = group
            return true
        }
        let names = groups.map(\.name)
        var used = Set<String>()
        let projects = entries.map { entry -> DesiredProject in
            var project = entry.project
            // Without group references the members are the direct entries, which the decoder keeps unique and
            // has already set as the project's members (most projects; this runs for every membership).
            guard let memberEntries = entry.groupedEntries else { return project }
            project.memberEntries = memberEntries
            project.members = members(of: memberEntries, groups: byName, asOf: nil) { reference in
                if byName[reference.name] == nil {
                    diagnostics.append(Diagnostic(.error, at: reference.location,
                        "unknown group '\(reference.name)' in project '\(project.externalID)'\(Suggestion.hint(for: reference.name, in: names))"))
                } else {
                    used.insert(reference.name)
                }
            }
            return project
        }
        for group in groups where !used.contains(group.name) {
            diagnostics.append(Diagnostic(.warning, at: group.location,
                "group '\(group.name)' is used by no project; remove it or add '- group: \(group.name)' to a project's members"))
        }
        return projects
    }

    /// The members that `entries` grant. With `day`, an entry (direct, group reference or group member) whose
    /// `expires` is before the day counts as absent. `visit` sees every group reference that counts.
    static func members(
        of entries: [DesiredMemberEntry], groups byName: [String: DesiredGroup], asOf day: CalendarDay?,
        visit: (DesiredGroupReference) -> Void = { _ in }
    ) -> [DesiredMember] {
        func counts(_ expires: CalendarDay?) -> Bool {
            guard let day, let expires else { return true }
            return expires >= day
        }
        var members: [DesiredMember] = []
        members.reserveCapacity(entries.count)
        var position: [String: Int] = [:]
        for memberEntry in entries {
            switch memberEntry {
            case .direct(let member):
                guard counts(member.expires) else { continue }
                // Direct entries are unique (the decoder reports duplicates), so this replaces a group's.
                if let index = position[member.normalizedEmail] {
                    members[index] = member
                } else {
                    position[member.normalizedEmail] = members.count
                    members.append(member)
                }
            case .group(let reference):
                guard counts(reference.expires) else { continue }
                visit(reference)
                guard let group = byName[reference.name] else { continue }
                for groupMember in group.members where counts(groupMember.expires) {
                    var member = groupMember
                    member.role = reference.role ?? groupMember.role
                    member.group = reference.name
                    if let index = position[member.normalizedEmail] {
                        let current = members[index]
                        if current.group != nil, member.role > current.role { members[index] = member }
                    } else {
                        position[member.normalizedEmail] = members.count
                        members.append(member)
                    }
                }
            }
        }
        return members
    }
}
