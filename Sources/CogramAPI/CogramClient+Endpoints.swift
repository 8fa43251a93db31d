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

    private func pages<Item: Codable & Sendable>(path: String, query: [(String, String)]) -> PageSequence<Item> {
        let pageSize = configuration.pageSize
        return PageSequence(pageSize: pageSize) { [self] page in
            let full = query + [("page", String(page)), ("page_size", String(pageSize))]
            let response = try await send(.GET, path, query: full)
            return try decode(Page<Item>.self, from: response, method: .GET, path: path + Self.encodeQuery(full))
        }
    }
}

// MARK: - CogramClientProtocol

extension CogramClient {
    public func listProjects(status: ProjectStatusFilter, externalID: String?) async throws -> [Project] {
        try await projectPages(status: status, externalID: externalID).allItems(concurrency: configuration.maxConcurrentRequests)
    }

    public func getProject(id: String) async throws -> Project {
        try await call(.GET, "/v1/projects/\(Self.encodeComponent(id))")
    }

    public func createProject(_ body: ProjectCreate, retrySafe: Bool) async throws -> Project {
        try await call(.POST, "/v1/projects", body: body, retrySafe: retrySafe)
    }

    public func updateProject(id: String, _ patch: ProjectPatch) async throws -> Project {
        try await call(.PATCH, "/v1/projects/\(Self.encodeComponent(id))", body: patch)
    }

    public func archiveProject(id: String) async throws -> Project {
        try await call(.DELETE, "/v1/projects/\(Self.encodeComponent(id))")
    }

    public func listMembers(projectID: String) async throws -> [Member] {
        try await memberPages(projectID: projectID).allItems(concurrency: configuration.maxConcurrentRequests)
    }

    public func putMember(projectID: String, userID: String, role: ProjectRole) async throws -> (member: Member, created: Bool) {
        let path = "/v1/projects/\(Self.encodeComponent(projectID))/members/\(Self.encodeComponent(userID))"
        let response = try await send(.PUT, path, body: try encode(MemberPut(role: role)))
        let member = try decode(Member.self, from: response, method: .PUT, path: path)
        return (member, response.status == 201)
    }

    public func removeMember(projectID: String, userID: String) async throws {
        let path = "/v1/projects/\(Self.encodeComponent(projectID))/members/\(Self.encodeComponent(userID))"
        _ = try await send(.DELETE, path)
    }

    public func listUsers(email: String?) async throws -> [User] {
        try await userPages(email: email).allItems(concurrency: configuration.maxConcurrentRequests)
    }

    public func updateUser(id: String, _ patch: UserPatch) async throws -> User {
        try await call(.PATCH, "/v1/users/\(Self.encodeComponent(id))", body: patch)
    }

    // MARK: - Helpers

    private func call<Result: Decodable>(_ method: HTTPMethod, _ path: String, retrySafe: Bool = false) async throws -> Result {
        let response = try await send(method, path, retrySafe: retrySafe)
        return try decode(Result.self, from: response, method: method, path: path)
    }

    private func call<Result: Decodable, Body: Encodable>(
        _ method: HTTPMethod, _ path: String, body: Body, retrySafe: Bool = false
    ) async throws -> Result {
        let response = try await send(method, path, body: try encode(body), retrySafe: retrySafe)
        return try decode(Result.self, from: response, method: method, path: path)
    }

    private func encode(_ body: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(body)
    }
}
