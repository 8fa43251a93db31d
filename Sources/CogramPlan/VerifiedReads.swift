import CogramAPI
import CogramManifest

// A server may ignore or loosen a filter (`external_id=`, `email=`): every filtered read is checked here, on our
// side, and the rest of CogramPlan only sees what passed the check.

/// A project read from Cogram that carries `externalID` exactly. The only way to make one is `init?`, which checks
/// it: apply adopts, restores or patches a project found by external_id only through this type.
struct ProjectCarrying: Sendable {
    let project: Project
    let externalID: String

    init?(_ project: Project, externalID: String) {
        guard project.externalID == externalID else { return nil }
        self.project = project
        self.externalID = externalID
    }

    var id: String { project.id }
}

/// What a read by external_id found.
enum ExternalIDLookup: Sendable {
    case none
    case one(ProjectCarrying)
    /// Several projects carry it: never guess which one is meant.
    case several([Project])

    init(_ projects: [Project], externalID: String) {
        let carrying = projects.compactMap { ProjectCarrying($0, externalID: externalID) }
        // A server that answers one project twice (pages that overlap) has still found one project.
        var seen: Set<String> = []
        let unique = carrying.filter { seen.insert($0.id).inserted }
        switch unique.count {
        case 0: self = .none
        case 1: self = .one(unique[0])
        default: self = .several(unique.map(\.project))
        }
    }
}

/// The projects (any status) that carry `externalID`, checked on our side whatever the server did with the filter.
func readProjects(carrying externalID: String, client: some CogramClientProtocol) async throws -> ExternalIDLookup {
    ExternalIDLookup(try await client.listProjects(status: .all, externalID: externalID), externalID: externalID)
}

/// The users whose email is `email` once normalised, checked on our side whatever the server did with the filter.
func readUsers(withEmail email: String, client: some CogramClientProtocol) async throws -> [User] {
    let wanted = normalizeEmail(email)
    var seen: Set<String> = []
    return try await client.listUsers(email: email).filter { normalizeEmail($0.email) == wanted && seen.insert($0.id).inserted }
}

/// `"a" (prj_1), …`: every id of an ambiguous read, for messages.
func idList<S: Sequence>(_ ids: S) -> String where S.Element == String {
    ids.sorted().joined(separator: ", ")
}
