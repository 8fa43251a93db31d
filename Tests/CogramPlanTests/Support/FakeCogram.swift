import CogramTestSupport
import CogramAPI
import Foundation

/// An in-memory Cogram that follows the contract's semantics (409 on a taken external_id, 404s, archive
/// no-op, 409 on members of archived projects), with one-shot fault hooks and a log of write requests.
actor FakeStore {
    var projects: [Project]
    var members: [String: [Member]]
    var users: [User]
    /// Write requests in the order they arrived, e.g. `POST acme-new`, `PUT prj_1 usr_dan`.
    private(set) var writeLog: [String] = []
    private(set) var count = RequestCount()
    /// Read requests in the order they arrived, e.g. `LIST-PROJECTS external_id=acme-a`, `GET prj_1`.
    private(set) var readLog: [String] = []
    /// A server that answers filtered lists as if no filter had been given.
    private(set) var ignoresFilters = false

    struct Fault {
        var operation: String
        var status: Int
        /// Make the change, then answer with the error (a lost or failed answer after the fact).
        var afterChange: Bool
        /// Answer every such request with the error, not just the next one.
        var persistent = false
        /// The error to throw instead of an API answer with `status` (a timeout, say).
        var error: CogramAPIError?

        var thrown: CogramAPIError { error ?? FakeStore.error(status, "injected fault") }
    }

    private var faults: [Fault] = []
    private var clock = 0
    private var nextID = 100

    init(projects: [Project] = [], members: [String: [Member]] = [:], users: [User] = []) {
        self.projects = projects
        self.members = members
        self.users = users
    }

    /// Answers the next request named `operation` (see `writeLog` names, plus `LIST-MEMBERS id`) with `status`.
    func inject(_ operation: String, status: Int, afterChange: Bool = false, persistent: Bool = false) {
        faults.append(Fault(operation: operation, status: status, afterChange: afterChange, persistent: persistent))
    }

    /// Answers the next request named `operation` by throwing `error` (before or after making the change).
    func inject(_ operation: String, error: CogramAPIError, afterChange: Bool = false) {
        faults.append(Fault(operation: operation, status: error.status ?? 0, afterChange: afterChange, error: error))
    }

    func project(externalID: String) -> Project? { projects.first { $0.externalID == externalID } }
    func setProjects(_ p: [Project]) { projects = p }
    func setMembers(_ id: String, _ m: [Member]) { members[id] = m }
    func setUsers(_ u: [User]) { users = u }
    func setIgnoresFilters(_ on: Bool) { ignoresFilters = on }
    /// Edits a project in place without a request (a change made in the Cogram app, or a server quirk).
    func editProject(_ id: String, _ edit: (inout Project) -> Void) {
        if let i = projects.firstIndex(where: { $0.id == id }) { edit(&projects[i]) }
    }

    // MARK: Plumbing

    static func error(_ status: Int, _ message: String) -> CogramAPIError {
        let code = [404: "not_found", 409: "conflict", 422: "validation_error", 500: "internal_error"][status] ?? "error"
        return .api(.init(method: "TEST", path: "/fake", status: status, code: code, message: message))
    }

    /// Runs a write: logs it, honours a fault before or after the change.
    private func write<T>(_ operation: String, _ body: () throws(CogramAPIError) -> T) throws(CogramAPIError) -> T {
        writeLog.append(operation)
        count.writes += 1
        let fault = takeFault(operation)
        if let fault, !fault.afterChange { throw fault.thrown }
        let result = try body()
        if let fault { throw fault.error ?? Self.error(fault.status, "injected fault after the change") }
        return result
    }

    private func read(_ operation: String, _ detail: String = "") throws(CogramAPIError) {
        count.reads += 1
        readLog.append(detail.isEmpty ? operation : "\(operation) \(detail)")
        if let fault = takeFault(operation) { throw fault.thrown }
    }

    private func takeFault(_ operation: String) -> Fault? {
        guard let i = faults.firstIndex(where: { $0.operation == operation }) else { return nil }
        return faults[i].persistent ? faults[i] : faults.remove(at: i)
    }

    private func tick() -> String {
        clock += 1
        return String(format: "2026-03-01T00:%02d:%02dZ", clock / 60, clock % 60)
    }

    private func index(_ id: String) throws(CogramAPIError) -> Int {
        guard let i = projects.firstIndex(where: { $0.id == id }) else { throw Self.error(404, "project \(id) not found") }
        return i
    }

    // MARK: Endpoints

    func listProjects(status: ProjectStatusFilter, externalID: String?) throws(CogramAPIError) -> [Project] {
        try read("LIST-PROJECTS", externalID.map { "external_id=\($0)" } ?? "")
        return projects.filter { p in
            (status == .all || p.status.rawValue == status.rawValue)
                && (ignoresFilters || externalID == nil || p.externalID == externalID)
        }
    }

    func getProject(id: String) throws(CogramAPIError) -> Project {
        try read("GET \(id)")
        return projects[try index(id)]
    }

    func createProject(_ body: ProjectCreate) throws(CogramAPIError) -> Project {
        try write("POST \(body.externalID ?? body.name)") { () throws(CogramAPIError) -> Project in
            if let e = body.externalID, projects.contains(where: { $0.externalID == e }) {
                throw Self.error(409, "external_id \(e) is taken")
            }
            nextID += 1
            let now = tick()
            let p = Project(
                id: "prj_n\(nextID)", name: body.name, description: body.description, externalID: body.externalID,
                status: .active, createdAt: now, updatedAt: now)
            projects.append(p)
            return p
        }
    }

    func updateProject(id: String, _ patch: ProjectPatch) throws(CogramAPIError) -> Project {
        try write("PATCH \(id)") { () throws(CogramAPIError) -> Project in
            let i = try index(id)
            var p = projects[i]
            if let e = patch.externalID, projects.contains(where: { $0.externalID == e && $0.id != id }) {
                throw Self.error(409, "external_id \(e) is taken")
            }
            let old = p
            if let n = patch.name { p.name = n }
            switch patch.description {
            case .absent: break
            case .null: p.description = nil
            case .value(let v): p.description = v
            }
            if let e = patch.externalID { p.externalID = e }
            if let s = patch.status { p.status = .known(s) }
            if p != old { p.updatedAt = tick() }
            projects[i] = p
            return p
        }
    }

    func archiveProject(id: String) throws(CogramAPIError) -> Project {
        try write("DELETE \(id)") { () throws(CogramAPIError) -> Project in
            let i = try index(id)
            if projects[i].status == .active {
                projects[i].status = .known(.archived)
                projects[i].updatedAt = tick()
            }
            return projects[i]
        }
    }

    func listMembers(projectID: String) throws(CogramAPIError) -> [Member] {
        try read("LIST-MEMBERS \(projectID)")
        _ = try index(projectID)
        return members[projectID] ?? []
    }

    func putMember(projectID: String, userID: String, role: ProjectRole) throws(CogramAPIError) -> (member: Member, created: Bool) {
        try write("PUT \(projectID) \(userID)") { () throws(CogramAPIError) -> (member: Member, created: Bool) in
            let i = try index(projectID)
            guard let user = users.first(where: { $0.id == userID }) else { throw Self.error(404, "user \(userID) not found") }
            guard projects[i].status == .active else { throw Self.error(409, "project \(projectID) is archived") }
            var list = members[projectID] ?? []
            if let j = list.firstIndex(where: { $0.userID == userID }) {
                list[j].role = .known(role)
                members[projectID] = list
                return (list[j], false)
            }
            let m = Member(userID: userID, email: user.email, name: user.name, role: role, addedAt: tick())
            list.append(m)
            members[projectID] = list
            return (m, true)
        }
    }

    func removeMember(projectID: String, userID: String) throws(CogramAPIError) {
        try write("DELETE \(projectID) \(userID)") { () throws(CogramAPIError) in
            _ = try index(projectID)
            guard let j = members[projectID]?.firstIndex(where: { $0.userID == userID }) else {
                throw Self.error(404, "user \(userID) is not a member of \(projectID)")
            }
            members[projectID]?.remove(at: j)
        }
    }

    func listUsers(email: String?) throws(CogramAPIError) -> [User] {
        try read("LIST-USERS", email.map { "email=\($0)" } ?? "")
        guard let email, !ignoresFilters else { return users }
        return users.filter { $0.email.lowercased() == email.lowercased() }
    }

    func updateUser(id: String, _ patch: UserPatch) throws(CogramAPIError) -> User {
        try write("PATCH \(id)") { () throws(CogramAPIError) -> User in
            guard let i = users.firstIndex(where: { $0.id == id }) else { throw Self.error(404, "user \(id) not found") }
            if case .value(let e) = patch.externalID, users.contains(where: { $0.externalID == e && $0.id != id }) {
                throw Self.error(409, "external_id \(e) is taken")
            }
            if let r = patch.role { users[i].role = .known(r) }
            switch patch.externalID {
            case .absent: break
            case .null: users[i].externalID = nil
            case .value(let v): users[i].externalID = v
            }
            return users[i]
        }
    }
}

