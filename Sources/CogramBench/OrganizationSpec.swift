/// The shape of a synthetic organization: how many projects, members and users, and how much the variant
/// manifests change. Everything generated from it is a pure function of these values (the seed included).
public struct OrganizationSpec: Sendable, Hashable {
    /// Projects in Cogram (each with an external id) and in the base manifests.
    public var projects: Int
    /// Members of every project; the first is its owner.
    public var membersPerProject: Int
    /// Users of the organization; members are drawn from them.
    public var users: Int
    /// Share of the existing projects that the variant changes, one change each (rename, member role change,
    /// member add or member removal).
    public var changeFraction: Double
    /// New projects in the variant; `nil` means one per hundred changed projects (at least one when anything
    /// changes).
    public var newProjects: Int?
    /// The seed of every random choice.
    public var seed: UInt64
    /// Projects per manifest file.
    public var projectsPerFile: Int
    /// The organization's name in the sandbox.
    public var organizationName: String
    /// Every external id starts with it; the manifests set it as `ownership.external_id_prefix`.
    public var externalIDPrefix: String

    public init(
        projects: Int, membersPerProject: Int, users: Int, changeFraction: Double = 0, newProjects: Int? = nil,
        seed: UInt64 = 1, projectsPerFile: Int = 500, organizationName: String = "Bench Organization",
        externalIDPrefix: String = "bench-"
    ) {
        self.projects = projects
        self.membersPerProject = membersPerProject
        self.users = users
        self.changeFraction = changeFraction
        self.newProjects = newProjects
        self.seed = seed
        self.projectsPerFile = projectsPerFile
        self.organizationName = organizationName
        self.externalIDPrefix = externalIDPrefix
    }

    /// Existing projects the variant changes: `changeFraction · projects`, rounded.
    public var changedProjects: Int {
        Int((changeFraction * Double(projects)).rounded())
    }

    /// New projects the variant adds.
    public var effectiveNewProjects: Int {
        newProjects ?? (changedProjects == 0 ? 0 : max(1, changedProjects / 100))
    }

    /// Every problem with the values, or none.
    public func validate() throws(GeneratorError) {
        var problems: [String] = []
        if projects < 0 { problems.append("--projects must not be negative") }
        if users < 1 { problems.append("--users must be at least 1") }
        if membersPerProject < 0 { problems.append("--members must not be negative") }
        if membersPerProject > users { problems.append("--members (\(membersPerProject)) must not exceed --users (\(users))") }
        if !(0...1).contains(changeFraction) { problems.append("--change-fraction must be between 0 and 1") }
        if let newProjects, newProjects < 0 { problems.append("--new-projects must not be negative") }
        if projectsPerFile < 1 { problems.append("--projects-per-file must be at least 1") }
        if externalIDPrefix.isEmpty || externalIDPrefix.contains(where: \.isWhitespace) {
            problems.append("the external id prefix must be non-empty and contain no white space")
        }
        if !problems.isEmpty { throw GeneratorError(problems: problems) }
    }
}

/// Invalid generator parameters; every problem is listed.
public struct GeneratorError: Error, CustomStringConvertible, Sendable {
    public var problems: [String]

    public var description: String { problems.joined(separator: "; ") }
}
