/// Which projects' desired state differs between two loads of the manifests (for example a git ref and the
/// working tree): what a plan scoped to a pull request must look at.
public enum ManifestChanges: Sendable, Hashable {
    /// Something that concerns every project changed: plan everything. The reason says what.
    case everything(reason: String)
    /// The external ids (current, earlier and re-keyed-from) of the projects that were added, removed, re-keyed,
    /// renamed or otherwise changed, members included (after groups are expanded, so that a changed group
    /// reaches every project that uses it).
    case projects(Set<String>)

    /// Compares `current` with `base`. Locations, files and which group brought a member in do not count:
    /// only what a plan would act on.
    public static func between(base: DesiredState, current: DesiredState) -> ManifestChanges {
        if base.ownership?.externalIDPrefix != current.ownership?.externalIDPrefix {
            return .everything(reason: "'ownership' changed, which can change which projects are managed")
        }
        if base.policies.map(rules) != current.policies.map(rules) {
            return .everything(reason: "'policies' changed, and every project must satisfy them")
        }
        // Offboarding reaches every project the key reads, and the organization decides which key and which
        // organization the plan reads: a change to either concerns every project.
        if offboardedState(base) != offboardedState(current) {
            return .everything(reason: "'offboarded' changed, and an offboarded person is removed from every project")
        }
        if organizationState(base) != organizationState(current) {
            return .everything(reason: "'organization' changed, which can change which organization and key the plan reads")
        }
        var before: [String: ProjectState] = [:]
        for project in base.projects { before[project.externalID] = ProjectState(project) }
        var changed = Set<String>()
        var seen = Set<String>()
        for project in current.projects {
            seen.insert(project.externalID)
            if before[project.externalID] != ProjectState(project) {
                changed.insert(project.externalID)
                changed.formUnion(project.previousExternalIDs)
            }
        }
        for externalID in before.keys where !seen.contains(externalID) {
            changed.insert(externalID)
        }
        return .projects(changed)
    }

    /// What a plan acts on of `offboarded:` (the date and the location are for the record only).
    private static func offboardedState(_ desired: DesiredState) -> Set<String> {
        Set(desired.offboarded.map { "\($0.normalizedEmail) \($0.orgRole?.rawValue ?? "")" })
    }

    private static func organizationState(_ desired: DesiredState) -> [String?] {
        [desired.organization?.name, desired.organization?.anchor, desired.organization?.apiKeyEnv]
    }

    /// What a plan reads of a project.
    private struct ProjectState: Hashable {
        var name: String
        var description: FieldValue<String>
        var id: String?
        var previousExternalIDs: [String]
        var archived: Bool
        var members: [String: ProjectRole]?

        init(_ project: DesiredProject) {
            name = project.name
            description = project.description
            id = project.id
            previousExternalIDs = project.previousExternalIDs
            archived = project.archived
            members = project.members.map { members in
                Dictionary(members.map { ($0.normalizedEmail, $0.role) }, uniquingKeysWith: { a, _ in a })
            }
        }
    }

    /// The policies without their location.
    private static func rules(_ policies: Policies) -> Policies {
        var rules = policies
        rules.location = SourceLocation(file: "", line: 0, column: 0)
        return rules
    }
}
