import CogramAPI
import Foundation
import Hummingbird

/// The API operations of one organization: parse parameters and bodies, call the store, shape the answer.
struct Operations {
    let store: SandboxStore
    let orgID: String
    /// False under the `no-unique-external-id` dialect.
    var uniqueExternalIDs = true

    /// Query parameters; the first occurrence of a name wins.
    typealias Query = [String: String]

    func perform(_ route: Route, query: Query, body: Data) async throws -> Response {
        switch route {
        case .openAPI, .docs:
            throw APIError.notFound("no such route")
        case .listProjects:
            let status = try Self.statusFilter(query)
            let externalID = query["external_id"]
            let page = try Self.pageRequest(query)
            return jsonResponse(
                status: .ok,
                try await store.listProjects(orgID: orgID, status: status, externalID: externalID, page: page))
        case .createProject:
            var reader = try BodyReader(data: body, allowed: ["name", "description", "external_id"])
            reader.require("name")
            let name = reader.string("name", lengths: ContractLimits.projectName, nullable: false)
            let description = reader.string("description", lengths: nil, nullable: true)
            let externalID = reader.string("external_id", lengths: ContractLimits.externalID, nullable: true)
            try reader.finish()
            guard case .value(let nameValue) = name else { throw APIError.validation([]) }
            let project = try await store.createProject(
                orgID: orgID, name: nameValue, description: description.value,
                externalID: externalID.value, uniqueExternalID: uniqueExternalIDs)
            return jsonResponse(status: .created, project, headers: [.location: "/v1/projects/\(project.id)"])
        case .getProject(let id):
            return jsonResponse(status: .ok, try await store.project(orgID: orgID, id: id))
        case .updateProject(let id):
            var reader = try BodyReader(data: body, allowed: ["name", "description", "external_id", "status"])
            var changes = ProjectChanges()
            if case .value(let name) = reader.string("name", lengths: ContractLimits.projectName, nullable: false) {
                changes.name = name
            }
            changes.description = reader.string("description", lengths: nil, nullable: true)
            changes.externalID = reader.string("external_id", lengths: ContractLimits.externalID, nullable: true)
            changes.status = reader.enumeration("status", ProjectStatus.self)
            try reader.finish()
            return jsonResponse(status: .ok, try await store.updateProject(orgID: orgID, id: id, changes: changes, uniqueExternalID: uniqueExternalIDs))
        case .archiveProject(let id):
            return jsonResponse(status: .ok, try await store.archiveProject(orgID: orgID, id: id))
        case .listMembers(let projectID):
            let page = try Self.pageRequest(query)
            return jsonResponse(
                status: .ok, try await store.listMembers(orgID: orgID, projectID: projectID, page: page))
        case .putMember(let projectID, let userID):
            var reader = try BodyReader(data: body, allowed: ["role"])
            reader.require("role")
            let role = reader.enumeration("role", ProjectRole.self)
            try reader.finish()
            guard let role else { throw APIError.validation([]) }
            let result = try await store.putMember(orgID: orgID, projectID: projectID, userID: userID, role: role)
            return jsonResponse(status: result.created ? .created : .ok, result.member)
        case .deleteMember(let projectID, let userID):
            try await store.deleteMember(orgID: orgID, projectID: projectID, userID: userID)
            return Response(status: .noContent)
        case .listUsers:
            let email = query["email"]
            let page = try Self.pageRequest(query)
            return jsonResponse(status: .ok, try await store.listUsers(orgID: orgID, email: email, page: page))
        case .updateUser(let userID):
            var reader = try BodyReader(data: body, allowed: ["role", "external_id"])
            var changes = UserChanges()
            changes.role = reader.enumeration("role", OrganizationRole.self)
            changes.externalID = reader.string("external_id", lengths: ContractLimits.externalID, nullable: true)
            try reader.finish()
            return jsonResponse(status: .ok, try await store.updateUser(orgID: orgID, userID: userID, changes: changes))
        }
    }

    // MARK: - Query parameters

    static func statusFilter(_ query: Query) throws(APIError) -> ProjectStatusFilter {
        guard let raw = query["status"] else { return .active }
        guard let status = ProjectStatusFilter(rawValue: raw) else {
            throw APIError.badRequest("status must be one of: active, archived, all")
        }
        return status
    }

    /// `page` ≥ 1 (numbers too large for an integer mean "far past the end") and `page_size` 1…100.
    static func pageRequest(_ query: Query) throws(APIError) -> PageRequest {
        var request = PageRequest(page: 1, pageSize: 50)
        if let raw = query["page"] {
            guard !raw.isEmpty, raw.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw APIError.badRequest("page must be a positive integer")
            }
            let page = Int(raw) ?? Int.max
            guard page >= 1 else { throw APIError.badRequest("page must be a positive integer") }
            request.page = page
        }
        if let raw = query["page_size"] {
            guard !raw.isEmpty, raw.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw APIError.badRequest("page_size must be an integer from 1 to 100")
            }
            guard let size = Int(raw), (1...100).contains(size) else {
                throw APIError.badRequest("page_size must be an integer from 1 to 100")
            }
            request.pageSize = size
        }
        return request
    }
}
