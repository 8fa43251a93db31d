/// One file's contribution to the desired state, before files are merged.
struct ManifestFragment: Sendable {
    var ownership: Ownership?
    var users: [DesiredUser] = []
    var projects: [DesiredProject] = []
}

/// Decodes a composed YAML tree into the typed model, typing scalars by the schema (never by YAML 1.1
/// guessing) and collecting every problem rather than stopping at the first.
struct ManifestDecoder {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    static let topLevelKeys = ["version", "ownership", "users", "projects"]
    static let ownershipKeys = ["external_id_prefix"]
    static let userKeys = ["email", "role", "external_id"]
    static let projectKeys = ["external_id", "name", "description", "id", "previous_external_ids", "archived", "members"]
    static let memberKeys = ["email", "role"]

    static let maxNameLength = 200
    static let maxExternalIDLength = 128

    mutating func decode(_ root: YAMLNode) -> ManifestFragment {
        var fragment = ManifestFragment()
        guard let fields = mapping(root, what: "the top level of a manifest", allowed: Self.topLevelKeys, ignoresXPrefix: true) else {
            return fragment
        }
        if let version = fields["version"] {
            if !(version.value.scalar == "1" && (version.value.tag == nil || version.value.tag == YAMLTag.int)
                && isPlain(version.value)) {
                error(version.value, "unsupported manifest version \(describe(version.value)); this cogramctl reads 'version: 1'")
            }
        } else {
            error(root, "missing 'version: 1' at the top of the manifest")
        }
        if let ownership = fields["ownership"] {
            fragment.ownership = decodeOwnership(ownership.value)
        }
        if let users = fields["users"] {
            for item in list(users.value, what: "users") ?? [] {
                if let user = decodeUser(item) { fragment.users.append(user) }
            }
        }
        if let projects = fields["projects"] {
            for item in list(projects.value, what: "projects") ?? [] {
                if let project = decodeProject(item) { fragment.projects.append(project) }
            }
        }
        return fragment
    }

    // MARK: - Sections

    private mutating func decodeOwnership(_ node: YAMLNode) -> Ownership? {
        guard let fields = mapping(node, what: "ownership", allowed: Self.ownershipKeys) else { return nil }
        var prefix: String?
        if let value = fields["external_id_prefix"] {
            prefix = string(value.value, field: "external_id_prefix")
            if prefix?.isEmpty == true {
                error(value.value, "external_id_prefix must not be empty; remove it to manage every project with an external_id")
                prefix = nil
            }
        }
        return Ownership(externalIDPrefix: prefix, location: location(node))
    }

    private mutating func decodeUser(_ node: YAMLNode) -> DesiredUser? {
        guard let fields = mapping(node, what: "a user", allowed: Self.userKeys, required: ["email"]) else { return nil }
        // Every field is checked even when an earlier one is wrong, so that one run shows every error.
        let email = fields["email"].flatMap { emailField($0.value) }
        var user = DesiredUser(email: email ?? "", location: location(node))
        if let role = fields["role"] {
            user.role = enumeration(role.value, field: "role", as: UserRole.self)
        }
        if let externalID = fields["external_id"] {
            user.externalID = nullableString(externalID.value, field: "external_id")
            if case .value(let v) = user.externalID, v.isEmpty {
                error(externalID.value, "external_id must not be empty; use null to clear it")
            }
        }
        return email == nil ? nil : user
    }

    private mutating func decodeProject(_ node: YAMLNode) -> DesiredProject? {
        guard let fields = mapping(node, what: "a project", allowed: Self.projectKeys, required: ["external_id", "name"]) else {
            return nil
        }
        var valid = fields["external_id"] != nil && fields["name"] != nil
        var externalID = ""
        if let pair = fields["external_id"] {
            if let value = externalIDField(pair.value, field: "external_id") { externalID = value } else { valid = false }
        }
        var name = ""
        if let pair = fields["name"] {
            if let value = string(pair.value, field: "name") {
                if value.allSatisfy(\.isWhitespace) {
                    error(pair.value, "name must not be empty")
                    valid = false
                } else if value.count > Self.maxNameLength {
                    error(pair.value, "name is \(value.count) characters long; Cogram allows at most \(Self.maxNameLength)")
                    valid = false
                }
                name = value
            } else {
                valid = false
            }
        }
        var project = DesiredProject(externalID: externalID, name: name, location: location(node))
        if let pair = fields["description"] {
            project.description = nullableString(pair.value, field: "description")
        }
        if let pair = fields["id"] {
            project.id = string(pair.value, field: "id")
            if project.id?.isEmpty == true {
                error(pair.value, "id must not be empty")
                project.id = nil
            }
        }
        if let pair = fields["previous_external_ids"] {
            for item in list(pair.value, what: "previous_external_ids") ?? [] {
                if let value = externalIDField(item, field: "previous_external_ids entry") {
                    project.previousExternalIDs.append(value)
                }
            }
        }
        if let pair = fields["archived"] {
            project.archived = bool(pair.value, field: "archived") ?? false
        }
        if let pair = fields["members"] {
            if pair.value.isNull {
                error(pair.value, "members must be a list: use [] for a project with no members, or remove the key to leave its membership unmanaged")
            } else if let items = list(pair.value, what: "members") {
                project.members = items.compactMap { decodeMember($0) }
            }
        }
        return valid ? project : nil
    }

