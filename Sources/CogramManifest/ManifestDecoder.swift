/// One file's contribution to the desired state, before files are merged.
struct ManifestFragment: Sendable {
    var ownership: Ownership?
    var users: [DesiredUser] = []
    var projects: [DesiredProject] = []
}

/// Decodes a composed YAML document into the typed model, typing scalars by the schema (never by YAML 1.1
/// guessing) and collecting every problem rather than stopping at the first.
///
/// Keys are matched as bytes against each section's known keys, and a `String` is made only for values that are
/// kept or shown in a message: loading 10,000 projects is dominated by libyaml, not by this decoder.
struct ManifestDecoder {
    typealias NodeID = YAMLDocument.NodeID

    let file: String
    let document: YAMLDocument
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String, document: YAMLDocument) {
        self.file = file
        self.document = document
    }

    /// A section's keys: `keys[i]` is stored in slot `i` of `Fields`.
    struct Section {
        let what: String
        let keys: [StaticString]
        let required: [Int]
        var ignoresXPrefix = false
        var names: [String] { keys.map { "\($0)" } }
    }

    static let topLevel = Section(what: "the top level of a manifest", keys: ["version", "ownership", "users", "projects"], required: [], ignoresXPrefix: true)
    static let ownership = Section(what: "ownership", keys: ["external_id_prefix"], required: [])
    static let user = Section(what: "a user", keys: ["email", "role", "external_id"], required: [0])
    static let project = Section(
        what: "a project", keys: ["external_id", "name", "description", "id", "previous_external_ids", "archived", "members"],
        required: [0, 1])
    static let member = Section(what: "a member", keys: ["email", "role"], required: [0, 1])

    static let maxNameLength = 200
    static let maxExternalIDLength = 128

    /// The values of a mapping's known keys, by slot (see `Section`); no allocation per mapping.
    struct Fields {
        private var slots = SIMD8<Int32>(repeating: -1)

        subscript(_ slot: Int) -> NodeID? {
            get { slots[slot] < 0 ? nil : slots[slot] }
            set { slots[slot] = newValue ?? -1 }
        }
    }

    mutating func decode() -> ManifestFragment {
        let root = document.root
        var fragment = ManifestFragment()
        guard let fields = mapping(root, Self.topLevel) else { return fragment }
        if let version = fields[0] {
            let tag = document.tag(version)
            if !(document.scalarEquals(version, "1") && (tag == nil || tag == .int) && document.isPlain(version)) {
                error(version, "unsupported manifest version \(describe(version)); this cogramctl reads 'version: 1'")
            }
        } else {
            error(root, "missing 'version: 1' at the top of the manifest")
        }
        if let ownership = fields[1] {
            fragment.ownership = decodeOwnership(ownership)
        }
        if let users = fields[2], let items = list(users, what: "users") {
            for item in items {
                if let user = decodeUser(item) { fragment.users.append(user) }
            }
        }
        if let projects = fields[3], let items = list(projects, what: "projects") {
            fragment.projects.reserveCapacity(items.count)
            for item in items {
                if let project = decodeProject(item) { fragment.projects.append(project) }
            }
        }
        return fragment
    }

    // MARK: - Sections

    private mutating func decodeOwnership(_ node: NodeID) -> Ownership? {
        guard let fields = mapping(node, Self.ownership) else { return nil }
        var prefix: String?
        if let value = fields[0] {
            prefix = string(value, field: "external_id_prefix")
            if prefix?.isEmpty == true {
                error(value, "external_id_prefix must not be empty; remove it to manage every project with an external_id")
                prefix = nil
            }
        }
        return Ownership(externalIDPrefix: prefix, location: location(node))
    }

    private mutating func decodeUser(_ node: NodeID) -> DesiredUser? {
        guard let fields = mapping(node, Self.user) else { return nil }
        // Every field is checked even when an earlier one is wrong, so that one run shows every error.
        let email = fields[0].flatMap { emailField($0) }
        var user = DesiredUser(email: email ?? "", location: location(node))
        if let role = fields[1] {
            user.role = enumeration(role, field: "role", as: UserRole.self)
        }
        if let externalID = fields[2] {
            user.externalID = nullableString(externalID, field: "external_id")
            if case .value(let v) = user.externalID, v.isEmpty {
                error(externalID, "external_id must not be empty; use null to clear it")
            }
        }
        return email == nil ? nil : user
    }

    private mutating func decodeProject(_ node: NodeID) -> DesiredProject? {
        guard let fields = mapping(node, Self.project) else { return nil }
        var valid = fields[0] != nil && fields[1] != nil
        var externalID = ""
        if let value = fields[0] {
            if let id = externalIDField(value, field: "external_id") { externalID = id } else { valid = false }
        }
        var name = ""
        if let value = fields[1] {
            if let text = string(value, field: "name") {
                if text.allSatisfy(\.isWhitespace) {
                    error(value, "name must not be empty")
                    valid = false
                } else if text.utf8.count > Self.maxNameLength, text.count > Self.maxNameLength {
                    error(value, "name is \(text.count) characters long; Cogram allows at most \(Self.maxNameLength)")
                    valid = false
                }
                name = text
            } else {
                valid = false
            }
        }
        var project = DesiredProject(externalID: externalID, name: name, location: location(node))
        if let value = fields[2] {
            project.description = nullableString(value, field: "description")
        }
        if let value = fields[3] {
            project.id = string(value, field: "id")
            if project.id?.isEmpty == true {
                error(value, "id must not be empty")
                project.id = nil
            }
        }
        if let value = fields[4], let items = list(value, what: "previous_external_ids") {
            for item in items {
                if let id = externalIDField(item, field: "previous_external_ids entry") {
                    project.previousExternalIDs.append(id)
                }
            }
        }
        if let value = fields[5] {
            project.archived = bool(value, field: "archived") ?? false
        }
        if let value = fields[6] {
            if document.isNull(value) {
                error(value, "members must be a list: use [] for a project with no members, or remove the key to leave its membership unmanaged")
            } else if let items = list(value, what: "members") {
                var members: [DesiredMember] = []
                members.reserveCapacity(items.count)
                for item in items {
                    if let member = decodeMember(item) { members.append(member) }
                }
                project.members = members
            }
        }
        return valid ? project : nil
    }

    private mutating func decodeMember(_ node: NodeID) -> DesiredMember? {
        guard let fields = mapping(node, Self.member) else { return nil }
        let email = fields[0].flatMap { emailField($0) }
        let role = fields[1].flatMap { enumeration($0, field: "role", as: MemberRole.self) }
        guard let email, let role else { return nil }
        return DesiredMember(email: email, role: role, location: location(node))
    }

    // MARK: - Shapes

    /// The values of a mapping's known keys; reports unknown keys (with a suggestion), missing required keys
    /// and non-scalar keys.
    private mutating func mapping(_ node: NodeID, _ section: Section) -> Fields? {
        guard document.kind(node) == .mapping else {
            error(node, "expected \(section.what) to be a mapping, found \(document.kindDescription(node))")
            return nil
        }
        var fields = Fields()
        for index in 0..<document.pairCount(node) {
            let key = document.key(node, index)
            guard document.kind(key) == .scalar else {
                error(key, "mapping keys must be plain strings, found \(document.kindDescription(key))")
                continue
            }
            if section.ignoresXPrefix, document.scalarHasPrefix(key, "x-") { continue }
            guard let slot = section.keys.firstIndex(where: { document.scalarEquals(key, $0) }) else {
                let name = document.scalar(key) ?? ""
                let place = section.what.hasPrefix("the ") ? section.what : "in \(section.what)"
                error(key, "unknown key '\(name)' \(place)\(Suggestion.hint(for: name, in: section.names))")
                continue
            }
            fields[slot] = document.value(node, index)
        }
        for slot in section.required where fields[slot] == nil {
            error(node, "\(section.what) needs '\(section.keys[slot])'")
        }
        return fields
    }

    private mutating func list(_ node: NodeID, what: String) -> ArraySlice<NodeID>? {
        guard document.kind(node) == .sequence else {
            error(node, "expected '\(what)' to be a list, found \(document.kindDescription(node))")
            return nil
        }
        return document.children(node)
    }

    // MARK: - Scalars

    private mutating func string(_ node: NodeID, field: String) -> String? {
        guard let value = document.scalar(node) else {
            error(node, "expected a string for '\(field)', found \(document.kindDescription(node))")
            return nil
        }
        if document.isNull(node) {
            error(node, "'\(field)' must not be null")
            return nil
        }
        return value
    }

    private mutating func nullableString(_ node: NodeID, field: String) -> FieldValue<String> {
        if document.isNull(node) { return .null }
        return string(node, field: field).map { .value($0) } ?? .absent
    }

    private mutating func externalIDField(_ node: NodeID, field: String) -> String? {
        guard let value = string(node, field: field) else { return nil }
        if value.isEmpty {
            error(node, "\(field) must not be empty")
            return nil
        }
        if value.utf8.count > Self.maxExternalIDLength, value.count > Self.maxExternalIDLength {
            error(node, "\(field) is \(value.count) characters long; Cogram allows at most \(Self.maxExternalIDLength)")
            return nil
        }
        let hasSpace = value.utf8.allSatisfy({ $0 < 0x80 })
            ? value.utf8.contains(where: { $0 == 0x20 || (0x09...0x0D).contains($0) })
            : value.contains(where: { $0.isWhitespace || $0.isNewline })
        if hasSpace {
            error(node, "\(field) '\(value)' contains white space")
            return nil
        }
        return value
    }

    private mutating func emailField(_ node: NodeID) -> String? {
        guard let value = string(node, field: "email") else { return nil }
        guard Self.isPlausibleEmail(value) else {
            error(node, "invalid email '\(value)'")
            return nil
        }
        return value
    }

    /// One `@`, a non-empty local part, a dotted domain, no white space: what can be checked offline.
    static func isPlausibleEmail(_ value: String) -> Bool {
        // Nearly every email is ASCII; checking its bytes gives the same answer as the Character rules below
        // (for ASCII, `isWhitespace` is exactly 0x09–0x0D and space) without Unicode property lookups, which
        // were a third of the time spent loading a large organization.
        if value.utf8.allSatisfy({ $0 < 0x80 }) { return isPlausibleASCIIEmail(value.utf8) }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, value.count <= 254 else { return false }
        let domain = parts[1]
        guard !value.contains(where: { $0.isWhitespace || $0 == "," || $0 == "<" || $0 == ">" }) else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty }
    }

    private static func isPlausibleASCIIEmail(_ bytes: String.UTF8View) -> Bool {
        guard bytes.count <= 254 else { return false }
        var atCount = 0
        var localLength = 0
        var domainLength = 0
        var domainDots = 0
        var previous: UInt8 = 0
        for byte in bytes {
            switch byte {
            case 0x09...0x0D, UInt8(ascii: " "), UInt8(ascii: ","), UInt8(ascii: "<"), UInt8(ascii: ">"):
                return false
            case UInt8(ascii: "@"):
                atCount += 1
            default:
                if atCount == 0 {
                    localLength += 1
                } else {
                    // Labels must be non-empty: no dot first, last or twice in a row in the domain.
                    if byte == UInt8(ascii: ".") {
                        if domainLength == 0 || previous == UInt8(ascii: ".") { return false }
                        domainDots += 1
                    }
                    domainLength += 1
                }
            }
            previous = byte
        }
        return atCount == 1 && localLength > 0 && domainDots > 0 && previous != UInt8(ascii: ".")
    }

    private mutating func bool(_ node: NodeID, field: String) -> Bool? {
        let tag = document.tag(node)
        if document.isPlain(node), tag == nil || tag == .bool, let value = document.boolText(node) {
            return value
        }
        error(node, "expected true or false for '\(field)', found \(describe(node))")
        return nil
    }

    private mutating func enumeration<E: RawRepresentable & CaseIterable>(_ node: NodeID, field: String, as: E.Type) -> E?
    where E.RawValue == String {
        guard let value = string(node, field: field) else { return nil }
        if let result = E(rawValue: value) { return result }
        let names = E.allCases.map(\.rawValue)
        error(node, "invalid \(field) '\(value)'; expected one of \(names.joined(separator: ", "))\(Suggestion.hint(for: value, in: names))")
        return nil
    }

    // MARK: - Helpers

    private func describe(_ node: NodeID) -> String {
        guard let text = document.scalar(node) else { return document.kindDescription(node) }
        if document.isNull(node) { return "null" }
        return document.isPlain(node) ? "'\(text)'" : "the string \"\(text)\""
    }

    private func location(_ node: NodeID) -> SourceLocation {
        let mark = document.mark(node)
        return SourceLocation(file: file, line: mark.line, column: mark.column)
    }

    private mutating func error(_ node: NodeID, _ message: String) {
        diagnostics.append(Diagnostic(.error, at: location(node), message))
    }
}
