import CogramAPI
import CogramManifest

/// Which Cogram project each manifest project stands for. Shared by `readObservedState` (which member lists
/// to read) and `makePlan`, so that both always agree.
struct ProjectMatching {
    struct Match {
        var project: Project
        var id: String { project.id }
    }

    /// By index into `desired.projects`.
    var matches: [Int: Match] = [:]
    var errors: [Diagnostic] = []
    /// Indices into `desired.projects` that cannot be planned (an error names why): neither matched nor created.
    var unresolved: Set<Int> = []
    /// External ids that several Cogram projects carry and that the plan must not act on.
    var ambiguousExternalIDs: Set<String> = []

    init(desired: DesiredState, projects: [Project]) {
        var byID: [String: Project] = [:]
        var byExternalID: [String: Project] = [:]
        byID.reserveCapacity(projects.count)
        byExternalID.reserveCapacity(projects.count)
        // The external ids that several projects carry, with every carrier in order.
        var shared: [String: [Project]] = [:]
        for project in projects {
            byID[project.id] = project
            if let e = project.externalID, let earlier = byExternalID.updateValue(project, forKey: e) {
                shared[e, default: [earlier]].append(project)
            }
        }
        var claimedBy: [String: DesiredProject] = [:]

        // Two projects with one external_id that the manifests manage or name: which one is meant cannot be known,
        // so the plan stops rather than keep one and archive the other.
        var referencedAt: [String: SourceLocation] = [:]
        if !shared.isEmpty {
            for d in desired.projects {
                for e in [d.externalID] + d.previousExternalIDs where referencedAt[e] == nil { referencedAt[e] = d.location }
            }
        }
        for (externalID, found) in shared {
            let managed = desired.externalIDPrefix.map { externalID.hasPrefix($0) } ?? true
            guard managed || referencedAt[externalID] != nil else { continue }
            ambiguousExternalIDs.insert(externalID)
            errors.append(Diagnostic(.error, at: referencedAt[externalID], "external_id \(quoted(externalID)) is carried by \(found.count) Cogram projects (\(idList(found.map(\.id)))); cogramctl cannot tell which one the manifests mean, so nothing was planned. Give all but one another external_id (or none) in the Cogram app, then plan again"))
        }

        for (index, d) in desired.projects.enumerated() {
            if !ambiguousExternalIDs.isEmpty, ([d.externalID] + d.previousExternalIDs).contains(where: ambiguousExternalIDs.contains) {
                unresolved.insert(index)
                continue
            }
            var match: Match?
            if let id = d.id {
                guard let project = byID[id] else {
                    errors.append(Diagnostic(.error, at: d.location, "project \(quoted(d.externalID)) adopts id \(quoted(id)), but Cogram has no project with that id; check the id or remove `id:`"))
                    unresolved.insert(index)
                    continue
                }
                if let holder = byExternalID[d.externalID], holder.id != id {
                    errors.append(Diagnostic(.error, at: d.location, "project \(quoted(d.externalID)) adopts \(quoted(id)), but external_id \(quoted(d.externalID)) already belongs to another project (\(holder.id)); remove `id:` or choose another external_id"))
                    unresolved.insert(index)
                    continue
                }
                match = Match(project: project)
            } else if let project = byExternalID[d.externalID] {
                match = Match(project: project)
            } else {
                let found = d.previousExternalIDs.compactMap { previous in byExternalID[previous].map { (previous, $0) } }
                if Set(found.map(\.1.id)).count > 1 {
                    let list = found.map { "\(quoted($0.0)) (\($0.1.id))" }.joined(separator: ", ")
                    errors.append(Diagnostic(.error, at: d.location, "previous_external_ids of project \(quoted(d.externalID)) match several projects: \(list); keep only the one to re-key"))
                    unresolved.insert(index)
                    continue
                }
                if let project = found.first?.1 {
                    match = Match(project: project)
                }
            }
            guard let match else { continue }
            if let other = claimedBy[match.id] {
                errors.append(Diagnostic(.error, at: d.location, "project \(quoted(d.externalID)) and project \(quoted(other.externalID)) (\(other.location)) both stand for Cogram project \(match.id); one of them must go"))
                unresolved.insert(index)
                continue
            }
            claimedBy[match.id] = d
            matches[index] = match
        }
    }

    /// Ids of the Cogram projects some manifest project stands for.
    var claimedIDs: Set<String> { Set(matches.values.map(\.id)) }
}
