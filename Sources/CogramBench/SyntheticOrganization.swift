import CogramAPI
import CogramRandom
import CogramSandbox

/// A project as the sandbox holds it (base) or as the variant manifests want it.
public struct SyntheticProject: Sendable, Hashable {
    public var externalID: String
    public var name: String
    public var description: String
    public var members: [SandboxSeed.Member]
}

/// What the variant changes, by kind; `planChanges` is the number of changes `makePlan` must find.
public struct ChangeSummary: Sendable, Hashable {
    public var renames = 0
    public var roleChanges = 0
    public var memberAdds = 0
    public var memberRemovals = 0
    public var newProjects = 0
    /// Members of the new projects (one `add_member` change each).
    public var newProjectMembers = 0

    /// Existing projects with exactly one change each.
    public var changedProjects: Int { renames + roleChanges + memberAdds + memberRemovals }

    /// Changes in the plan of the variant against the seeded sandbox.
    public var planChanges: Int { changedProjects + newProjects + newProjectMembers }
}

/// A deterministic synthetic organization: users, projects with members, and a variant with changes.
///
/// The base projects are what `sandboxSeed` puts into a sandbox and what the base manifests describe (a plan
/// of them finds nothing to do); the variant manifests differ by `changes`.
public struct SyntheticOrganization: Sendable {
    public let spec: OrganizationSpec
    public let users: [SandboxSeed.User]
    public let projects: [SyntheticProject]
    public let variant: [SyntheticProject]
    public let changes: ChangeSummary

    public init(spec: OrganizationSpec) throws(GeneratorError) {
        try spec.validate()
        self.spec = spec
        var rng = SplitMix64(seed: spec.seed)
        let width = max(6, String(spec.users).count)
        users = (1...spec.users).map { i in
            SandboxSeed.User(
                email: Self.email(i, width: width), name: "User \(i)",
                role: i % 50 == 1 ? .admin : (i % 10 == 0 ? .guest : .member), externalID: "E-\(i)")
        }
        let emails = users.map(\.email)
        var projects: [SyntheticProject] = []
        projects.reserveCapacity(spec.projects)
        for i in 0..<spec.projects {
            projects.append(Self.project(number: i + 1, spec: spec, emails: emails, rng: &rng))
        }
        self.projects = projects

        // The changed projects: the first `changedProjects` of a seeded shuffle, each with one kind of change.
        var order = Array(projects.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(rng.next() % UInt64(i + 1)))
        }
        var variant = projects
        var summary = ChangeSummary()
        for index in order.prefix(spec.changedProjects).sorted() {
            Self.change(&variant[index], spec: spec, emails: emails, rng: &rng, summary: &summary)
        }
        for i in 0..<spec.effectiveNewProjects {
            let project = Self.project(number: spec.projects + i + 1, spec: spec, emails: emails, rng: &rng)
            variant.append(project)
            summary.newProjects += 1
            summary.newProjectMembers += project.members.count
        }
        self.variant = variant
        self.changes = summary
    }

    static func email(_ i: Int, width: Int) -> String {
        let digits = String(i)
        return "user" + String(repeating: "0", count: max(0, width - digits.count)) + digits + "@bench.example"
    }

    static let words = [
        "Harbor", "Bridge", "Depot", "School", "Tower", "Clinic", "Station", "Library", "Warehouse", "Campus",
        "Tunnel", "Plaza", "Terminal", "Museum", "Stadium", "Pier",
    ]

    static func externalID(_ number: Int, prefix: String) -> String {
        let digits = String(number)
        return prefix + "p" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    private static func project(
        number: Int, spec: OrganizationSpec, emails: [String], rng: inout SplitMix64
    ) -> SyntheticProject {
        let word = words[Int(rng.next() % UInt64(words.count))]
        var chosen = Set<Int>()
        var members: [SandboxSeed.Member] = []
        members.reserveCapacity(spec.membersPerProject)
        while members.count < spec.membersPerProject {
            let user = Int(rng.next() % UInt64(emails.count))
            guard chosen.insert(user).inserted else { continue }
            let role: ProjectRole = members.isEmpty ? .owner : (rng.next() % 5 < 3 ? .editor : .viewer)
            members.append(SandboxSeed.Member(email: emails[user], role: role))
        }
        return SyntheticProject(
            externalID: externalID(number, prefix: spec.externalIDPrefix), name: "Project \(number) \(word)",
            description: "Synthetic project \(number) for benchmarks", members: members)
    }

    /// One change; kinds that cannot apply to this project (too few members, every user already a member)
    /// fall back to a rename. The owner (the first member) is never touched, so no project loses its owner.
    private static func change(
        _ project: inout SyntheticProject, spec: OrganizationSpec, emails: [String], rng: inout SplitMix64,
        summary: inout ChangeSummary
    ) {
        let kind = rng.next() % 4
        let count = project.members.count
        switch kind {
        case 1 where count >= 2:
            let j = 1 + Int(rng.next() % UInt64(count - 1))
            project.members[j].role = project.members[j].role == .editor ? .viewer : .editor
            summary.roleChanges += 1
        case 2 where count < emails.count:
            let present = Set(project.members.map(\.email))
            var user = Int(rng.next() % UInt64(emails.count))
            while present.contains(emails[user]) { user = (user + 1) % emails.count }
            project.members.append(SandboxSeed.Member(email: emails[user], role: .viewer))
            summary.memberAdds += 1
        case 3 where count >= 2:
            let j = 1 + Int(rng.next() % UInt64(count - 1))
            project.members.remove(at: j)
            summary.memberRemovals += 1
        default:
            project.name += " (renamed)"
            summary.renames += 1
        }
    }
}
