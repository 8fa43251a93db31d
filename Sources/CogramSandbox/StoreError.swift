import CogramAPI

/// What the store refuses, in the store's own terms. `APIError(_:)` is the one place that turns these (and any
/// other error) into an HTTP status and a contract code.
enum StoreError: Error, Sendable, Hashable {
    enum Owner: String, Sendable, Hashable {
        case project
        case user
    }

    case projectNotFound(id: String)
    case userNotFound(id: String)
    case notAMember(userID: String, projectID: String)
    case externalIDInUse(externalID: String, owner: Owner, ownerID: String)
    case projectArchived(id: String)
    case userDeactivated(id: String)
    case memberVanished
}

extension APIError {
    /// The answer to any error of the pipeline: API errors as they are, the store's errors by their meaning, and
    /// anything else as 500 `internal_error`.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as StoreError:
            self = Self.mapping(error)
        default:
            self = APIError(status: .internalServerError, code: .internalError, message: "internal error: \(error)")
        }
    }

    private static func mapping(_ error: StoreError) -> APIError {
        switch error {
        case .projectNotFound(let id):
            return .notFound("no project with id '\(id)'")
        case .userNotFound(let id):
            return .notFound("no user with id '\(id)'")
        case .notAMember(let userID, let projectID):
            return .notFound("user '\(userID)' is not a member of project \(projectID)")
        case .externalIDInUse(let externalID, let owner, let ownerID):
            return .conflict("external_id '\(externalID)' is already used by \(owner.rawValue) \(ownerID)")
        case .projectArchived(let id):
            return .conflict("project \(id) is archived; restore it before changing its members")
        case .userDeactivated(let id):
            // Assumption (documented): a deactivated user cannot be given access.
            return .validation([.init(field: "user_id", message: "user \(id) is deactivated")])
        case .memberVanished:
            return APIError(status: .internalServerError, code: .internalError, message: "member vanished")
        }
    }
}
