import Foundation
import NIOHTTP1

// MARK: - Pages (the primary implementation of the list endpoints)

extension CogramClient {
    /// `GET /v1/projects`, page by page.
    public func projectPages(status: ProjectStatusFilter = .active, externalID: String? = nil) -> PageSequence<Project> {
        var query = [("status", status.rawValue)]
        if let externalID { query.append(("external_id", externalID)) }
        return pages(path: "/v1/projects", query: query)
    }

    /// `GET /v1/projects/{id}/members`, page by page.
    public func memberPages(projectID: String) -> PageSequence<Member> {
        pages(path: "/v1/projects/\(Self.encodeComponent(projectID))/members", query: [])
    }

    /// `GET /v1/users`, page by page.
    public func userPages(email: String? = nil) -> PageSequence<User> {
        pages(path: "/v1/users", query: email.map { [("email", $0)] } ?? [])
    }

    private func pages<Item: ListItem>(path: String, query: [(String, String)]) -> PageSequence<Item> {
        let pageSize = configuration.pageSize
        return PageSequence(pageSize: pageSize, method: "GET", url: url(path + Self.encodeQuery(query))) { [self] page in
            let full = query + [("page", String(page)), ("page_size", String(pageSize))]
            let response = try await send(.GET, path, query: full)
            if let page = ContractPageReader.read(Item.self, from: response.body) { return page }
            return try decode(ListPage<Item>.self, from: response, method: .GET, url: self.url(path + Self.encodeQuery(full)))
        }
    }
}

// MARK: - CogramClientProtocol

extension CogramClient {
    public func listProjects(status: ProjectStatusFilter, externalID: String?) async throws -> [Project] {
        try await projectPages(status: status, externalID: externalID).allItems(concurrency: configuration.maxConcurrentRequests)
    }

    public func listProjects(
        status: ProjectStatusFilter, externalID: String?, onPage: @escaping @Sendable (PageProgress) -> Void
    ) async throws -> [Project] {
        try await projectPages(status: status, externalID: externalID)
            .allItems(concurrency: configuration.maxConcurrentRequests, onPage: onPage)
    }

    public func getProject(id: String) async throws -> Project {
        try await call(.GET, "/v1/projects/\(Self.encodeComponent(id))")
    }

    public func createProject(_ body: ProjectCreate, retrySafe: Bool) async throws -> Project {
        try await createProjectExactlyOnce(body, retrySafe: retrySafe)
    }

    /// Accepts 200 with the project, and 200 without a body or 204, confirmed by reading the project back.
    public func updateProject(id: String, _ patch: ProjectPatch) async throws -> Project {
        let path = "/v1/projects/\(Self.encodeComponent(id))"
        let response = try await send(.PATCH, path, body: try encode(patch))
        guard Self.isEmpty(response) else { return try decode(Project.self, from: response, method: .PATCH, url: url(path)) }
        let project = try await getProject(id: id)
        var differs: [String] = []
        if let name = patch.name, project.name != name { differs.append("name") }
        if case .value(let d) = patch.description, project.description != d { differs.append("description") }
        if case .null = patch.description, project.description != nil { differs.append("description") }
        if let e = patch.externalID, project.externalID != e { differs.append("external_id") }
        if let status = patch.status, project.status != status { differs.append("status") }
        guard differs.isEmpty else {
            throw CogramAPIError.invalidResponse(.init(
                method: "PATCH", url: url(path), status: response.status,
                problem: .unconfirmed("shows \(differs.joined(separator: ", ")) unchanged")))
        }
        return project
    }

    /// Accepts 200 with the project, and 200 without a body or 204, confirmed by reading the project back.
    public func archiveProject(id: String) async throws -> Project {
        let path = "/v1/projects/\(Self.encodeComponent(id))"
        let response = try await send(.DELETE, path)
        guard Self.isEmpty(response) else { return try decode(Project.self, from: response, method: .DELETE, url: url(path)) }
        let project = try await getProject(id: id)
        guard project.status != .active else {
            throw CogramAPIError.invalidResponse(.init(
                method: "DELETE", url: url(path), status: response.status,
                problem: .unconfirmed("shows the project still active")))
        }
        return project
    }

    public func listMembers(projectID: String) async throws -> [Member] {
        try await memberPages(projectID: projectID).allItems(concurrency: configuration.maxConcurrentRequests)
    }

    public func putMember(projectID: String, userID: String, role: ProjectRole) async throws -> (member: Member, created: Bool) {
        let path = "/v1/projects/\(Self.encodeComponent(projectID))/members/\(Self.encodeComponent(userID))"
        let response = try await send(.PUT, path, body: try encode(MemberPut(role: role)))
        let member = try decode(Member.self, from: response, method: .PUT, url: url(path))
        return (member, response.status == 201)
    }

    public func removeMember(projectID: String, userID: String) async throws {
        let path = "/v1/projects/\(Self.encodeComponent(projectID))/members/\(Self.encodeComponent(userID))"
        _ = try await send(.DELETE, path)
    }

    public func listUsers(email: String?) async throws -> [User] {
        try await userPages(email: email).allItems(concurrency: configuration.maxConcurrentRequests)
    }

    public func listUsers(email: String?, onPage: @escaping @Sendable (PageProgress) -> Void) async throws -> [User] {
        try await userPages(email: email).allItems(concurrency: configuration.maxConcurrentRequests, onPage: onPage)
    }

    /// Accepts 200 with the user, and 200 without a body or 204, confirmed by finding the user in the list
    /// (the contract has no endpoint that reads one user).
    public func updateUser(id: String, _ patch: UserPatch) async throws -> User {
        let path = "/v1/users/\(Self.encodeComponent(id))"
        let response = try await send(.PATCH, path, body: try encode(patch))
        guard Self.isEmpty(response) else { return try decode(User.self, from: response, method: .PATCH, url: url(path)) }
        let user = try await listUsers(email: nil).first { $0.id == id }
        var differs: [String] = []
        if let role = patch.role, user?.role != role { differs.append("role") }
        if case .value(let e) = patch.externalID, user?.externalID != e { differs.append("external_id") }
        if case .null = patch.externalID, user?.externalID != nil { differs.append("external_id") }
        guard let user, differs.isEmpty else {
            throw CogramAPIError.invalidResponse(.init(
                method: "PATCH", url: url(path), status: response.status,
                problem: .unconfirmed(user == nil ? "found no such user" : "shows \(differs.joined(separator: ", ")) unchanged")))
        }
        return user
    }

    // MARK: - Helpers

    private func call<Result: Decodable>(_ method: HTTPMethod, _ path: String) async throws -> Result {
        let response = try await send(method, path)
        return try decode(Result.self, from: response, method: method, url: url(path))
    }

    /// A 204, or a 2xx whose body is empty or only whitespace.
    static func isEmpty(_ response: Response) -> Bool {
        response.status == 204 || response.body.readableBytesView.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
    }

    func encode(_ body: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(body)
    }
}
