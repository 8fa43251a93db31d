import CogramManifest

/// Why a change gives, takes or changes someone's access: the manifest entry behind it, as the plan by person
/// shows it. Set by the planner on member changes and on user changes that set a role; its JSON form is the
/// change's `cause` (`{"reason", "location", "expires"}`).
public struct AccessCause: Sendable, Hashable {
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        /// A direct entry (a project's member, a user's role), or for a removal the member list that no longer
        /// names the person.
        case manifest
        /// A group that a project's member list references.
        case group(String)
        /// An entry whose `expires` has passed.
        case expired
        /// The person's `offboarded:` entry.
        case offboarded

        /// `manifest`, `group:<name>`, `expired` or `offboarded`.
        public var description: String {
            switch self {
            case .manifest: "manifest"
            case .group(let name): "group:\(name)"
            case .expired: "expired"
            case .offboarded: "offboarded"
            }
        }

        /// Reads what `description` writes; nil for anything else.
        public init?(_ text: String) {
            switch text {
            case "manifest": self = .manifest
            case "expired": self = .expired
            case "offboarded": self = .offboarded
            default:
                guard text.hasPrefix("group:"), text.count > "group:".count else { return nil }
                self = .group(String(text.dropFirst("group:".count)))
            }
        }
    }

    public var reason: Reason
    /// `file:line` of the entry behind the change (for a group member: the group's member entry; for a removal
    /// the manifests ask for: the project's entry), as the manifest was loaded; nil when no entry stands behind it.
    public var location: String?
    /// The last day of the entry (for an expired one: the day that passed); nil when it does not expire.
    public var expires: CalendarDay?

    public init(_ reason: Reason, location: String? = nil, expires: CalendarDay? = nil) {
        self.reason = reason
        self.location = location
        self.expires = expires
    }

    public init(_ reason: Reason, at location: SourceLocation, expires: CalendarDay? = nil) {
        self.init(reason, location: "\(location.file):\(location.line)", expires: expires)
    }
}

extension AccessCause: Codable {
    enum CodingKeys: String, CodingKey {
        case reason, location, expires
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let text = try c.decode(String.self, forKey: .reason)
        guard let reason = Reason(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .reason, in: c, debugDescription: "not one of manifest, group:<name>, expired, offboarded")
        }
        self.reason = reason
        location = try c.decodeIfPresent(String.self, forKey: .location)
        if let day = try c.decodeIfPresent(String.self, forKey: .expires) {
            guard let parsed = CalendarDay(parsing: day) else {
                throw DecodingError.dataCorruptedError(forKey: .expires, in: c, debugDescription: "not a YYYY-MM-DD date")
            }
            expires = parsed
        } else {
            expires = nil
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reason.description, forKey: .reason)
        try c.encode(location, forKey: .location)
        try c.encode(expires?.description, forKey: .expires)
    }
}
