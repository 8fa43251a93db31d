import CogramAPI
import Crypto
import Foundation
import GRDB

extension SandboxStore {
    /// Applies a seed and returns the organization's id.
    ///
    /// Idempotent, because the CLI seeds on every `--sandbox` run while the API keeps changing the data:
    /// - the organization is found by name, or created;
    /// - a user is found by email (case-insensitively), or created; an existing user is overwritten from the
    ///   seed only when that user's seed entry differs from the one applied last time, so changes made through
    ///   the API survive re-seeding with the same file;
    /// - a project entry (identified by its `id`, else `external_id`, else `name`) is created the first time it
    ///   is seen, with its members, and never touched again.
    @discardableResult
    public func seed(_ seed: SandboxSeed) throws -> String {
        try validate(seed)
        return try pool.write { db in
            let now = Timestamp.nowMilliseconds()
            let orgID: String
            if let existing = try String.fetchOne(
                db, sql: "SELECT id FROM organizations WHERE name = ?", arguments: [seed.organization])
            {
                orgID = existing
            } else {
                orgID = Identifier.make("org_")
                try db.execute(
                    sql: "INSERT INTO organizations (id, name, created_at) VALUES (?, ?, ?)",
                    arguments: [orgID, seed.organization, now])
            }
            for user in seed.users {
                try Self.seedUser(db, orgID: orgID, user: user)
            }
            let projects = seed.projects ?? []
            if !projects.isEmpty {
                // Every member is a seeded user (`validate`), and users are all in by now: look their ids up once.
                let userIDs = try Dictionary(
                    uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT email_key, id FROM users WHERE org_id = ?", arguments: [orgID])
                        .map { (row: Row) -> (String, String) in (row["email_key"], row["id"]) })
                for project in projects {
                    try Self.seedProject(db, orgID: orgID, project: project, userIDs: userIDs, now: now)
                }
            }
            return orgID
        }
    }

    private func validate(_ seed: SandboxSeed) throws {
        func fail(_ message: String) -> SandboxError { .invalidArgument("invalid seed: \(message)") }
        if seed.organization.isEmpty { throw fail("organization must not be empty") }
        var emails = Set<String>()
        for user in seed.users {
            if !user.email.contains("@") { throw fail("user email '\(user.email)' is not an email address") }
            if !emails.insert(user.email.lowercased()).inserted {
                throw fail("user email '\(user.email)' appears twice")
            }
        }
        for project in seed.projects ?? [] {
            if !ContractLimits.fits(project.name, ContractLimits.projectName) {
                throw fail("project name '\(project.name)' must be \(ContractLimits.projectName.lowerBound) to \(ContractLimits.projectName.upperBound) characters long")
            }
            if let external = project.externalID, !ContractLimits.fits(external, ContractLimits.externalID) {
                throw fail("project external_id '\(external)' must be \(ContractLimits.externalID.lowerBound) to \(ContractLimits.externalID.upperBound) characters long")
            }
            for member in project.members ?? [] where !emails.contains(member.email.lowercased()) {
                throw fail("member \(member.email) of project '\(project.name)' is not a seeded user")
            }
        }
    }

    private static func digest(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(value)
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    // Seeding runs these once per user, project or member: prepared once per connection (`cachedStatement`)
    // rather than once per call, which was most of seeding 200,000 members.
    private enum SQL {
        static let ledgerDigest = "SELECT digest FROM seed_ledger WHERE org_id = ? AND kind = ? AND key = ?"
        static let recordLedger = "INSERT OR REPLACE INTO seed_ledger (org_id, kind, key, digest) VALUES (?, ?, ?, ?)"
        static let userID = "SELECT id FROM users WHERE org_id = ? AND email_key = ?"
        static let updateUser = """
            UPDATE users SET email = ?, name = ?, role = ?, external_id = ?, status = ?
            WHERE org_id = ? AND id = ?
            """
        static let insertUser = """
            INSERT INTO users (org_id, id, email, email_key, name, role, external_id, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """
        static let insertProject = """
            INSERT INTO projects (org_id, id, name, description, external_id, status, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """
        static let insertMember = """
            INSERT OR REPLACE INTO members (org_id, project_id, user_id, role, added_at)
            VALUES (?, ?, ?, ?, ?)
            """
    }

    private static func ledgerDigest(_ db: Database, orgID: String, kind: String, key: String) throws -> String? {
        try String.fetchOne(db.cachedStatement(sql: SQL.ledgerDigest), arguments: [orgID, kind, key])
    }

    private static func recordLedger(_ db: Database, orgID: String, kind: String, key: String, digest: String) throws {
        try db.cachedStatement(sql: SQL.recordLedger).execute(arguments: [orgID, kind, key, digest])
    }

    private static func seedUser(_ db: Database, orgID: String, user: SandboxSeed.User) throws {
        let emailKey = user.email.lowercased()
        let digest = try digest(user)
        let existingID = try String.fetchOne(db.cachedStatement(sql: SQL.userID), arguments: [orgID, emailKey])
        let status = (user.status ?? .active).rawValue
        if let existingID {
            guard try ledgerDigest(db, orgID: orgID, kind: "user", key: emailKey) != digest else { return }
            try db.cachedStatement(sql: SQL.updateUser).execute(
                arguments: [user.email, user.name, user.role.rawValue, user.externalID, status, orgID, existingID])
        } else {
            try db.cachedStatement(sql: SQL.insertUser).execute(arguments: [
                orgID, user.id ?? Identifier.make("usr_"), user.email, emailKey, user.name, user.role.rawValue, user.externalID, status,
            ])
        }
        try recordLedger(db, orgID: orgID, kind: "user", key: emailKey, digest: digest)
    }

    private static func seedProject(
        _ db: Database, orgID: String, project: SandboxSeed.Project, userIDs: [String: String], now: Int64
    ) throws {
        let key = project.seedKey
        if try ledgerDigest(db, orgID: orgID, kind: "project", key: key) != nil { return }
        if let externalID = project.externalID,
            let owner = try String.fetchOne(
                db, sql: "SELECT id FROM projects WHERE org_id = ? AND external_id = ?", arguments: [orgID, externalID])
        {
            throw SandboxError.invalidArgument(
                "invalid seed: project external_id '\(externalID)' is already used by project \(owner)")
        }
        let id = project.id ?? Identifier.make("prj_")
        try db.cachedStatement(sql: SQL.insertProject).execute(arguments: [
            orgID, id, project.name, project.description, project.externalID, (project.status ?? .active).rawValue, now, now,
        ])
        let insertMember = try db.cachedStatement(sql: SQL.insertMember)
        for member in project.members ?? [] {
            guard let user = userIDs[member.email.lowercased()] else { continue }
            try insertMember.execute(arguments: [orgID, id, user, member.role.rawValue, now])
        }
        try recordLedger(db, orgID: orgID, kind: "project", key: key, digest: try digest(project))
    }
}
