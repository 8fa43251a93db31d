/// The keys of one manifest section (a mapping): their spelling, which are required, and how messages name the
/// section. The decoder matches keys as bytes against `text`, so that no `String` is made per key.
/// Every section's keys are an `Int` enum, so that the decoder steps through them by raw value, in declaration
/// order, without making the `allCases` array for each mapping.
protocol SectionKey: CaseIterable, RawRepresentable, Sendable where AllCases == [Self], RawValue == Int {
    /// How messages name a mapping of this section ("a project").
    static var what: String { get }
    static var required: [Self] { get }
    /// Whether `x-` keys are ignored (they hold anchors for reuse).
    static var ignoresXPrefix: Bool { get }
    /// The key as written in a manifest.
    var text: StaticString { get }
    /// Where the key's value is kept in `Fields`: 0 ..< 8.
    var slot: Int { get }
}

extension SectionKey {
    static var required: [Self] { [] }
    static var ignoresXPrefix: Bool { false }
}

extension SectionKey where Self: RawRepresentable, RawValue == Int {
    var slot: Int { rawValue }
}

/// What the decoder's walk over a section's keys depends on, for the tests to check: every section's keys number
/// 0, 1, 2… in declaration order (a gap would end the walk early, and the keys after it would read as unknown) and
/// fit the eight slots of `Fields`.
@_spi(Testing)
public enum SectionKeyLayout {
    /// One line per section whose keys break the rule; empty when every one keeps it.
    public static var problems: [String] {
        let sections: [any SectionKey.Type] = [
            TopLevelKey.self, OwnershipKey.self, UserKey.self, ProjectKey.self, MemberKey.self, GroupKey.self,
            GroupMemberKey.self, PoliciesKey.self, OrganizationKey.self, OffboardedKey.self,
        ]
        return sections.compactMap { problem(of: $0) }
    }

    private static func problem<Key: SectionKey>(of _: Key.Type) -> String? {
        let raws = Key.allCases.map(\.rawValue)
        if raws != Array(0..<raws.count) { return "\(Key.self): raw values \(raws), not 0..<\(raws.count)" }
        if raws.count > 8 { return "\(Key.self): \(raws.count) keys, more than the 8 slots of Fields" }
        let texts = Key.allCases.map { "\($0.text)" }
        if Set(texts).count != texts.count { return "\(Key.self): a key is spelled twice in \(texts)" }
        return nil
    }
}

/// The values of a mapping's known keys, by key; no allocation per mapping.
struct Fields<Key: SectionKey> {
    private var slots = SIMD8<Int32>(repeating: -1)

    subscript(_ key: Key) -> YAMLDocument.NodeID? {
        get { slots[key.slot] < 0 ? nil : slots[key.slot] }
        set { slots[key.slot] = newValue ?? -1 }
    }
}

enum TopLevelKey: Int, SectionKey {
    case version, ownership, policies, users, groups, projects, organization, offboarded

    static let what = "the top level of a manifest"
    static let ignoresXPrefix = true

    var text: StaticString {
        switch self {
        case .version: "version"
        case .ownership: "ownership"
        case .policies: "policies"
        case .users: "users"
        case .groups: "groups"
        case .projects: "projects"
        case .organization: "organization"
        case .offboarded: "offboarded"
        }
    }
}

enum OwnershipKey: Int, SectionKey {
    case externalIDPrefix

    static let what = "ownership"

    var text: StaticString {
        switch self {
        case .externalIDPrefix: "external_id_prefix"
        }
    }
}

enum UserKey: Int, SectionKey {
    case email, role, externalID, expires, then

    static let what = "a user"
    static let required: [UserKey] = [.email]

    var text: StaticString {
        switch self {
        case .email: "email"
        case .role: "role"
        case .externalID: "external_id"
        case .expires: "expires"
        case .then: "then"
        }
    }
}

enum ProjectKey: Int, SectionKey {
    case externalID, name, description, id, previousExternalIDs, archived, members

    static let what = "a project"
    static let required: [ProjectKey] = [.externalID, .name]

    var text: StaticString {
        switch self {
        case .externalID: "external_id"
        case .name: "name"
        case .description: "description"
        case .id: "id"
        case .previousExternalIDs: "previous_external_ids"
        case .archived: "archived"
        case .members: "members"
        }
    }
}

/// A project's member entry: `email` and `role`, or `group` with an optional `role` (checked by the decoder,
/// since which keys are required depends on which are present).
enum MemberKey: Int, SectionKey {
    case email, role, group, expires

    static let what = "a member"

    var text: StaticString {
        switch self {
        case .email: "email"
        case .role: "role"
        case .group: "group"
        case .expires: "expires"
        }
    }
}

enum GroupKey: Int, SectionKey {
    case name, members

    static let what = "a group"
    static let required: [GroupKey] = [.name, .members]

    var text: StaticString {
        switch self {
        case .name: "name"
        case .members: "members"
        }
    }
}

/// A group's member entry: groups hold people, not other groups.
enum GroupMemberKey: Int, SectionKey {
    case email, role, expires

    static let what = "a member of a group"
    static let required: [GroupMemberKey] = [.email, .role]

    var text: StaticString {
        switch self {
        case .email: "email"
        case .role: "role"
        case .expires: "expires"
        }
    }
}

enum PoliciesKey: Int, SectionKey {
    case minOwners, maxOwners, guestMaxRole, requireDescription, externalIDPattern

    static let what = "policies"

    var text: StaticString {
        switch self {
        case .minOwners: "min_owners"
        case .maxOwners: "max_owners"
        case .guestMaxRole: "guest_max_role"
        case .requireDescription: "require_description"
        case .externalIDPattern: "external_id_pattern"
        }
    }
}

enum OrganizationKey: Int, SectionKey {
    case name, anchor, apiKeyEnv

    static let what = "organization"
    static let required: [OrganizationKey] = [.name]

    var text: StaticString {
        switch self {
        case .name: "name"
        case .anchor: "anchor"
        case .apiKeyEnv: "api_key_env"
        }
    }
}

enum OffboardedKey: Int, SectionKey {
    case email, date, orgRole

    static let what = "an offboarded person"
    static let required: [OffboardedKey] = [.email]

    var text: StaticString {
        switch self {
        case .email: "email"
        case .date: "date"
        case .orgRole: "org_role"
        }
    }
}
