import Foundation

// MARK: - Enumerations of the contract

/// A project's lifecycle status.
public enum ProjectStatus: String, Codable, Sendable, Hashable, CaseIterable {
    case active
    case archived
}

/// The `status` filter of `GET /v1/projects`.
public enum ProjectStatusFilter: String, Sendable, Hashable, CaseIterable {
    case active
    case archived
    case all
}

/// Whether a user can be given access.
public enum UserStatus: String, Codable, Sendable, Hashable, CaseIterable {
    case active
    case deactivated
}

// MARK: - Values observed from the API

/// A value of one of the contract's enumerations as the API sent it: one cogramctl knows, or another it keeps
/// as sent. The observed resources (`Project`, `Member`, `User`) carry these, so that a role or status added to
/// Cogram later does not stop every read; what cogramctl sends (and what the sandbox accepts) stays closed.
public enum OpenEnum<Known>: Sendable, Hashable
where Known: RawRepresentable & Sendable & Hashable, Known.RawValue == String {
    case known(Known)
    case unknown(String)

    public init(_ known: Known) { self = .known(known) }

    public init(rawValue: String) {
        self = Known(rawValue: rawValue).map { .known($0) } ?? .unknown(rawValue)
    }

    /// The value as the API sent it.
    public var rawValue: String {
        switch self {
        case .known(let k): k.rawValue
        case .unknown(let raw): raw
        }
    }

    /// The known value, or nil for one cogramctl does not know.
    @inlinable public var known: Known? {
        if case .known(let k) = self { return k }
        return nil
    }
}

/// An observed value compared with a known one: `project.status == .archived`; an unknown value equals none.
/// Inlinable, so that other modules compare without a generic call through witness tables (the planner compares
/// every member's role).
@inlinable public func == <Known>(lhs: OpenEnum<Known>, rhs: Known) -> Bool { lhs.known == rhs }
@inlinable public func != <Known>(lhs: OpenEnum<Known>, rhs: Known) -> Bool { lhs.known != rhs }
@inlinable public func == <Known>(lhs: OpenEnum<Known>?, rhs: Known) -> Bool { lhs?.known == rhs }
@inlinable public func != <Known>(lhs: OpenEnum<Known>?, rhs: Known) -> Bool { lhs?.known != rhs }

extension OpenEnum: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

extension OpenEnum: CustomStringConvertible {
    /// Known values as themselves, others as `unknown(raw)`.
    public var description: String {
        switch self {
        case .known(let k): k.rawValue
        case .unknown(let raw): "unknown(\(raw))"
        }
    }
}

// MARK: - Resources

/// `GET /v1/projects/{id}`.
public struct Project: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    @ExplicitNull public var description: String?
    @ExplicitNull public var externalID: String?
    public var status: OpenEnum<ProjectStatus>
    /// Not used by the planner: optional, so that a server that leaves it out is still read.
    @ExplicitNull public var createdAt: String?
    public var updatedAt: String

    public init(
        id: String, name: String, description: String?, externalID: String?,
        status: ProjectStatus, createdAt: String?, updatedAt: String
    ) {
        self.init(
            id: id, name: name, description: description, externalID: externalID, status: .known(status),
            createdAt: createdAt, updatedAt: updatedAt)
    }

    public init(
        id: String, name: String, description: String?, externalID: String?,
        status: OpenEnum<ProjectStatus>, createdAt: String?, updatedAt: String
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.externalID = externalID
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description, status
        case externalID = "external_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

/// An entry of `GET /v1/projects/{id}/members`.
public struct Member: Codable, Sendable, Hashable {
    public var userID: String
    public var email: String
    /// Not used by the planner: optional.
    public var name: String?
    public var role: OpenEnum<ProjectRole>
    /// Not used by the planner: optional.
    public var addedAt: String?

    public init(userID: String, email: String, name: String?, role: ProjectRole, addedAt: String?) {
        self.init(userID: userID, email: email, name: name, role: .known(role), addedAt: addedAt)
    }

    public init(userID: String, email: String, name: String?, role: OpenEnum<ProjectRole>, addedAt: String?) {
        self.userID = userID
        self.email = email
        self.name = name
        self.role = role
        self.addedAt = addedAt
    }

    enum CodingKeys: String, CodingKey {
        case email, name, role
        case userID = "user_id"
        case addedAt = "added_at"
    }
}

/// An entry of `GET /v1/users`.
public struct User: Codable, Sendable, Hashable {
    public var id: String
    public var email: String
    /// Not used by the planner: optional.
    @ExplicitNull public var name: String?
    public var role: OpenEnum<OrganizationRole>
    @ExplicitNull public var externalID: String?
    public var status: OpenEnum<UserStatus>

    public init(
        id: String, email: String, name: String?, role: OrganizationRole,
        externalID: String?, status: UserStatus
    ) {
        self.init(id: id, email: email, name: name, role: .known(role), externalID: externalID, status: .known(status))
    }

    public init(
        id: String, email: String, name: String?, role: OpenEnum<OrganizationRole>,
        externalID: String?, status: OpenEnum<UserStatus>
    ) {
        self.id = id
        self.email = email
        self.name = name
        self.role = role
        self.externalID = externalID
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case id, email, name, role, status
        case externalID = "external_id"
    }
}

/// One page of a list endpoint.
public struct Page<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]
    public var page: Int
    public var pageSize: Int
    public var total: Int

    public init(items: [Item], page: Int, pageSize: Int, total: Int) {
        self.items = items
        self.page = page
        self.pageSize = pageSize
        self.total = total
    }

    enum CodingKeys: String, CodingKey {
        case items, page, total
        case pageSize = "page_size"
    }
}