/// The `CogramClientProtocol` face of a `FakeStore`.
struct FakeCogram: CogramClientProtocol {
    let store: FakeStore

    func listProjects(status: ProjectStatusFilter, externalID: String?) async throws -> [Project] {
        try await store.listProjects(status: status, externalID: externalID)
    }
    func getProject(id: String) async throws -> Project { try await store.getProject(id: id) }
    func createProject(_ body: ProjectCreate, retrySafe: Bool) async throws -> Project { try await store.createProject(body) }
    func updateProject(id: String, _ patch: ProjectPatch) async throws -> Project { try await store.updateProject(id: id, patch) }
    func archiveProject(id: String) async throws -> Project { try await store.archiveProject(id: id) }
    func listMembers(projectID: String) async throws -> [Member] { try await store.listMembers(projectID: projectID) }
    func putMember(projectID: String, userID: String, role: ProjectRole) async throws -> (member: Member, created: Bool) {
        try await store.putMember(projectID: projectID, userID: userID, role: role)
    }
    func removeMember(projectID: String, userID: String) async throws {
        try await store.removeMember(projectID: projectID, userID: userID)
    }
    func listUsers(email: String?) async throws -> [User] { try await store.listUsers(email: email) }
    func updateUser(id: String, _ patch: UserPatch) async throws -> User { try await store.updateUser(id: id, patch) }
    var requestCount: RequestCount { get async { await store.count } }
}
