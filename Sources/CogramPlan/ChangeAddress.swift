import CogramManifest

/// Where a change applies, as a value with one printer (`description`) and one parser (`init?(parsing:)`):
/// `project.<external_id>`, `project.<external_id>.member.<email>`, `user.<email>`, and for projects without an
/// external_id `project#<id>` and `project#<id>.member.<email>`. Emails are kept lower-case.
public struct ChangeAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// How an address names a project.
    public enum Project: Sendable, Hashable {
        case externalID(String)
        /// A project without an external_id, by its Cogram id.
        case id(String)
    }

    public enum Kind: Sendable, Hashable {
        case project(Project)
        case member(Project, email: String)
        case user(email: String)
    }

    public let kind: Kind

    private init(_ kind: Kind) { self.kind = kind }

    public static func project(_ externalID: String) -> ChangeAddress { ChangeAddress(.project(.externalID(externalID))) }
    public static func project(_ project: Project) -> ChangeAddress { ChangeAddress(.project(project)) }
    public static func member(_ externalID: String, email: String) -> ChangeAddress { member(.externalID(externalID), email: email) }
    public static func member(_ project: Project, email: String) -> ChangeAddress {
        ChangeAddress(.member(project, email: normalizeEmail(email)))
    }
    public static func user(email: String) -> ChangeAddress { ChangeAddress(.user(email: normalizeEmail(email))) }

    private static let memberInfix = ".member."

    /// Reads an address as `description` writes it; nil for text that is none. An external_id may hold dots: the
    /// last `.member.` followed by an email (text with an `@`) starts a member part.
    public init?(parsing text: String) {
        func memberSplit(_ rest: Substring) -> (Substring, String)? {
            guard let range = rest.range(of: Self.memberInfix, options: .backwards) else { return nil }
            let email = rest[range.upperBound...]
            guard email.contains("@"), !rest[..<range.lowerBound].isEmpty else { return nil }
            return (rest[..<range.lowerBound], String(email))
        }
        if text.hasPrefix("user.") {
            let email = text.dropFirst("user.".count)
            guard !email.isEmpty else { return nil }
            self.init(.user(email: normalizeEmail(String(email))))
        } else if text.hasPrefix("project#") {
            let rest = text.dropFirst("project#".count)
            if let (id, email) = memberSplit(rest) {
                self.init(.member(.id(String(id)), email: normalizeEmail(email)))
            } else {
                guard !rest.isEmpty, !rest.contains(".") else { return nil }
                self.init(.project(.id(String(rest))))
            }
        } else if text.hasPrefix("project.") {
            let rest = text.dropFirst("project.".count)
            if let (externalID, email) = memberSplit(rest) {
                self.init(.member(.externalID(String(externalID)), email: normalizeEmail(email)))
            } else {
                guard !rest.isEmpty else { return nil }
                self.init(.project(.externalID(String(rest))))
            }
        } else {
            return nil
        }
    }

    public var description: String {
        func name(_ project: Project) -> String {
            switch project {
            case .externalID(let e): "project.\(e)"
            case .id(let id): "project#\(id)"
            }
        }
        switch kind {
        case .project(let p): return name(p)
        case .member(let p, let email): return name(p) + Self.memberInfix + email
        case .user(let email): return "user.\(email)"
        }
    }

    /// The project part, as an address of its own (a member's project); nil for a user.
    public var projectAddress: ChangeAddress? {
        switch kind {
        case .project: self
        case .member(let p, _): .project(p)
        case .user: nil
        }
    }

    /// The member's or user's email; nil for a project.
    public var email: String? {
        switch kind {
        case .project: nil
        case .member(_, let email), .user(let email): email
        }
    }

    public static func < (a: ChangeAddress, b: ChangeAddress) -> Bool { a.description < b.description }
}
