import CogramAPI
import Foundation
import GRDB

/// Pagination of a list request, already validated.
struct PageRequest: Sendable, Hashable {
    var page: Int
    var pageSize: Int

    /// Rows to skip, or nil when the page lies beyond any possible row (huge page numbers).
    var offset: Int? {
        let (product, overflow) = (page - 1).multipliedReportingOverflow(by: pageSize)
        return overflow ? nil : product
    }
}

/// Field changes of `PATCH /v1/projects/{id}`.
struct ProjectChanges: Sendable, Hashable {
    var name: String?
    var description: PatchField<String> = .absent
    var externalID: PatchField<String> = .absent
    var status: ProjectStatus?
}

/// Field changes of `PATCH /v1/users/{user_id}`.
struct UserChanges: Sendable, Hashable {
    var role: OrganizationRole?
    var externalID: PatchField<String> = .absent
}

/// The operations behind the API routes; every one scoped by organization.
extension SandboxStore {
    /// Whether a value from a path or query can name stored data at all.
    ///
    /// GRDB binds a Swift string up to its first U+0000 (SQLite's C string convention), so `prj_1\u{0}junk` would
    /// otherwise find `prj_1`. Stored text never contains U+0000 (bodies with it get 422), so an id or filter
    /// that does matches nothing.
    static func isBindable(_ value: String) -> Bool {
        !value.unicodeScalars.contains("\u{0}")
    }

    private static func paged<T: Sendable & Codable>(
        _ db: Database, _ request: PageRequest, count: String, select: String, arguments: StatementArguments,
        map: (Row) -> T
    ) throws -> Page<T> {
        // Every list request runs these two; the statements are prepared once per connection (a few filter
        // combinations in all), not once per request.
        let total = try Int.fetchOne(db.cachedStatement(sql: count), arguments: arguments) ?? 0
        var items: [T] = []
        if let offset = request.offset, offset < total {
            var pageArguments = arguments
            _ = pageArguments.append(contentsOf: [request.pageSize, offset])
            // Mapped straight from the statement's current row: no copy of each row first.
            let rows = try Row.fetchCursor(db.cachedStatement(sql: select + " LIMIT ? OFFSET ?"), arguments: pageArguments)
            items.reserveCapacity(min(request.pageSize, total - offset))
            while let row = try rows.next() {
                items.append(map(row))
            }
        }
        return Page(items: items, page: request.page, pageSize: request.pageSize, total: total)
    }

    // MARK: - Projects

    func listProjects(
        orgID: String, status: ProjectStatusFilter, externalID: String?, page: PageRequest
    ) async throws -> Page<Project> {
        try readNow { db in
            var filter = "WHERE org_id = ?"
            var arguments: StatementArguments = [orgID]
            if status != .all {
                filter += " AND status = ?"
                _ = arguments.append(contentsOf: [status.rawValue])
            }
            if let externalID {
                // Exact comparison (never LIKE), so `%` and `_` are ordinary characters.
                if Self.isBindable(externalID) {
                    filter += " AND external_id = ?"
                    _ = arguments.append(contentsOf: [externalID])
                } else {
                    filter += " AND 0"
                }
            }
            return try Self.paged(
                db, page, count: "SELECT COUNT(*) FROM projects \(filter)",
                select: "SELECT \(Self.projectColumns) FROM projects \(filter) ORDER BY seq, id", arguments: arguments,
                map: Self.project(from:))
        }
    }

    private static func fetchProject(_ db: Database, orgID: String, id: String) throws -> Row {
        try fetchOne(db, projectColumns, from: "projects", orgID: orgID, id: id, orElse: .projectNotFound(id: id))
    }

    private static func fetchUser(_ db: Database, orgID: String, id: String) throws -> User {
        user(from: try fetchOne(db, userColumns, from: "users", orgID: orgID, id: id, orElse: .userNotFound(id: id)))
    }

    /// The row of one of the organization's records; `missing` when there is none (or the id cannot be bound).
    private static func fetchOne(
        _ db: Database, _ columns: String, from table: String, orgID: String, id: String, orElse missing: StoreError
    ) throws -> Row {
        guard isBindable(id),
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT \(columns) FROM \(table) WHERE org_id = ? AND id = ?"), arguments: [orgID, id])
        else { throw missing }
        return row
    }

