/// Turns projects' member entries into members: each `- group: NAME` becomes the group's members, and a user
/// reached more than once keeps one role: a direct `email` entry wins over any group; among groups the highest
/// role wins (owner > editor > viewer), the first group listed on a tie.
enum GroupExpansion {
    static func expand(_ entries: [ProjectEntry], groups: inout [DesiredGroup], diagnostics: inout [Diagnostic]) -> [DesiredProject] {
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
            guard let memberEntries = entry.memberEntries else { return project }
            var members: [DesiredMember] = []
            members.reserveCapacity(memberEntries.count)
            var position: [String: Int] = [:]
            for memberEntry in memberEntries {
                switch memberEntry {
                case .direct(let member):
                    // Direct entries are unique (the decoder reports duplicates), so this replaces a group's.
                    if let index = position[member.normalizedEmail] {
                        members[index] = member
                    } else {
                        position[member.normalizedEmail] = members.count
                        members.append(member)
                    }
                case .group(let name, let role, let location):
                    guard let group = byName[name] else {
                        diagnostics.append(Diagnostic(.error, at: location,
                            "unknown group '\(name)' in project '\(project.externalID)'\(Suggestion.hint(for: name, in: names))"))
                        continue
                    }
                    used.insert(name)
                    for groupMember in group.members {
                        var member = groupMember
                        member.role = role ?? groupMember.role
                        member.group = name
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
            project.members = members
            return project
        }
        for group in groups where !used.contains(group.name) {
            diagnostics.append(Diagnostic(.warning, at: group.location,
                "group '\(group.name)' is used by no project; remove it or add '- group: \(group.name)' to a project's members"))
        }
        return projects
    }
}
