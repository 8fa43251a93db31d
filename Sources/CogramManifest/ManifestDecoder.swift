/// One file's contribution to the desired state, before files are merged.
struct ManifestFragment: Sendable {
    var ownership: Ownership?
    var users: [DesiredUser] = []
    var projects: [DesiredProject] = []
    /// Parallel to `projects`: false for a project with errors of its own, kept only so that a duplicate of its
    /// external_id is still reported.
    var projectIsComplete: [Bool] = []
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

    static let maxNameLength = 200

    mutating func decode() -> ManifestFragment {
        let root = document.root
        var fragment = ManifestFragment()
        guard let fields = mapping(root, TopLevelKey.self) else { return fragment }
        if let version = fields[.version] {
            let tag = document.tag(version)
            if !(document.scalarEquals(version, "1") && (tag == nil || tag == .int) && document.isPlain(version)) {
                error(version, "unsupported manifest version \(describe(version)); this cogramctl reads 'version: 1'")
            }
        } else {
            error(root, "missing 'version: 1' at the top of the manifest")
        }
        if let ownership = fields[.ownership] {
            fragment.ownership = decodeOwnership(ownership)
        }
        if let users = fields[.users], let items = list(users, what: "users") {
            for item in items {
                if let user = decodeUser(item) { fragment.users.append(user) }
            }
        }
        if let projects = fields[.projects], let items = list(projects, what: "projects") {
            fragment.projects.reserveCapacity(items.count)
            for item in items {
                if let (project, complete) = decodeProject(item) {
                    fragment.projects.append(project)
                    fragment.projectIsComplete.append(complete)
                }
            }
        }
        return fragment
    }

    // MARK: - Sections

    private mutating func decodeOwnership(_ node: NodeID) -> Ownership? {
        guard let fields = mapping(node, OwnershipKey.self) else { return nil }
        var prefix: String?
        if let value = fields[.externalIDPrefix] {
            prefix = string(value, field: "external_id_prefix")
            if prefix?.isEmpty == true {
                error(value, "external_id_prefix must not be empty; remove it to manage every project with an external_id")
                prefix = nil
            }
        }
        return Ownership(externalIDPrefix: prefix, location: location(node))
    }

    private mutating func decodeUser(_ node: NodeID) -> DesiredUser? {
        guard let fields = mapping(node, UserKey.self) else { return nil }
        // Every field is checked even when an earlier one is wrong, so that one run shows every error.
        let email = fields[.email].flatMap { emailField($0) }
        var user = DesiredUser(email: email ?? "", location: location(node))
        if let role = fields[.role] {
            user.role = enumeration(role, field: "role", as: UserRole.self)
        }
        if let externalID = fields[.externalID] {
            user.externalID = nullableString(externalID, field: "external_id")
            if case .value(let v) = user.externalID, v.isEmpty {
                error(externalID, "external_id must not be empty; use null to clear it")
            }
        }
        return email == nil ? nil : user
    }

    /// The project and whether it is free of errors; nil when not even its external_id could be read.
    private mutating func decodeProject(_ node: NodeID) -> (DesiredProject, Bool)? {
        guard let fields = mapping(node, ProjectKey.self) else { return nil }
        var valid = fields[.externalID] != nil && fields[.name] != nil
        var externalID: String?
        if let value = fields[.externalID] {
            externalID = externalIDField(value, field: "external_id")
            if externalID == nil { valid = false }
        }
        var name = ""
        if let value = fields[.name] {
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
        var project = DesiredProject(externalID: externalID ?? "", name: name, location: location(node))
        if let value = fields[.description] {
            project.description = nullableString(value, field: "description")
        }
        if let value = fields[.id] {
            project.id = string(value, field: "id")
            if project.id?.isEmpty == true {
                error(value, "id must not be empty")
                project.id = nil
            }
        }
        if let value = fields[.previousExternalIDs], let items = list(value, what: "previous_external_ids") {
            for item in items {
                if let id = externalIDField(item, field: "previous_external_ids entry") {
                    project.previousExternalIDs.append(id)
                }
            }
        }
        if let value = fields[.archived] {
            project.archived = bool(value, field: "archived") ?? false
        }
        if let value = fields[.members] {
            if document.isNull(value) {
                error(value, "members must be a list: use [] for a project with no members, or remove the key to leave its membership unmanaged")
            } else if let items = list(value, what: "members") {
                var members: [DesiredMember] = []
                members.reserveCapacity(items.count)
                // Duplicates are found among every entry with a readable email, even one with other errors.
                var seen: [String: SourceLocation] = [:]
                seen.reserveCapacity(items.count)
                for item in items {
                    let (email, member) = decodeMember(item)
                    if let email {
                        let at = location(item)
                        if let first = seen.updateValue(at, forKey: normalizeEmail(email)) {
                            seen[normalizeEmail(email)] = first
                            let which = externalID.map { "in project '\($0)'" } ?? "in this project"
                            error(item, "duplicate member '\(email)' \(which); first listed at \(first)")
                            continue
                        }
                    }
                    if let member { members.append(member) }
                }
                project.members = members
            }
        }
        return externalID == nil ? nil : (project, valid)
    }

    /// The entry's email when it could be read, and the member when the whole entry is valid.
    private mutating func decodeMember(_ node: NodeID) -> (String?, DesiredMember?) {
        guard let fields = mapping(node, MemberKey.self) else { return (nil, nil) }
        let email = fields[.email].flatMap { emailField($0) }
        let role = fields[.role].flatMap { enumeration($0, field: "role", as: MemberRole.self) }
        guard let email, let role else { return (email, nil) }
        return (email, DesiredMember(email: email, role: role, location: location(node)))
    }

    // MARK: - Shapes

    /// The values of a mapping's known keys; reports unknown keys (with a suggestion), missing required keys
    /// and non-scalar keys.
    private mutating func mapping<Key: SectionKey>(_ node: NodeID, _: Key.Type) -> Fields<Key>? {
        guard document.kind(node) == .mapping else {
            error(node, "expected \(Key.what) to be a mapping, found \(document.kindDescription(node))")
            return nil
        }
        var fields = Fields<Key>()
        for index in 0..<document.pairCount(node) {
            let key = document.key(node, index)
            guard document.kind(key) == .scalar else {
                error(key, "mapping keys must be plain strings, found \(document.kindDescription(key))")
                continue
            }
            if Key.ignoresXPrefix, document.scalarHasPrefix(key, "x-") { continue }
            guard let known = Key.allCases.first(where: { document.scalarEquals(key, $0.text) }) else {
                let name = document.scalar(key) ?? ""
                let place = Key.what.hasPrefix("the ") ? "at \(Key.what)" : "in \(Key.what)"
                error(key, "unknown key '\(name)' \(place)\(Suggestion.hint(for: name, in: Key.allCases.map { "\($0.text)" }))")
                continue
            }
            fields[known] = document.value(node, index)
        }
        for key in Key.required where fields[key] == nil {
            error(node, "\(Key.what) needs '\(key.text)'")
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
        switch ExternalIDRule.violation(of: value) {
        case nil:
            return value
        case .empty:
            error(node, "\(field) must not be empty")
        case .tooLong(let characters):
            error(node, "\(field) is \(characters) characters long; Cogram allows at most \(ExternalIDRule.maxLength)")
        case .whiteSpace:
            error(node, "\(field) '\(value)' contains white space")
        }
        return nil
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