    private mutating func decodeMember(_ node: YAMLNode) -> DesiredMember? {
        guard let fields = mapping(node, what: "a member", allowed: Self.memberKeys, required: ["email", "role"]) else {
            return nil
        }
        let email = fields["email"].flatMap { emailField($0.value) }
        let role = fields["role"].flatMap { enumeration($0.value, field: "role", as: MemberRole.self) }
        guard let email, let role else { return nil }
        return DesiredMember(email: email, role: role, location: location(node))
    }

    // MARK: - Shapes

    /// The pairs of a mapping by key; reports unknown keys (with a suggestion), missing required keys and
    /// non-scalar keys.
    private mutating func mapping(
        _ node: YAMLNode, what: String, allowed: [String], required: [String] = [], ignoresXPrefix: Bool = false
    ) -> [String: YAMLPair]? {
        guard case .mapping(let pairs) = node.content else {
            error(node, "expected \(what) to be a mapping, found \(node.kindDescription)")
            return nil
        }
        var fields: [String: YAMLPair] = [:]
        for pair in pairs {
            guard let key = pair.key.scalar else {
                error(pair.key, "mapping keys must be plain strings, found \(pair.key.kindDescription)")
                continue
            }
            if ignoresXPrefix, key.hasPrefix("x-") { continue }
            guard allowed.contains(key) else {
                let place = what.hasPrefix("the ") ? what : "in \(what)"
                error(pair.key, "unknown key '\(key)' \(place)\(Suggestion.hint(for: key, in: allowed))")
                continue
            }
            fields[key] = pair
        }
        for key in required where fields[key] == nil {
            if !pairs.contains(where: { $0.key.scalar == key }) {
                error(node, "\(what) needs '\(key)'")
            }
        }
        return fields
    }

    private mutating func list(_ node: YAMLNode, what: String) -> [YAMLNode]? {
        guard case .sequence(let items) = node.content else {
            error(node, "expected '\(what)' to be a list, found \(node.kindDescription)")
            return nil
        }
        return items
    }

    // MARK: - Scalars

    private mutating func string(_ node: YAMLNode, field: String) -> String? {
        guard case .scalar(let value, _) = node.content else {
            error(node, "expected a string for '\(field)', found \(node.kindDescription)")
            return nil
        }
        if node.isNull {
            error(node, "'\(field)' must not be null")
            return nil
        }
        return value
    }

    private mutating func nullableString(_ node: YAMLNode, field: String) -> FieldValue<String> {
        if node.isNull { return .null }
        return string(node, field: field).map { .value($0) } ?? .absent
    }

    private mutating func externalIDField(_ node: YAMLNode, field: String) -> String? {
        guard let value = string(node, field: field) else { return nil }
        if value.isEmpty {
            error(node, "\(field) must not be empty")
            return nil
        }
        if value.count > Self.maxExternalIDLength {
            error(node, "\(field) is \(value.count) characters long; Cogram allows at most \(Self.maxExternalIDLength)")
            return nil
        }
        if value.contains(where: { $0.isWhitespace || $0.isNewline }) {
            error(node, "\(field) '\(value)' contains white space")
            return nil
        }
        return value
    }

    private mutating func emailField(_ node: YAMLNode) -> String? {
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

    private mutating func bool(_ node: YAMLNode, field: String) -> Bool? {
        if isPlain(node), node.tag == nil || node.tag == YAMLTag.bool, let s = node.scalar {
            switch s {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        error(node, "expected true or false for '\(field)', found \(describe(node))")
        return nil
    }

    private mutating func enumeration<E: RawRepresentable & CaseIterable>(_ node: YAMLNode, field: String, as: E.Type) -> E?
    where E.RawValue == String {
        guard let value = string(node, field: field) else { return nil }
        if let result = E(rawValue: value) { return result }
        let names = E.allCases.map(\.rawValue)
        error(node, "invalid \(field) '\(value)'; expected one of \(names.joined(separator: ", "))\(Suggestion.hint(for: value, in: names))")
        return nil
    }

    // MARK: - Helpers

    private func isPlain(_ node: YAMLNode) -> Bool {
        if case .scalar(_, .plain) = node.content { return true }
        return false
    }

    private func describe(_ node: YAMLNode) -> String {
        switch node.content {
        case .scalar(let s, let style):
            if node.isNull { return "null" }
            return style == .plain ? "'\(s)'" : "the string \"\(s)\""
        default:
            return node.kindDescription
        }
    }

    private func location(_ node: YAMLNode) -> SourceLocation {
        SourceLocation(file: file, line: node.mark.line, column: node.mark.column)
    }

    private mutating func error(_ node: YAMLNode, _ message: String) {
        diagnostics.append(Diagnostic(.error, at: location(node), message))
    }
}
