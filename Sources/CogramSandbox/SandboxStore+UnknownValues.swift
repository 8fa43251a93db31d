import Foundation
import GRDB

extension SandboxStore {
    /// A field that, under the `unknown-enum-values` dialect, shows a value the contract does not list.
    ///
    /// The stored (known) value stays underneath: without the dialect the record shows it, and a write of that
    /// field through the API (PUT of the member, PATCH of the user's role or the project's status) replaces the
    /// unknown value for good, as a real server would.
    public enum UnknownValue: Sendable, Hashable {
        case memberRole(projectID: String, userID: String)
        case userRole(userID: String)
        case userStatus(userID: String)
        case projectStatus(projectID: String)

        var kind: String {
            switch self {
            case .memberRole: "member_role"
            case .userRole: "user_role"
            case .userStatus: "user_status"
            case .projectStatus: "project_status"
            }
        }

        var record: String {
            switch self {
            case .memberRole(let projectID, let userID): projectID + "/" + userID
            case .userRole(let userID), .userStatus(let userID): userID
            case .projectStatus(let projectID): projectID
            }
        }

        init?(kind: String, record: String) {
            switch kind {
            case "member_role":
                let parts = record.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { return nil }
                self = .memberRole(projectID: parts[0], userID: parts[1])
            case "user_role": self = .userRole(userID: record)
            case "user_status": self = .userStatus(userID: record)
            case "project_status": self = .projectStatus(projectID: record)
            default: return nil
            }
        }
    }

    /// The values `unknown-enum-values` shows when the organization has none set: a member role `approver`,
    /// an organization role `billing`, a user status `suspended` and a project status `paused`.
    public static let defaultUnknownValues = (memberRole: "approver", userRole: "billing", userStatus: "suspended", projectStatus: "paused")

    /// Makes `field` show `value` under the `unknown-enum-values` dialect.
    public func setUnknownValue(_ field: UnknownValue, to value: String, organization: String) throws {
        try pool.write { db in
            let org = try Self.requireOrganization(db, organization)
            try db.execute(
                sql: "INSERT OR REPLACE INTO unknown_values (org_id, kind, record, value) VALUES (?, ?, ?, ?)",
                arguments: [org.id, field.kind, field.record, value])
        }
    }

    /// Every unknown value of the organization (id or name).
    public func unknownValues(organization: String) throws -> [UnknownValue: String] {
        try pool.read { db in try Self.unknownValues(db, orgID: Self.requireOrganization(db, organization).id) }
    }

    /// Forgets every unknown value of the organization.
    public func clearUnknownValues(organization: String) throws {
        try pool.write { db in
            let org = try Self.requireOrganization(db, organization)
            try db.execute(sql: "DELETE FROM unknown_values WHERE org_id = ?", arguments: [org.id])
        }
    }

    func unknownValues(orgID: String) async throws -> [UnknownValue: String] {
        try await pool.read { db in try Self.unknownValues(db, orgID: orgID) }
    }

    static func unknownValues(_ db: Database, orgID: String) throws -> [UnknownValue: String] {
        var values: [UnknownValue: String] = [:]
        for row in try Row.fetchAll(
            db, sql: "SELECT kind, record, value FROM unknown_values WHERE org_id = ?", arguments: [orgID])
        {
            if let field = UnknownValue(kind: row["kind"], record: row["record"]) { values[field] = row["value"] }
        }
        return values
    }

    static func forgetUnknownValue(_ db: Database, orgID: String, _ field: UnknownValue) throws {
        try db.execute(
            sql: "DELETE FROM unknown_values WHERE org_id = ? AND kind = ? AND record = ?",
            arguments: [orgID, field.kind, field.record])
    }

    /// Gives an organization that has no unknown values the default ones, on predictable records: the
    /// membership added first gets member role `approver`; the user created last that is active and not an
    /// admin gets role `billing` and status `suspended`; the project created last gets status `paused`.
    func ensureDefaultUnknownValues(orgID: String) throws {
        try pool.write { db in
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM unknown_values WHERE org_id = ?", arguments: [orgID])
            guard count == 0 else { return }
            var values: [UnknownValue: String] = [:]
            if let row = try Row.fetchOne(
                db, sql: "SELECT project_id, user_id FROM members WHERE org_id = ? ORDER BY seq LIMIT 1", arguments: [orgID])
            {
                values[.memberRole(projectID: row["project_id"], userID: row["user_id"])] = Self.defaultUnknownValues.memberRole
            }
            if let user = try String.fetchOne(
                db,
                sql: "SELECT id FROM users WHERE org_id = ? AND status = 'active' AND role != 'admin' ORDER BY seq DESC LIMIT 1",
                arguments: [orgID])
            {
                values[.userRole(userID: user)] = Self.defaultUnknownValues.userRole
                values[.userStatus(userID: user)] = Self.defaultUnknownValues.userStatus
            }
            if let project = try String.fetchOne(
                db, sql: "SELECT id FROM projects WHERE org_id = ? ORDER BY seq DESC LIMIT 1", arguments: [orgID])
            {
                values[.projectStatus(projectID: project)] = Self.defaultUnknownValues.projectStatus
            }
            for (field, value) in values {
                try db.execute(
                    sql: "INSERT INTO unknown_values (org_id, kind, record, value) VALUES (?, ?, ?, ?)",
                    arguments: [orgID, field.kind, field.record, value])
            }
        }
    }
}
