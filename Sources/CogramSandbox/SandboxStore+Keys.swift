import Crypto
import Foundation
import GRDB

/// An API key as listed: never its value, which only its creator ever sees.
public struct SandboxAPIKey: Sendable, Hashable {
    public var id: String
    public var organization: String
    public var name: String
    public var createdAt: String
    public var expiresAt: String?
    public var revokedAt: String?
    /// `active`, `expired` or `revoked`.
    public var state: String
}

/// One audited write.
public struct SandboxAuditEntry: Sendable, Hashable {
    public var organization: String
    public var at: String
    public var method: String
    public var path: String
    public var status: Int
    /// `X-Forwarded-User`, when the caller sent it.
    public var actor: String?
    /// The name of the API key that made the request.
    public var keyName: String?
}

/// Who a request is, once its key is checked.
struct KeyIdentity: Sendable, Hashable {
    var keyID: String
    var orgID: String
    var keyName: String
}

enum KeyCheck: Sendable, Hashable {
    case valid(KeyIdentity)
    case invalid
    case expired
}

extension SandboxStore {
    /// SHA-256 of the key, hex: the only form in which keys are stored.
    static func hash(key: String) -> String {
        hex(SHA256.hash(data: Data(key.utf8)))
    }

    /// Lower-case hex of `bytes`. Every request hashes its key: `String(format:)` per byte cost more than the hash.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Creates an API key for the organization (id or name) and returns its value, the only time it is shown.
    ///
    /// With `value`, that exact key is created, or reused (with the new name and expiry) if this organization
    /// already has it; a revoked key stays revoked (`SandboxError.apiKeyRevoked`).
    public func createAPIKey(
        organization: String, name: String, value: String? = nil, expiresAt: Date? = nil
    ) throws -> String {
        if let value, value.isEmpty || value.contains(where: { $0.isWhitespace }) {
            throw SandboxError.invalidArgument("an API key must be non-empty and contain no whitespace")
        }
        if let expiresAt, !(Self.earliestExpiry...Self.latestExpiry).contains(expiresAt.timeIntervalSince1970) {
            throw SandboxError.invalidArgument("a key's expiry must be a time between the years 1970 and 9999")
        }
        let key = value ?? Identifier.apiKey()
        let hash = Self.hash(key: key)
        let expires = expiresAt.map(Timestamp.milliseconds)
        try pool.write { db in
            let org = try Self.requireOrganization(db, organization)
            if let row = try Row.fetchOne(
                db, sql: "SELECT id, org_id, revoked_at FROM api_keys WHERE key_hash = ?", arguments: [hash])
            {
                guard (row["org_id"] as String) == org.id else {
                    throw SandboxError.apiKeyBelongsToAnotherOrganization
                }
                guard (row["revoked_at"] as Int64?) == nil else {
                    throw SandboxError.apiKeyRevoked
                }
                try db.execute(
                    sql: "UPDATE api_keys SET name = ?, expires_at = ? WHERE id = ?",
                    arguments: [name, expires, row["id"] as String])
            } else {
                try db.execute(
                    sql: """
                        INSERT INTO api_keys (id, org_id, name, key_hash, created_at, expires_at)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [Identifier.make("key_"), org.id, name, hash, Timestamp.nowMilliseconds(), expires])
            }
        }
        return key
    }

    /// The range of expiry times, in seconds since 1970, that a key may have (finite, and printable as RFC 3339).
    static let earliestExpiry: TimeInterval = 0
    static let latestExpiry: TimeInterval = 253_402_300_799

    /// The name of the key embedded runs (`--sandbox`) use, apart from the names people give keys.
    public static let embeddedKeyName = "embedded"

    /// The key of embedded runs for the organization: the one made by an earlier run while it is still valid,
    /// else a new one (named `embeddedKeyName`, never expiring) that replaces it.
    func embeddedKey(orgID: String) throws -> String {
        try pool.write { db in
            if let key = try String.fetchOne(db, sql: "SELECT key FROM embedded_keys WHERE org_id = ?", arguments: [orgID]),
                try Bool.fetchOne(
                    db,
                    sql: "SELECT 1 FROM api_keys WHERE key_hash = ? AND org_id = ? AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)",
                    arguments: [Self.hash(key: key), orgID, Timestamp.nowMilliseconds()]) != nil
            {
                return key
            }
            let key = Identifier.apiKey()
            try db.execute(
                sql: "INSERT INTO api_keys (id, org_id, name, key_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [Identifier.make("key_"), orgID, Self.embeddedKeyName, Self.hash(key: key), Timestamp.nowMilliseconds()])
            try db.execute(
                sql: "INSERT OR REPLACE INTO embedded_keys (org_id, key) VALUES (?, ?)", arguments: [orgID, key])
            return key
        }
    }

    /// The keys of one organization (id or name), or of all; no secrets.
    public func listAPIKeys(organization: String? = nil) throws -> [SandboxAPIKey] {
        try pool.read { db in
            let (filter, arguments) = try Self.organizationFilter(db, organization, column: "k.org_id")
            let sql = """
                SELECT k.*, o.name AS org_name FROM api_keys k JOIN organizations o ON o.id = k.org_id\(filter) \
                ORDER BY k.created_at, k.id
                """
            let now = Timestamp.nowMilliseconds()
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let expires: Int64? = row["expires_at"]
                let revoked: Int64? = row["revoked_at"]
                let state = revoked != nil ? "revoked" : (expires.map { $0 <= now } == true ? "expired" : "active")
                return SandboxAPIKey(
                    id: row["id"], organization: row["org_name"], name: row["name"],
                    createdAt: Timestamp.format(row["created_at"]), expiresAt: expires.map(Timestamp.format),
                    revokedAt: revoked.map(Timestamp.format), state: state)
            }
        }
    }

    /// Revokes the key with this id (or, if no id matches, every active key with this name) in the organization.
    /// Returns how many keys were revoked.
    @discardableResult
    public func revokeAPIKey(organization: String, key idOrName: String) throws -> Int {
        try pool.write { db in
            let org = try Self.requireOrganization(db, organization)
            let now = Timestamp.nowMilliseconds()
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE org_id = ? AND id = ? AND revoked_at IS NULL",
                arguments: [now, org.id, idOrName])
            if db.changesCount > 0 { return db.changesCount }
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE org_id = ? AND name = ? AND revoked_at IS NULL",
                arguments: [now, org.id, idOrName])
            return db.changesCount
        }
    }

    /// Checks a presented key.
    ///
    /// The lookup goes through the SHA-256 index, so what timing could reveal is about the hash, not the key;
    /// the stored and computed digests are then compared in constant time anyway.
    func checkKey(_ key: String) async throws -> KeyCheck {
        let hash = Self.hash(key: key)
        struct Stored: Sendable {
            var identity: KeyIdentity
            var hash: String
            var expiresAt: Int64?
            var revoked: Bool
        }
        let stored: Stored? = try readNow { db in
            // Columns by position and straight from the statement: this runs on every request.
            let rows = try Row.fetchCursor(
                db.cachedStatement(sql: "SELECT id, org_id, name, key_hash, expires_at, revoked_at FROM api_keys WHERE key_hash = ?"),
                arguments: [hash])
            var stored: Stored?
            // Stepped to the end (the hash is unique, so one more step), which leaves the statement reset.
            while let row = try rows.next() {
                guard stored == nil else { continue }
                stored = Stored(
                    identity: KeyIdentity(keyID: row[0], orgID: row[1], keyName: row[2]),
                    hash: row[3], expiresAt: row[4], revoked: (row[5] as Int64?) != nil)
            }
            return stored
        }
        guard let stored, Self.constantTimeEqual(stored.hash, hash), !stored.revoked else { return .invalid }
        if let expires = stored.expiresAt, expires <= Timestamp.nowMilliseconds() { return .expired }
        return .valid(stored.identity)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices {
            difference |= x[index] ^ y[index]
        }
        return difference == 0
    }

    // MARK: - Audit

    func recordAudit(
        orgID: String, method: String, path: String, status: Int, actor: String?, keyName: String?
    ) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO audit_log (org_id, at, method, path, status, actor, key_name)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [orgID, Timestamp.nowMilliseconds(), method, path, status, actor, keyName])
        }
    }

    /// ` WHERE <column> = ?` and its argument for one organization (id or name); nothing for all of them.
    private static func organizationFilter(
        _ db: Database, _ organization: String?, column: String
    ) throws -> (sql: String, arguments: StatementArguments) {
        guard let organization else { return ("", []) }
        return (" WHERE \(column) = ?", [try requireOrganization(db, organization).id])
    }

    /// The most recent audited writes, newest first, of one organization (id or name) or of all.
    public func auditLog(organization: String? = nil, limit: Int = 100) throws -> [SandboxAuditEntry] {
        try pool.read { db in
            let (filter, arguments) = try Self.organizationFilter(db, organization, column: "a.org_id")
            let sql = """
                SELECT a.*, o.name AS org_name FROM audit_log a JOIN organizations o ON o.id = a.org_id\(filter) \
                ORDER BY a.seq DESC LIMIT ?
                """
            return try Row.fetchAll(db, sql: sql, arguments: arguments + [max(0, limit)]).map { row in
                SandboxAuditEntry(
                    organization: row["org_name"], at: Timestamp.format(row["at"]), method: row["method"],
                    path: row["path"], status: row["status"], actor: row["actor"], keyName: row["key_name"])
            }
        }
    }
}
