/// Everything cogramctl asks of Cogram, one method per endpoint of the contract
/// (`schemas/cogram-api.v1.openapi.yaml`). The planner and applier depend on this protocol only,
/// so that tests of them can run against any implementation; the product uses `CogramClient`.
public protocol CogramClientProtocol: Sendable {
    /// `GET /v1/projects`, every page (`page_size=100`).
    func listProjects(status: ProjectStatusFilter, externalID: String?) async throws -> [Project]
    /// `GET /v1/projects/{id}`.
    func getProject(id: String) async throws -> Project
    /// `POST /v1/projects`. `retrySafe` allows retries after 5xx or lost answers; pass it only when the
    /// body carries an external_id, so that a duplicate comes back as 409 rather than as a second project.
    func createProject(_ body: ProjectCreate, retrySafe: Bool) async throws -> Project
    /// `PATCH /v1/projects/{id}`.
    func updateProject(id: String, _ patch: ProjectPatch) async throws -> Project
    /// `DELETE /v1/projects/{id}` (archives).
    func archiveProject(id: String) async throws -> Project
    /// `GET /v1/projects/{id}/members`, every page.
    func listMembers(projectID: String) async throws -> [Member]
    /// `PUT /v1/projects/{id}/members/{user_id}`. `created` is true on 201.
    func putMember(projectID: String, userID: String, role: ProjectRole) async throws -> (member: Member, created: Bool)
    /// `DELETE /v1/projects/{id}/members/{user_id}`.
    func removeMember(projectID: String, userID: String) async throws
    /// `GET /v1/users`, every page; `email` is an exact, case-insensitive filter.
    func listUsers(email: String?) async throws -> [User]
    /// `listProjects`, telling `onPage` after each page read (for progress output).
    func listProjects(
        status: ProjectStatusFilter, externalID: String?, onPage: @escaping @Sendable (PageProgress) -> Void
    ) async throws -> [Project]
    /// `listUsers`, telling `onPage` after each page read (for progress output).
    func listUsers(email: String?, onPage: @escaping @Sendable (PageProgress) -> Void) async throws -> [User]
    /// `PATCH /v1/users/{user_id}`.
    func updateUser(id: String, _ patch: UserPatch) async throws -> User
    /// How many HTTP requests this client has sent so far (retries included), by method.
    var requestCount: RequestCount { get async }
}

/// Requests sent by a client, for `--verbose` and benchmarks.
public struct RequestCount: Sendable, Hashable {
    public var reads: Int
    public var writes: Int
    public var retries: Int
    public var rateLimited: Int

    public init(reads: Int = 0, writes: Int = 0, retries: Int = 0, rateLimited: Int = 0) {
        self.reads = reads
        self.writes = writes
        self.retries = retries
        self.rateLimited = rateLimited
    }

    public var total: Int { reads + writes }
}

extension CogramClientProtocol {
    /// A client that reads lists in one go reports no pages.
    public func listProjects(
        status: ProjectStatusFilter, externalID: String?, onPage: @escaping @Sendable (PageProgress) -> Void
    ) async throws -> [Project] {
        try await listProjects(status: status, externalID: externalID)
    }

    /// A client that reads lists in one go reports no pages.
    public func listUsers(email: String?, onPage: @escaping @Sendable (PageProgress) -> Void) async throws -> [User] {
        try await listUsers(email: email)
    }
}