    private static func ensureExternalIDFree(
        _ db: Database, orgID: String, externalID: String, except projectID: String?
    ) throws {
        let owner = try String.fetchOne(
            db, sql: "SELECT id FROM projects WHERE org_id = ? AND external_id = ?", arguments: [orgID, externalID])
        if let owner, owner != projectID {
            throw StoreError.externalIDInUse(externalID: externalID, owner: .project, ownerID: owner)
        }
    }

    /// `uniqueExternalID: false` is the `no-unique-external-id` dialect.
    func createProject(
        orgID: String, name: String, description: String?, externalID: String?, uniqueExternalID: Bool = true
    ) async throws -> Project {
        try await pool.write { db in
            if let externalID, uniqueExternalID {
                try Self.ensureExternalIDFree(db, orgID: orgID, externalID: externalID, except: nil)
            }
            let id = Identifier.make("prj_")
            let now = Timestamp.nowMilliseconds()
            try db.execute(
                sql: """
                    INSERT INTO projects (org_id, id, name, description, external_id, status, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, 'active', ?, ?)
                    """,
                arguments: [orgID, id, name, description, externalID, now, now])
            return Self.project(from: try Self.fetchProject(db, orgID: orgID, id: id))
        }
    }

    func project(orgID: String, id: String) async throws -> Project {
        try readNow { db in Self.project(from: try Self.fetchProject(db, orgID: orgID, id: id)) }
    }

    func updateProject(
        orgID: String, id: String, changes: ProjectChanges, uniqueExternalID: Bool = true
    ) async throws -> Project {
        try await pool.write { db in
            let row = try Self.fetchProject(db, orgID: orgID, id: id)
            let current = Self.project(from: row)
            var next = current
            if let name = changes.name { next.name = name }
            switch changes.description {
            case .absent: break
            case .null: next.description = nil
            case .value(let value): next.description = value
            }
            switch changes.externalID {
            case .absent: break
            case .null: next.externalID = nil
            case .value(let value):
                if uniqueExternalID {
                    try Self.ensureExternalIDFree(db, orgID: orgID, externalID: value, except: id)
                }
                next.externalID = value
            }
            if let status = changes.status {
                next.status = .known(status)
                try Self.forgetUnknownValue(db, orgID: orgID, .projectStatus(projectID: id))
            }
            guard next != current else { return current }
            try Self.store(db, orgID: orgID, project: next, previousUpdatedAt: row["updated_at"])
            return Self.project(from: try Self.fetchProject(db, orgID: orgID, id: id))
        }
    }

    func archiveProject(orgID: String, id: String) async throws -> Project {
        try await updateProject(orgID: orgID, id: id, changes: ProjectChanges(status: .archived))
    }

    /// Writes the project's fields with an `updated_at` strictly later than the previous one, so every change
    /// is visible even within one millisecond.
    /// `previousUpdatedAt` is the row's `updated_at` in milliseconds, read in the same transaction.
    private static func store(_ db: Database, orgID: String, project: Project, previousUpdatedAt: Int64) throws {
        let updatedAt = max(Timestamp.nowMilliseconds(), previousUpdatedAt + 1)
        try db.execute(
            sql: """
                UPDATE projects SET name = ?, description = ?, external_id = ?, status = ?, updated_at = ?
                WHERE org_id = ? AND id = ?
                """,
            arguments: [
                project.name, project.description, project.externalID, project.status.rawValue, updatedAt, orgID,
                project.id,
            ])
    }

    // MARK: - Members

    func listMembers(orgID: String, projectID: String, page: PageRequest) async throws -> Page<Member> {
        try readNow { db in
            // Only whether the project exists: no copy of its row.
            guard Self.isBindable(projectID),
                try Bool.fetchOne(
                    db.cachedStatement(sql: "SELECT 1 FROM projects WHERE org_id = ? AND id = ?"), arguments: [orgID, projectID]
                ) != nil
            else { throw StoreError.projectNotFound(id: projectID) }
            return try Self.paged(
                db, page, count: "SELECT COUNT(*) FROM members WHERE org_id = ? AND project_id = ?",
                select: Self.memberSelect + " WHERE m.org_id = ? AND m.project_id = ? ORDER BY m.seq, m.user_id",
                arguments: [orgID, projectID], map: Self.member(from:))
        }
    }

