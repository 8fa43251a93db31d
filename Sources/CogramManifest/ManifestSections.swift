/// The keys of one manifest section (a mapping): their spelling, which are required, and how messages name the
/// section. The decoder matches keys as bytes against `text`, so that no `String` is made per key.
protocol SectionKey: CaseIterable, Sendable where AllCases == [Self] {
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

/// The values of a mapping's known keys, by key; no allocation per mapping.
struct Fields<Key: SectionKey> {
    private var slots = SIMD8<Int32>(repeating: -1)

    subscript(_ key: Key) -> YAMLDocument.NodeID? {
        get { slots[key.slot] < 0 ? nil : slots[key.slot] }
        set { slots[key.slot] = newValue ?? -1 }
    }
}

enum TopLevelKey: Int, SectionKey {
    case version, ownership, users, projects

    static let what = "the top level of a manifest"
    static let ignoresXPrefix = true

    var text: StaticString {
        switch self {
        case .version: "version"
        case .ownership: "ownership"
        case .users: "users"
        case .projects: "projects"
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
    case email, role, externalID

    static let what = "a user"
    static let required: [UserKey] = [.email]

    var text: StaticString {
        switch self {
        case .email: "email"
        case .role: "role"
        case .externalID: "external_id"
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

enum MemberKey: Int, SectionKey {
    case email, role

    static let what = "a member"
    static let required: [MemberKey] = [.email, .role]

    var text: StaticString {
        switch self {
        case .email: "email"
        case .role: "role"
        }
    }
}