// MARK: - Request bodies

/// A field of a PATCH body: left out, set to null, or set to a value.
public enum PatchField<Value: Sendable & Hashable & Codable>: Sendable, Hashable {
    case absent
    case null
    case value(Value)

    public var isAbsent: Bool {
        if case .absent = self { return true }
        return false
    }

    /// The value when one is set (neither absent nor null).
    public var value: Value? {
        if case .value(let v) = self { return v }
        return nil
    }
}

/// Inside a keyed container (every request body and plan field) the overloads below apply, so that synthesized
/// conformances leave an absent field out. Standalone, where absence cannot be written, absent reads as `null`.
extension PatchField: Codable {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        self = c.decodeNil() ? .null : .value(try c.decode(Value.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let value { try c.encode(value) } else { try c.encodeNil() }
    }
}

extension KeyedEncodingContainer {
    /// Writes a PATCH field: nothing when absent, `null`, or the value.
    public mutating func encode<Value>(_ field: PatchField<Value>, forKey key: Key) throws {
        switch field {
        case .absent: break
        case .null: try encodeNil(forKey: key)
        case .value(let v): try encode(v, forKey: key)
        }
    }
}

extension KeyedDecodingContainer {
    /// Reads a PATCH field: absent when the key is missing, `null`, or the value.
    public func decode<Value>(_ type: PatchField<Value>.Type, forKey key: Key) throws -> PatchField<Value> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(Value.self, forKey: key))
    }
}

/// `POST /v1/projects`.
public struct ProjectCreate: Codable, Sendable, Hashable {
    public var name: String
    public var description: String?
    public var externalID: String?

    public init(name: String, description: String? = nil, externalID: String? = nil) {
        self.name = name
        self.description = description
        self.externalID = externalID
    }

    enum CodingKeys: String, CodingKey {
        case name, description
        case externalID = "external_id"
    }
}

/// `PATCH /v1/projects/{id}`: only the fields that are not `.absent` are sent.
public struct ProjectPatch: Encodable, Sendable, Hashable {
    public var name: String?
    public var description: PatchField<String>
    public var externalID: String?
    public var status: ProjectStatus?

    public init(
        name: String? = nil, description: PatchField<String> = .absent,
        externalID: String? = nil, status: ProjectStatus? = nil
    ) {
        self.name = name
        self.description = description
        self.externalID = externalID
        self.status = status
    }

    public var isEmpty: Bool {
        name == nil && description.isAbsent && externalID == nil && status == nil
    }

    enum CodingKeys: String, CodingKey {
        case name, description, status
        case externalID = "external_id"
    }
}

/// `PUT /v1/projects/{id}/members/{user_id}`.
public struct MemberPut: Codable, Sendable, Hashable {
    public var role: ProjectRole
    public init(role: ProjectRole) { self.role = role }
}

/// `PATCH /v1/users/{user_id}`.
public struct UserPatch: Encodable, Sendable, Hashable {
    public var role: OrganizationRole?
    public var externalID: PatchField<String>

    public init(role: OrganizationRole? = nil, externalID: PatchField<String> = .absent) {
        self.role = role
        self.externalID = externalID
    }

    public var isEmpty: Bool { role == nil && externalID.isAbsent }

    enum CodingKeys: String, CodingKey {
        case role
        case externalID = "external_id"
    }
}

// MARK: - Errors on the wire

/// The body of every non-2xx response.
public struct ErrorEnvelope: Codable, Sendable, Hashable {
    public var error: ErrorBody

    public init(error: ErrorBody) { self.error = error }

    public struct ErrorBody: Codable, Sendable, Hashable {
        public var code: String
        public var message: String
        public var details: [FieldDetail]?

        public init(code: String, message: String, details: [FieldDetail]? = nil) {
            self.code = code
            self.message = message
            self.details = details
        }
    }

    public struct FieldDetail: Codable, Sendable, Hashable {
        public var field: String
        public var message: String
        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }
}

/// The error codes the contract names. Unknown codes are kept as raw strings by callers.
public enum ErrorCode: String, Sendable, Hashable, CaseIterable {
    case badRequest = "bad_request"
    case apiKeyMissing = "api_key_missing"
    case apiKeyInvalid = "api_key_invalid"
    case apiKeyExpired = "api_key_expired"
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    case conflict
    case payloadTooLarge = "payload_too_large"
    case validationError = "validation_error"
    case rateLimitExceeded = "rate_limit_exceeded"
    case internalError = "internal_error"
    case unavailable
}