    /// Adds or updates a member; `created` tells which.
    func putMember(
        orgID: String, projectID: String, userID: String, role: ProjectRole
    ) async throws -> (member: Member, created: Bool) {
        try await pool.write { db in
            let project = Self.project(from: try Self.fetchProject(db, orgID: orgID, id: projectID))
            let user = try Self.fetchUser(db, orgID: orgID, id: userID)
            if project.status == .archived {
                throw StoreError.projectArchived(id: projectID)
            }
            if user.status == .deactivated {
                throw StoreError.userDeactivated(id: userID)
            }
            try Self.forgetUnknownValue(db, orgID: orgID, .memberRole(projectID: projectID, userID: userID))
            let existing = try String.fetchOne(
                db, sql: "SELECT role FROM members WHERE org_id = ? AND project_id = ? AND user_id = ?",
                arguments: [orgID, projectID, userID])
            if existing == nil {
                try db.execute(
                    sql: "INSERT INTO members (org_id, project_id, user_id, role, added_at) VALUES (?, ?, ?, ?, ?)",
                    arguments: [orgID, projectID, userID, role.rawValue, Timestamp.nowMilliseconds()])
            } else if existing != role.rawValue {
                try db.execute(
                    sql: "UPDATE members SET role = ? WHERE org_id = ? AND project_id = ? AND user_id = ?",
                    arguments: [role.rawValue, orgID, projectID, userID])
            }
            guard
                let member = try Row.fetchOne(
                    db, sql: Self.memberSelect + " WHERE m.org_id = ? AND m.project_id = ? AND m.user_id = ?",
                    arguments: [orgID, projectID, userID]
                ).map(Self.member(from:))
            else {
                throw StoreError.memberVanished
            }
            return (member, existing == nil)
        }
    }

    func deleteMember(orgID: String, projectID: String, userID: String) async throws {
        try await pool.write { db in
            _ = try Self.fetchProject(db, orgID: orgID, id: projectID)
            guard Self.isBindable(userID) else {
                throw StoreError.notAMember(userID: userID, projectID: projectID)
            }
            try db.execute(
                sql: "DELETE FROM members WHERE org_id = ? AND project_id = ? AND user_id = ?",
                arguments: [orgID, projectID, userID])
            if db.changesCount == 0 {
                throw StoreError.notAMember(userID: userID, projectID: projectID)
            }
        }
    }

    // MARK: - Users

    func listUsers(orgID: String, email: String?, page: PageRequest) async throws -> Page<User> {
        try readNow { db in
            var filter = "WHERE org_id = ?"
            var arguments: StatementArguments = [orgID]
            if let email {
                // Exact comparison (never LIKE), so `%` and `_` are ordinary characters.
                if Self.isBindable(email) {
                    filter += " AND email_key = ?"
                    _ = arguments.append(contentsOf: [email.lowercased()])
                } else {
                    filter += " AND 0"
                }
            }
            return try Self.paged(
                db, page, count: "SELECT COUNT(*) FROM users \(filter)",
                select: "SELECT \(Self.userColumns) FROM users \(filter) ORDER BY seq, id", arguments: arguments, map: Self.user(from:))
        }
    }

    func updateUser(orgID: String, userID: String, changes: UserChanges) async throws -> User {
        try await pool.write { db in
            var user = try Self.fetchUser(db, orgID: orgID, id: userID)
            if let role = changes.role {
                user.role = .known(role)
                try Self.forgetUnknownValue(db, orgID: orgID, .userRole(userID: userID))
            }
            switch changes.externalID {
            case .absent: break
            case .null: user.externalID = nil
            case .value(let value):
                let owner = try String.fetchOne(
                    db, sql: "SELECT id FROM users WHERE org_id = ? AND external_id = ?", arguments: [orgID, value])
                if let owner, owner != userID {
                    throw StoreError.externalIDInUse(externalID: value, owner: .user, ownerID: owner)
                }
                user.externalID = value
            }
            try db.execute(
                sql: "UPDATE users SET role = ?, external_id = ? WHERE org_id = ? AND id = ?",
                arguments: [user.role.rawValue, user.externalID, orgID, userID])
            return user
        }
    }
}
