/// One file's contribution to the desired state, before files are merged.
struct ManifestFragment: Sendable {
    var organization: OrganizationSection?
    /// True when the file has an `organization` key, valid or not: its folder may be a root even when the
    /// section did not decode.
    var declaresOrganization = false
    var offboarded: [OffboardedPerson] = []
    var offboardedLocation: SourceLocation?
    var ownership: Ownership?
    var policies: Policies?
    var users: [DesiredUser] = []
    var groups: [DesiredGroup] = []
    var projects: [ProjectEntry] = []
}

/// A project as one file states it, before groups (which any file may define) are expanded.
struct ProjectEntry: Sendable {
    /// Its `members` are set once the entries are expanded.
    var project: DesiredProject
    /// False for a project with errors of its own, kept only so that a duplicate of its external_id is still
    /// reported.
    var isComplete: Bool
    /// The member entries when one of them is a group reference, which `GroupExpansion` expands; nil otherwise
    /// (the project's `members` are then its entries).
    var groupedEntries: [MemberEntry]?
}

typealias MemberEntry = DesiredMemberEntry

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
    /// Shared by the files of one load (the loader swaps it in and out), so each email is made once per load.
    var emails = EmailTable()

    init(file: String, document: YAMLDocument) {
        self.file = file
        self.document = document
    }

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
        if let organization = fields[.organization] {
            fragment.declaresOrganization = true
            fragment.organization = decodeOrganization(organization)
        }
        if let offboarded = fields[.offboarded] {
            fragment.offboardedLocation = location(offboarded)
            if let items = list(offboarded, what: "offboarded") {
                var seen: [String: SourceLocation] = [:]
                for item in items {
                    guard let person = decodeOffboarded(item) else { continue }
                    if let first = seen[person.normalizedEmail] {
                        error(item, "'\(person.email)' is listed twice in offboarded; first listed at \(first)")
                        continue
                    }
                    seen[person.normalizedEmail] = person.location
                    fragment.offboarded.append(person)
                }
            }
        }
        if let ownership = fields[.ownership] {
            fragment.ownership = decodeOwnership(ownership)
        }
        if let policies = fields[.policies] {
            fragment.policies = decodePolicies(policies)
        }
        if let groups = fields[.groups], let items = list(groups, what: "groups") {
            for item in items {
                if let group = decodeGroup(item) { fragment.groups.append(group) }
            }
        }
        if let users = fields[.users], let items = list(users, what: "users") {
            for item in items {
                if let user = decodeUser(item) { fragment.users.append(user) }
            }
        }
        if let projects = fields[.projects], let items = list(projects, what: "projects") {
            fragment.projects.reserveCapacity(items.count)
            for item in items {
                if let project = decodeProject(item) { fragment.projects.append(project) }
            }
        }
        return fragment
    }

    // MARK: - Sections

    private mutating func decodeOrganization(_ node: NodeID) -> OrganizationSection? {
        guard let fields = mapping(node, OrganizationKey.self) else { return nil }
        var valid = true
        var name = ""
        if let value = fields[.name], let text = string(value, field: "name") {
            if text.allSatisfy(\.isWhitespace) {
                error(value, "organization name must not be empty")
                valid = false
            } else if text.count > OrganizationSection.maxNameLength {
                error(value, "organization name is \(text.count) characters long; at most \(OrganizationSection.maxNameLength) are allowed")
                valid = false
            } else if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                error(value, "organization name must not contain control characters")
                valid = false
            } else if text.contains(",") {
                error(value, "organization name must not contain a comma (it is a label in metrics and CSV)")
                valid = false
            }
            name = text
        } else {
            valid = false
        }
        var section = OrganizationSection(name: name, location: location(node), root: "")
        if let value = fields[.anchor] {
            section.anchor = string(value, field: "anchor")
            if section.anchor?.isEmpty == true {
                error(value, "anchor must not be empty; it is the id of a user of this organization")
                valid = false
            }
        }
        if let value = fields[.apiKeyEnv], let variable = string(value, field: "api_key_env") {
            if OrganizationSection.isValidKeyVariable(variable) {
                section.apiKeyEnv = variable
            } else {
                error(value, "api_key_env '\(variable)' must be COGRAM_API_KEY or COGRAM_API_KEY_ followed by A-Z, 0-9 or '_' (for example COGRAM_API_KEY_ACME_US)")
                valid = false
            }
        }
        return valid ? section : nil
    }

    private mutating func decodeOffboarded(_ node: NodeID) -> OffboardedPerson? {
        guard let fields = mapping(node, OffboardedKey.self) else { return nil }
        let email = fields[.email].flatMap { emailField($0) }
        var person = OffboardedPerson(email: email ?? "", location: location(node))
        var valid = true
        if let value = fields[.date] {
            person.date = day(value, field: "date")
            if person.date == nil { valid = false }
        }
        if let value = fields[.orgRole] {
            person.orgRole = enumeration(value, field: "org_role", as: OrganizationRole.self)
            if person.orgRole == nil { valid = false }
        }
        return email != nil && valid ? person : nil
    }

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
            user.role = enumeration(role, field: "role", as: OrganizationRole.self)
        }
        if let externalID = fields[.externalID] {
            user.externalID = nullableString(externalID, field: "external_id")
            if case .value(let v) = user.externalID, v.isEmpty {
                error(externalID, "external_id must not be empty; use null to clear it")
            }
        }
        if let value = fields[.expires] {
            user.expires = day(value, field: "expires")
        }
        if let value = fields[.then] {
            user.then = enumeration(value, field: "then", as: OrganizationRole.self)
            if fields[.expires] == nil {
                error(value, "'then' is the role after 'expires'; add 'expires: YYYY-MM-DD' or remove 'then'")
            }
        } else if fields[.expires] != nil {
            error(node, "a user with 'expires' needs 'then': the organization role from the day after (admin, member or guest)")
        }
        return email == nil ? nil : user
    }

    /// nil when not even the project's external_id could be read.
    private mutating func decodeProject(_ node: NodeID) -> ProjectEntry? {
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
                } else if !ContractLimits.fits(text, ContractLimits.projectName) {
                    error(value, "name is \(ContractLimits.length(of: text)) characters long; Cogram allows at most \(ContractLimits.projectName.upperBound)")
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
        var groupedEntries: [MemberEntry]?
        if let value = fields[.members] {
            if document.isNull(value) {
                error(value, "members must be a list: use [] for a project with no members, or remove the key to leave its membership unmanaged")
            } else if let items = list(value, what: "members") {
                let (grouped, direct, complete) = decodeMemberEntries(items, project: externalID)
                groupedEntries = grouped
                // Without group references the members are the direct entries; group expansion fills in the rest.
                project.members = grouped == nil ? direct : []
                if !complete { valid = false }
            }
        }
        return externalID == nil ? nil : ProjectEntry(project: project, isComplete: valid, groupedEntries: groupedEntries)
    }

    /// A project's member entries when one is a group reference (else nil: the entries are the direct members),
    /// its direct members, and whether every entry is valid. Duplicates are found among every entry whose email or
    /// group could be read, even one with other errors.
    private mutating func decodeMemberEntries(_ items: ArraySlice<NodeID>, project: String?) -> ([MemberEntry]?, [DesiredMember], Bool) {
        // Made for messages only: most projects have none.
        var which: String { project.map { "in project '\($0)'" } ?? "in this project" }
        // Each member is written once: into `direct`, and into `grouped` only from the first group reference on.
        var grouped: [MemberEntry]?
        var direct: [DesiredMember] = []
        direct.reserveCapacity(items.count)
        var complete = true
        // The first entry's node, not its location: a location is made only for a duplicate.
        // The table is held in a local variable meanwhile, so that `plainMember` can fill it without mutable access
        // to the decoder (which would make each read of the document retain its arrays).
        var emails = EmailTable()
        swap(&emails, &self.emails)
        defer { swap(&emails, &self.emails) }
        emails.startList()
        var groups: [String: NodeID] = [:]
        for item in items {
            // The usual entry, straight to its member: no tuple of optionals to copy for each of many thousands.
            if let plain = plainMember(item, emails: &emails) {
                if let first = emails.firstInList(plain.key, at: item) {
                    error(item, "duplicate member '\(emails.email(plain.email))' \(which); first listed at \(location(first))")
                    complete = false
                    continue
                }
                direct.append(DesiredMember(email: emails.email(plain.email), role: plain.role, location: location(item)))
                if grouped != nil, let member = direct.last { grouped?.append(.direct(member)) }
                continue
            }
            let (key, entry) = decodeMemberEntry(item)
            if entry == nil { complete = false }
            switch key {
            case .email(let email)?:
                if let first = emails.firstInList(emails.key(normalized: normalizeEmail(email)), at: item) {
                    error(item, "duplicate member '\(email)' \(which); first listed at \(location(first))")
                    complete = false
                    continue
                }
            case .group(let name)?:
                if let first = groups[name] {
                    error(item, "group '\(name)' is listed twice \(which); first listed at \(location(first))")
                    complete = false
                    continue
                }
                groups[name] = item
            case nil:
                break
            }
            if let entry {
                switch entry {
                case .direct(let member):
                    grouped?.append(entry)
                    direct.append(member)
                case .group:
                    if grouped == nil {
                        grouped = direct.map(MemberEntry.direct)
                        grouped?.reserveCapacity(items.count)
                    }
                    grouped?.append(entry)
                }
            }
        }
        return (grouped, direct, complete)
    }

    private enum EntryKey {
        case email(String)
        case group(String)
    }

    /// The entry's email or group when it could be read, and the entry when it is wholly valid.
    private mutating func decodeMemberEntry(_ node: NodeID) -> (EntryKey?, MemberEntry?) {
        guard let fields = mapping(node, MemberKey.self) else { return (nil, nil) }
        let role = fields[.role].flatMap { knownProjectRole($0) ?? enumeration($0, field: "role", as: ProjectRole.self) }
        let roleIsValid = fields[.role] == nil || role != nil
        let expires = fields[.expires].flatMap { day($0, field: "expires") }
        let expiresIsValid = fields[.expires] == nil || expires != nil
        if let groupNode = fields[.group] {
            guard fields[.email] == nil else {
                error(node, "a member entry has either 'email' and 'role' or 'group' (with an optional 'role'), not both 'email' and 'group'")
                return (nil, nil)
            }
            guard let name = string(groupNode, field: "group") else { return (nil, nil) }
            guard roleIsValid, expiresIsValid else { return (.group(name), nil) }
            return (.group(name), .group(DesiredGroupReference(name: name, role: role, expires: expires, location: location(node))))
        }
        if fields[.email] == nil { error(node, "a member needs 'email' (or 'group' to include a group)") }
        if fields[.role] == nil { error(node, "a member needs 'role'") }
        let email = fields[.email].flatMap { emailField($0) }
        guard let email else { return (nil, nil) }
        guard let role, expiresIsValid else { return (.email(email), nil) }
        return (.email(email), .direct(DesiredMember(email: email, role: role, location: location(node), expires: expires)))
    }

    /// The usual member entry, a valid `email` and `role` and no other key, read by a path that has nothing to
    /// report; nil sends the entry through the checks that report (and give the same member when there is nothing
    /// to report). Gives the email's entry in `emails`, the role and the number of the normalized email: values
    /// without references, so that the caller makes the member where it is kept instead of copying it there.
    private func plainMember(_ node: NodeID, emails: inout EmailTable) -> (email: Int, role: ProjectRole, key: Int32)? {
        guard document.kind(node) == .mapping, document.pairCount(node) == 2 else { return nil }
        var emailNode: NodeID = -1
        var roleNode: NodeID = -1
        for index in 0..<2 {
            let key = document.key(node, index)
            if document.scalarEquals(key, "email") {
                emailNode = document.value(node, index)
            } else if document.scalarEquals(key, "role") {
                roleNode = document.value(node, index)
            } else {
                return nil
            }
        }
        // An untagged scalar: null (`~`, `null`, nothing) has no '@', so `isPlausible` sends it to the path that
        // reports it, as it does a tag.
        guard emailNode >= 0, roleNode >= 0, let role = knownProjectRole(roleNode),
              document.kind(emailNode) == .scalar, document.tag(emailNode) == nil else { return nil }
        // The email's `String`, its check and its normalized number are found by its bytes, made for the first
        // entry that has them (the same bytes make the same `String`, so the answers are those of `emailField`).
        let entry = document.withScalarBytes(emailNode) { bytes in emails.intern(bytes) }
        guard emails.isPlausible(entry) else { return nil }
        return (entry, role, emails.normalizedKey(entry))
    }

    /// A project role written as one of its names, found by comparing bytes; nil for anything else, which
    /// `enumeration` then reads or reports.
    private func knownProjectRole(_ node: NodeID) -> ProjectRole? {
        // Only an explicit `!!null` could make a role's name null; that is left to `enumeration` to report.
        guard document.kind(node) == .scalar, document.tag(node) != .null else { return nil }
        // The name's bytes as one word, compared with each role's: every entry of a large organization has a role.
        return document.withScalarBytes(node) { bytes -> ProjectRole? in
            // The length too: a word does not tell "owner" from "\0owner".
            switch bytes.count {
            case 5: return RoleWords.word(bytes) == RoleWords.owner ? .owner : nil
            case 6:
                let word = RoleWords.word(bytes)
                return word == RoleWords.editor ? .editor : word == RoleWords.viewer ? .viewer : nil
            default: return nil
            }
        }
    }

    private mutating func decodeGroup(_ node: NodeID) -> DesiredGroup? {
        guard let fields = mapping(node, GroupKey.self) else { return nil }
        var name: String?
        if let value = fields[.name], let text = string(value, field: "name") {
            if text.utf8.count > DesiredGroup.maxNameLength {
                error(value, "group name is \(text.count) characters long; at most \(DesiredGroup.maxNameLength) are allowed")
            } else if !DesiredGroup.isValidName(text) {
                error(value, "group name '\(text)' must be lower-case letters, digits and '-', starting with a letter or digit")
            } else {
                name = text
            }
        }
        var members: [DesiredMember] = []
        if let value = fields[.members] {
            if document.isNull(value) {
                error(value, "members must be a list: use [] for a group with no members")
            } else if let items = list(value, what: "members") {
                var seen: [String: SourceLocation] = [:]
                for item in items {
                    guard let member = decodeGroupMember(item) else { continue }
                    if let first = seen[member.normalizedEmail] {
                        error(item, "duplicate member '\(member.email)' in group '\(name ?? "")'; first listed at \(first)")
                        continue
                    }
                    seen[member.normalizedEmail] = member.location
                    members.append(member)
                }
            }
        }
        // A group whose name could be read is kept even with other errors, so that its uses are not reported
        // as unknown.
        return name.map { DesiredGroup(name: $0, members: members, location: location(node)) }
    }

    private mutating func decodeGroupMember(_ node: NodeID) -> DesiredMember? {
        guard let fields = mapping(node, GroupMemberKey.self) else { return nil }
        let email = fields[.email].flatMap { emailField($0) }
        let role = fields[.role].flatMap { enumeration($0, field: "role", as: ProjectRole.self) }
        let expires = fields[.expires].flatMap { day($0, field: "expires") }
        guard let email, let role, fields[.expires] == nil || expires != nil else { return nil }
        return DesiredMember(email: email, role: role, location: location(node), expires: expires)
    }

    private mutating func decodePolicies(_ node: NodeID) -> Policies? {
        guard let fields = mapping(node, PoliciesKey.self) else { return nil }
        var policies = Policies(location: location(node))
        if let value = fields[.minOwners] {
            policies.minOwners = wholeNumber(value, field: "min_owners", minimum: 0)
        }
        if let value = fields[.maxOwners] {
            policies.maxOwners = wholeNumber(value, field: "max_owners", minimum: 1)
        }
        if let low = policies.minOwners, let high = policies.maxOwners, low > high, let value = fields[.maxOwners] {
            error(value, "max_owners (\(high)) is less than min_owners (\(low)); no project could satisfy both")
        }
        if let value = fields[.guestMaxRole] {
            policies.guestMaxRole = enumeration(value, field: "guest_max_role", as: ProjectRole.self)
        }
        if let value = fields[.requireDescription] {
            policies.requireDescription = bool(value, field: "require_description") ?? false
        }
        if let value = fields[.externalIDPattern], let pattern = string(value, field: "external_id_pattern") {
            if case .failure = Policies.compile(pattern) {
                error(value, "external_id_pattern '\(pattern)' is not a valid ICU regular expression")
            } else {
                policies.externalIDPattern = pattern
            }
        }
        return policies
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
            var known: Key?
            var raw = 0
            while let candidate = Key(rawValue: raw) {
                if document.scalarEquals(key, candidate.text) {
                    known = candidate
                    break
                }
                raw += 1
            }
            guard let known else {
                // The walk above stops at the first raw value that is not a case: a key numbered past a gap would
                // read as unknown. `SectionKeyLayout` is what the tests check; this stops a debug build at once.
                assert(raw == Key.allCases.count, "\(Key.self) must number its cases 0, 1, 2… in order")
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
        var contiguous = value
        if let ascii = contiguous.withUTF8({ bytes in isPlausibleASCIIEmail(bytes) }) {
            return ascii
        }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, value.count <= 254 else { return false }
        let domain = parts[1]
        guard !value.contains(where: { $0.isWhitespace || $0 == "," || $0 == "<" || $0 == ">" }) else { return false }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty }
    }

    /// The answer for an all-ASCII email; nil when a byte is not ASCII (the Character rules decide then), so every
    /// byte is looked at before the answer is given.
    private static func isPlausibleASCIIEmail(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        // One pass ORs each byte's class from a table, so the loop over every byte has no hard-to-predict branch
        // (a comparison per character class mispredicted often); the domain is then looked at alone.
        var seen: UInt8 = 0
        var atCount = 0
        var atIndex = 0
        emailByteClasses.withUnsafeBufferPointer { classes in
            for index in bytes.indices {
                let byteClass = classes[Int(bytes[index])]
                seen |= byteClass
                if byteClass == EmailByteClass.at {
                    atCount += 1
                    atIndex = index
                }
            }
        }
        if seen & EmailByteClass.nonASCII != 0 { return nil }
        guard bytes.count <= 254, seen & EmailByteClass.excluded == 0, atCount == 1, atIndex > 0 else { return false }
        // Labels must be non-empty: no dot first, last or twice in a row in the domain, and at least one dot.
        let dot = UInt8(ascii: ".")
        let domain = UnsafeBufferPointer(rebasing: bytes[(atIndex + 1)...])
        guard let first = domain.first, first != dot, domain.last != dot else { return false }
        var dots = 0
        var previous: UInt8 = 0
        for byte in domain {
            if byte == dot {
                if previous == dot { return false }
                dots += 1
            }
            previous = byte
        }
        return dots > 0
    }

    private enum EmailByteClass {
        static let nonASCII: UInt8 = 1
        /// White space (0x09–0x0D, space), `,`, `<` and `>`.
        static let excluded: UInt8 = 2
        static let at: UInt8 = 4
    }

    private static let emailByteClasses: [UInt8] = (0...255).map { (value: Int) -> UInt8 in
        switch value {
        case 0x80...: EmailByteClass.nonASCII
        case 0x09...0x0D, 0x20, 0x2C, 0x3C, 0x3E: EmailByteClass.excluded
        case 0x40: EmailByteClass.at
        default: 0
        }
    }

    /// A plain decimal integer (no sign, at most 6 digits) of at least `minimum`.
    private mutating func wholeNumber(_ node: NodeID, field: String, minimum: Int) -> Int? {
        let tag = document.tag(node)
        if document.isPlain(node), tag == nil || tag == .int, let text = document.scalar(node), (1...6).contains(text.utf8.count),
           text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), let value = Int(text) {
            if value >= minimum { return value }
            error(node, "'\(field)' must be at least \(minimum)")
            return nil
        }
        error(node, "expected a whole number for '\(field)', found \(describe(node))")
        return nil
    }

    /// A UTC day written `YYYY-MM-DD` (plain or quoted).
    private mutating func day(_ node: NodeID, field: String) -> CalendarDay? {
        if document.kind(node) == .scalar, !document.isNull(node), let text = document.scalar(node), let day = CalendarDay(parsing: text) {
            return day
        }
        error(node, "expected a date YYYY-MM-DD for '\(field)', found \(describe(node))")
        return nil
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
        let (line, column) = document.position(node)
        return SourceLocation(file: file, line32: line, column32: column)
    }

    private mutating func error(_ node: NodeID, _ message: String) {
        diagnostics.append(Diagnostic(.error, at: location(node), message))
    }
}

/// Project roles' names as words, for `knownProjectRole`: the bytes of a name of at most eight bytes, in order.
private enum RoleWords {
    static func word(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var word: UInt64 = 0
        for byte in bytes { word = word << 8 | UInt64(byte) }
        return word
    }

    static func word(_ name: StaticString) -> UInt64 {
        name.withUTF8Buffer { word($0) }
    }

    static let owner = word("owner")
    static let editor = word("editor")
    static let viewer = word("viewer")
}
