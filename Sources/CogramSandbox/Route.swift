import Foundation
import Hummingbird

/// The routes of the API, matched by hand so that unknown paths get 404 and known paths with another method
/// get 405, both with the contract's JSON body.
enum Route: Sendable, Hashable {
    case openAPI
    case docs
    case listProjects
    case createProject
    case getProject(String)
    case updateProject(String)
    case archiveProject(String)
    case listMembers(String)
    case putMember(project: String, user: String)
    case deleteMember(project: String, user: String)
    case listUsers
    case updateUser(String)

    /// Whether the route reads a JSON body.
    var hasBody: Bool {
        switch self {
        case .createProject, .updateProject, .putMember, .updateUser: true
        default: false
        }
    }

    /// Whether a path is served without authentication.
    static func isPublic(path: String) -> Bool {
        path == "/v1/openapi.yaml" || path == "/v1/docs"
    }

    /// Matches a raw (percent-encoded) path.
    static func match(method: HTTPRequest.Method, path: String) -> Result<Route, APIError> {
        guard path.hasPrefix("/") else { return .failure(.notFound("no such route: \(path)")) }
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            // Foundation's decoding is costly and a segment without `%` decodes to itself.
            $0.utf8.contains(UInt8(ascii: "%")) ? (String($0).removingPercentEncoding ?? String($0)) : String($0)
        }
        func pick(_ options: [HTTPRequest.Method: Route]) -> Result<Route, APIError> {
            if let route = options[method] { return .success(route) }
            let order: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete]
            return .failure(.methodNotAllowed(order.filter { options[$0] != nil }))
        }
        let valid = !segments.contains(where: \.isEmpty)
        switch (valid, segments.count) {
        case (true, 2) where segments == ["v1", "openapi.yaml"]:
            return pick([.get: .openAPI])
        case (true, 2) where segments == ["v1", "docs"]:
            return pick([.get: .docs])
        case (true, 2) where segments == ["v1", "projects"]:
            return pick([.get: .listProjects, .post: .createProject])
        case (true, 3) where segments[0] == "v1" && segments[1] == "projects":
            let id = segments[2]
            return pick([.get: .getProject(id), .patch: .updateProject(id), .delete: .archiveProject(id)])
        case (true, 4) where segments[0] == "v1" && segments[1] == "projects" && segments[3] == "members":
            return pick([.get: .listMembers(segments[2])])
        case (true, 5) where segments[0] == "v1" && segments[1] == "projects" && segments[3] == "members":
            let member = (project: segments[2], user: segments[4])
            return pick([.put: .putMember(project: member.project, user: member.user),
                         .delete: .deleteMember(project: member.project, user: member.user)])
        case (true, 2) where segments == ["v1", "users"]:
            return pick([.get: .listUsers])
        case (true, 3) where segments[0] == "v1" && segments[1] == "users":
            return pick([.patch: .updateUser(segments[2])])
        default:
            return .failure(.notFound("no such route: \(path)"))
        }
    }
}
