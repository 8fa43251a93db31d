import CogramAPI
import Foundation
import GRDB

/// The sandbox's SQLite storage (WAL, GRDB). Several organizations share one database; every query is scoped by
/// organization.
///
/// The public methods are synchronous and meant for the CLI and tests; the server uses the async internals in
/// `SandboxStore+API.swift`.
public final class SandboxStore: Sendable {
    let pool: DatabasePool
    /// The connection of the server's per-request reads (see `readNow`).
    private let requestReader: DatabaseQueue
    /// The path the store was opened at.
    public let path: String

    /// Opens (creating if needed) and migrates the database at `path`.
    public init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            // Key digests, emails and names: readable by the owner only. SQLite gives the -wal and -shm files
            // the database file's permissions.
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        var configuration = Configuration()
        // The CLI may manage keys while a server holds the same file open.
        configuration.busyMode = .timeout(10)
        configuration.foreignKeysEnabled = true
        let pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
        self.pool = pool
        self.path = path
        // Opened after the pool, which puts the database in WAL mode; closed before it, so that the pool's
        // writer is the last connection and cleans up the WAL as before.
        self.requestReader = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Closes the database; the store must not be used afterwards.
    public func close() throws {
        try requestReader.close()
        try pool.close()
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE organizations (
                    id TEXT PRIMARY KEY NOT NULL,
                    name TEXT NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE users (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    org_id TEXT NOT NULL REFERENCES organizations(id),
                    id TEXT NOT NULL,
                    email TEXT NOT NULL,
                    email_key TEXT NOT NULL,
                    name TEXT NOT NULL,
                    role TEXT NOT NULL,
                    external_id TEXT,
                    status TEXT NOT NULL,
                    UNIQUE (org_id, id),
                    UNIQUE (org_id, email_key)
                );
                CREATE UNIQUE INDEX users_external_id ON users(org_id, external_id) WHERE external_id IS NOT NULL;
                CREATE TABLE projects (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    org_id TEXT NOT NULL REFERENCES organizations(id),
                    id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    description TEXT,
                    external_id TEXT,
                    status TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    UNIQUE (org_id, id)
                );
                CREATE UNIQUE INDEX projects_external_id ON projects(org_id, external_id)
                    WHERE external_id IS NOT NULL;
                CREATE INDEX projects_status ON projects(org_id, status, seq);
                CREATE TABLE members (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    org_id TEXT NOT NULL REFERENCES organizations(id),
                    project_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    role TEXT NOT NULL,
                    added_at INTEGER NOT NULL,
                    UNIQUE (org_id, project_id, user_id)
                );
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY NOT NULL,
                    org_id TEXT NOT NULL REFERENCES organizations(id),
                    name TEXT NOT NULL,
                    key_hash TEXT NOT NULL UNIQUE,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER,
                    revoked_at INTEGER
                );
                CREATE TABLE audit_log (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    org_id TEXT NOT NULL REFERENCES organizations(id),
                    at INTEGER NOT NULL,
                    method TEXT NOT NULL,
                    path TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    actor TEXT,
                    key_name TEXT
                );
                CREATE INDEX audit_log_org ON audit_log(org_id, seq);
                CREATE TABLE seed_ledger (
                    org_id TEXT NOT NULL REFERENCES organizations(id),
                    kind TEXT NOT NULL,
                    key TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    PRIMARY KEY (org_id, kind, key)
                );
                """)
        }
        migrator.registerMigration("v2-dialects") { db in
            // Projects may share an external_id under the `no-unique-external-id` dialect, so uniqueness is
            // checked in the (serialized) write transactions instead of by the index.
            try db.execute(sql: """
                DROP INDEX projects_external_id;
                CREATE INDEX projects_external_id ON projects(org_id, external_id) WHERE external_id IS NOT NULL;
                CREATE TABLE unknown_values (
                    org_id TEXT NOT NULL REFERENCES organizations(id),
                    kind TEXT NOT NULL,
                    record TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY (org_id, kind, record)
                );
                """)
        }
        migrator.registerMigration("v3-embedded-key") { db in
            // The key of embedded runs, kept so that every run of one database reuses one key instead of adding
            // another. In clear, unlike other keys: it only opens this database, which its reader already has.
            try db.execute(sql: """
                CREATE TABLE embedded_keys (
                    org_id TEXT PRIMARY KEY NOT NULL REFERENCES organizations(id),
                    key TEXT NOT NULL
                );
                """)
        }
        return migrator
    }

    // MARK: - Organizations

    /// An organization stored in the sandbox.
    public struct Organization: Sendable, Hashable {
        public var id: String
        public var name: String
    }

    /// Every organization, oldest first.
    public func organizations() throws -> [Organization] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM organizations ORDER BY created_at, id").map {
                Organization(id: $0["id"], name: $0["name"])
            }
        }
    }

    /// Resolves an organization by id or by name.
    public func organization(_ idOrName: String) throws -> Organization? {
        try pool.read { db in try Self.organization(db, idOrName) }
    }

    static func organization(_ db: Database, _ idOrName: String) throws -> Organization? {
        try Row.fetchOne(
            db, sql: "SELECT id, name FROM organizations WHERE id = ? OR name = ? ORDER BY id = ? DESC LIMIT 1",
            arguments: [idOrName, idOrName, idOrName]
        ).map { Organization(id: $0["id"], name: $0["name"]) }
    }

    static func requireOrganization(_ db: Database, _ idOrName: String) throws -> Organization {
        guard let organization = try organization(db, idOrName) else {
            throw SandboxError.organizationNotFound(idOrName)
        }
        return organization
    }

    // MARK: - Reading for tests and tools

    /// Every project of the organization (any status) in creation order.
    public func allProjects(organization: String) throws -> [Project] {
        try pool.read { db in
            let org = try Self.requireOrganization(db, organization)
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.projectColumns) FROM projects WHERE org_id = ? ORDER BY seq", arguments: [org.id]
            ).map(Self.project(from:))
        }
    }

    /// Every user of the organization in creation order.
    public func allUsers(organization: String) throws -> [User] {
        try pool.read { db in
            let org = try Self.requireOrganization(db, organization)
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.userColumns) FROM users WHERE org_id = ? ORDER BY seq", arguments: [org.id]
            ).map(Self.user(from:))
        }
    }

    /// The members of one project, in the order they were added.
    public func members(organization: String, projectID: String) throws -> [Member] {
        try pool.read { db in
            let org = try Self.requireOrganization(db, organization)
            return try Row.fetchAll(
                db, sql: Self.memberSelect + " WHERE m.org_id = ? AND m.project_id = ? ORDER BY m.seq, m.user_id",
                arguments: [org.id, projectID]
            ).map(Self.member(from:))
        }
    }

    // MARK: - Row mapping

    // The mappings read columns by position (in the order of the column lists below), which costs less than
    // looking each name up in every row of every list.

    static func project(from row: Row) -> Project {
        Project(
            id: row[0], name: row[1], description: row[2], externalID: row[3],
            status: ProjectStatus(rawValue: row[4]) ?? .active,
            createdAt: Timestamp.format(row[5]), updatedAt: Timestamp.format(row[6]))
    }

    static func user(from row: Row) -> User {
        User(
            id: row[0], email: row[1], name: row[2],
            role: OrganizationRole(rawValue: row[3]) ?? .member, externalID: row[4],
            status: UserStatus(rawValue: row[5]) ?? .active)
    }

    static let projectColumns = "id, name, description, external_id, status, created_at, updated_at"

    static let userColumns = "id, email, name, role, external_id, status"

    static let memberSelect = """
        SELECT m.user_id, u.email, u.name, m.role, m.added_at FROM members m
        JOIN users u ON u.org_id = m.org_id AND u.id = m.user_id
        """

    static func member(from row: Row) -> Member {
        Member(
            userID: row[0], email: row[1], name: row[2],
            role: ProjectRole(rawValue: row[3]) ?? .viewer, addedAt: Timestamp.format(row[4]))
    }

    /// A read on the calling thread, in one read transaction (the count and the page of a list agree), for the
    /// server's per-request reads.
    ///
    /// GRDB's async `read` hops to a dispatch queue to wait for a reader and again to run on it, and back: four
    /// thread switches around a query that takes microseconds, about a fifth of the server's CPU per request.
    /// Here the query runs where the request already is, on a connection of its own: the pool's bookkeeping of
    /// its readers (a key path built at run time on every call) cost more than the query. Requests that read at
    /// once take turns on it, each for a few indexed lookups; in WAL mode a read never waits on the writer. The
    /// transaction's statements are prepared once, where GRDB's `read` parses and prepares them every time.
    func readNow<T>(_ body: (Database) throws -> T) throws -> T {
        try requestReader.inDatabase { db in
            try db.cachedStatement(sql: "BEGIN DEFERRED TRANSACTION").execute()
            let value: T
            do {
                value = try body(db)
            } catch {
                try? db.cachedStatement(sql: "ROLLBACK TRANSACTION").execute()
                throw error
            }
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
            return value
        }
    }
}
