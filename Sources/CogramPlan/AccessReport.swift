import CogramAPI
import CogramManifest
import Foundation

/// Who has access to what, for access reviews (`cogramctl access`): one grant per (user, project) membership that
/// Cogram holds, each with the manifest entry behind it.
public struct AccessReport: Sendable, Hashable {
    /// The organization's name from the manifests; nil for an unnamed organization.
    public var organizationName: String?
    public var anchor: String?
    public var apiURL: String
    /// Where the key of this run came from, for the header; nil: `api_key_env` or `COGRAM_API_KEY`.
    public var keySource: String?
    /// The manifests' `api_key_env`, for the header's default key source.
    public var apiKeyEnv: String?
    /// Sorted by email, then project external_id, then project id; every user (of those asked for) at least once.
    public var grants: [AccessGrant]
    /// Emails of users that no manifest names (as a user, a member, a group member or offboarded), sorted.
    public var usersInNoManifest: [String]
    public var offboardedWithAccess: [OffboardedAccess]
    /// Entries that expire within the warning window, in file order.
    public var expiring: [ExpiringAccess]
    /// The day the manifests were judged as of, and the warning window in days.
    public var day: CalendarDay
    public var window: Int
}

/// One row of the report: a membership, or a user with no membership (the project fields nil).
public struct AccessGrant: Sendable, Hashable {
    public var email: String
    public var userID: String
    public var organizationRole: String
    public var projectExternalID: String?
    public var projectID: String?
    public var projectName: String?
    public var projectStatus: String?
    public var projectRole: String?
    /// nil for a user with no membership.
    public var managedBy: ManagedBy?
}

/// What stands behind a membership.
public enum ManagedBy: Sendable, Hashable, CustomStringConvertible {
    /// The manifest entry that grants it (through a group: the group's member entry); `file` is relative to the
    /// organization root (or to the path argument).
    case entry(file: String, line: Int)
    /// The project is not managed, or its members are not.
    case unmanaged
    /// A managed member list that no entry grants: the next apply removes it.
    case notInManifests

    public var description: String {
        switch self {
        case .entry(let file, let line): "\(file):\(line)"
        case .unmanaged: "unmanaged"
        case .notInManifests: "not in manifests"
        }
    }
}

/// An `offboarded:` person who still holds memberships.
public struct OffboardedAccess: Sendable, Hashable {
    public var email: String
    /// The projects they are still a member of: external_id, or the id for a project without one; sorted.
    public var projects: [String]
    /// Where the `offboarded:` entry is, relative like `ManagedBy.entry`.
    public var location: String
}

/// A manifest entry that expires within the warning window.
public struct ExpiringAccess: Sendable, Hashable {
    public var email: String
    /// The project's external_id; nil for an organization role.
    public var project: String?
    public var role: String
    public var expires: CalendarDay
    public var location: String
}

/// Which manifest paths are shown relative to what: the organization root when the manifests have one, else the
/// folder of each path argument (a directory itself, a file's folder).
public struct ManifestPathBase: Sendable, Hashable {
    public var directories: [String]

    public init(directories: [String]) {
        self.directories = directories.map { $0.hasSuffix("/") && $0.count > 1 ? String($0.dropLast()) : $0 }
    }

    /// The folders of path arguments: a directory itself, a file's folder.
    public init(pathArguments paths: [String]) {
        self.init(directories: paths.map { path in
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { return path }
            let folder = (path as NSString).deletingLastPathComponent
            return folder.isEmpty ? "." : folder
        })
    }

    /// `file` relative to the first directory that holds it; as it is when none does.
    public func relative(_ file: String) -> String {
        for directory in directories {
            if directory == "." || directory.isEmpty {
                return file.hasPrefix("./") ? String(file.dropFirst(2)) : file
            }
            if file.hasPrefix(directory + "/") { return String(file.dropFirst(directory.count + 1)) }
        }
        return file
    }
}

/// Builds the access report from the manifests judged as of a day and a full read of the organization (every
/// project's member list). `users`, when given, limits every part to those emails (compared case-insensitively).
public func makeAccessReport(
    evaluation: AccessEvaluation, desired: DesiredState, observed: ObservedState, apiURL: String, base: ManifestPathBase,
    users only: Set<String>? = nil
) -> AccessReport {
    let only = only.map { Set($0.map(normalizeEmail)) }
    func wanted(_ email: String) -> Bool { only.map { $0.contains(normalizeEmail(email)) } ?? true }
    let state = evaluation.state

    // Per Cogram project id: what stands behind each member the manifests grant as of the day, for projects whose
    // members they manage, as a range of (email number, entry) pairs. Each normalized email the entries name has a
    // number, so that a membership is matched by indexing an array rather than by hashing its email in a table
    // per project. The relative path is worked out once per file, not once per member.
    let matching = ProjectMatching(desired: state, projects: observed.projects)
    var emailNumbers: [String: Int] = [:]
    var grantedEntries: [(email: Int, managedBy: ManagedBy)] = []
    var granted: [String: Range<Int>] = [:]
    var relativeFile: (file: String, relative: String)?
    // Projects and members are read in place through their buffers: iterating copied every project and member
    // (each of their strings retained and released).
    state.projects.withUnsafeBufferPointer { projects in
        for index in projects.indices {
            guard !projects[index].archived, let members = projects[index].members, let match = matching.matches[index] else { continue }
            let start = grantedEntries.count
            members.withUnsafeBufferPointer { members in
                for member in members.indices {
                    let location = members[member].location
                    if relativeFile?.file != location.file { relativeFile = (location.file, base.relative(location.file)) }
                    let email = members[member].normalizedEmail
                    let number: Int
                    if let known = emailNumbers[email] {
                        number = known
                    } else {
                        number = emailNumbers.count
                        emailNumbers[email] = number
                    }
                    grantedEntries.append((number, .entry(file: relativeFile!.relative, line: location.line)))
                }
            }
            granted[match.id] = start..<grantedEntries.count
        }
    }

    // Each user's email is normalized once, not once per membership, and each user has a slot: its normalized
    // email (`emails`) for the order of the rows, whether it is offboarded, and whether it has a membership. Only
    // offboarded people's projects are collected (the report lists no one else's).
    let offboardedEmails = Set(desired.offboarded.map(\.normalizedEmail))
    var emails: [String] = []
    emails.reserveCapacity(observed.users.count)
    var offboardedSlot: [Bool] = []
    offboardedSlot.reserveCapacity(observed.users.count)
    var usersByID: [String: Int] = [:]
    usersByID.reserveCapacity(observed.users.count)
    // The email and organization role each of a known user's rows shows, by slot.
    var userEmails: [String] = []
    userEmails.reserveCapacity(observed.users.count)
    var userRoles: [String] = []
    userRoles.reserveCapacity(observed.users.count)
    for (slot, user) in observed.users.enumerated() {
        let email = normalizeEmail(user.email)
        emails.append(email)
        userEmails.append(user.email)
        userRoles.append(user.role.rawValue)
        offboardedSlot.append(!offboardedEmails.isEmpty && offboardedEmails.contains(email))
        usersByID[user.id] = slot
    }
    var hasMembership = [Bool](repeating: false, count: observed.users.count)
    let memberships = observed.members.values.reduce(0) { $0 + $1.count }
    var grants: [AccessGrant] = []
    grants.reserveCapacity(memberships + observed.users.count)
    // Per row: its email's slot, and its project's index in `observed.projects` (past the end: a user's row
    // without one).
    var emailSlots: [Int] = []
    emailSlots.reserveCapacity(memberships + observed.users.count)
    var projectSlots: [Int] = []
    projectSlots.reserveCapacity(memberships + observed.users.count)
    var projectsOf: [String: [String]] = [:]
    // Per slot: its email's number, -1 when no entry names it. While a project's members are read, `entryOf` holds
    // what stands behind each email number of its entries (a later entry for the same email replacing an earlier).
    var slotNumbers = emails.map { emailNumbers[$0] ?? -1 }
    var entryOf = [ManagedBy?](repeating: nil, count: emailNumbers.count)
    for (projectIndex, project) in observed.projects.enumerated() {
        guard let members = observed.members[project.id] else { continue }
        let entries = granted[project.id]
        if let entries { for entry in grantedEntries[entries] { entryOf[entry.email] = entry.managedBy } }
        defer { if let entries { for entry in grantedEntries[entries] { entryOf[entry.email] = nil } } }
        let status = project.status.rawValue
        members.withUnsafeBufferPointer { members in
            for member in members.indices {
                let known = usersByID[members[member].userID]
                let email = known.map { userEmails[$0] } ?? members[member].email
                let slot: Int
                let offboarded: Bool
                if let known {
                    slot = known
                    offboarded = offboardedSlot[slot]
                } else {
                    slot = emails.count
                    emails.append(normalizeEmail(email))
                    slotNumbers.append(emailNumbers[emails[slot]] ?? -1)
                    offboarded = !offboardedEmails.isEmpty && offboardedEmails.contains(emails[slot])
                }
                let normalized = emails[slot]
                if offboarded { projectsOf[normalized, default: []].append(project.externalID ?? project.id) }
                guard only.map({ $0.contains(normalized) }) ?? true else { continue }
                if let known { hasMembership[known] = true }
                let managedBy: ManagedBy
                if entries == nil {
                    managedBy = .unmanaged
                } else {
                    let number = slotNumbers[slot]
                    managedBy = (number < 0 ? nil : entryOf[number]) ?? .notInManifests
                }
                grants.append(AccessGrant(
                    email: email, userID: members[member].userID, organizationRole: known.map { userRoles[$0] } ?? "unknown",
                    projectExternalID: project.externalID, projectID: project.id, projectName: project.name,
                    projectStatus: status, projectRole: members[member].role.rawValue, managedBy: managedBy))
                emailSlots.append(slot)
                projectSlots.append(projectIndex)
            }
        }
    }
    for (slot, user) in observed.users.enumerated() where wanted(user.email) {
        // A user's membership is recorded under the slot that `usersByID` keeps for its id.
        guard let known = usersByID[user.id], !hasMembership[known] else { continue }
        grants.append(AccessGrant(email: user.email, userID: user.id, organizationRole: user.role.rawValue))
        emailSlots.append(slot)
        projectSlots.append(observed.projects.count)
    }
    let order = grantOrderIndices(
        emails: emails, emailSlots: emailSlots,
        projectKeys: observed.projects.map { (true, $0.externalID ?? "", $0.id) } + [(false, "", "")],
        projectSlots: projectSlots)
    permute(&grants, into: order)

    // The users' emails that no manifest names: those named as users, group members and offboarded people are
    // removed first, then project members until none is left (with a `users:` list that names everyone, before
    // any of the 200,000 project members is hashed).
    var unnamed = Set(emails.prefix(observed.users.count))
    for user in desired.users { unnamed.remove(user.normalizedEmail) }
    for group in desired.groups { for member in group.members { unnamed.remove(member.normalizedEmail) } }
    for person in desired.offboarded { unnamed.remove(person.normalizedEmail) }
    projects: for project in desired.projects where !unnamed.isEmpty {
        for member in project.members ?? [] {
            unnamed.remove(member.normalizedEmail)
            if unnamed.isEmpty { break projects }
        }
    }
    let usersInNoManifest = observed.users.indices.filter { unnamed.contains(emails[$0]) && wanted(observed.users[$0].email) }
        .map { observed.users[$0].email }.sorted()

    let offboarded = desired.offboarded.compactMap { person -> OffboardedAccess? in
        guard wanted(person.email), let projects = projectsOf[person.normalizedEmail], !projects.isEmpty else { return nil }
        return OffboardedAccess(
            email: person.email, projects: projects.sorted(),
            location: "\(base.relative(person.location.file)):\(person.location.line)")
    }

    let expiring = expiringAccess(
        evaluation, groups: desired.groups, location: { "\(base.relative($0.file)):\($0.line)" }, wanted: wanted)

    return AccessReport(
        organizationName: desired.organization?.name, anchor: desired.organization?.anchor, apiURL: apiURL,
        apiKeyEnv: desired.organization?.apiKeyEnv, grants: grants, usersInNoManifest: usersInNoManifest, offboardedWithAccess: offboarded, expiring: expiring,
        day: evaluation.day, window: evaluation.window)
}

/// Puts `elements[order[p]]` at each position p, moving elements along the permutation's cycles instead of
/// copying them into a new array (a copy of a grant retains nine strings).
func permute<Element>(_ elements: inout [Element], into order: [Int]) {
    var order = order
    elements.withUnsafeMutableBufferPointer { elements in
        for start in order.indices {
            var current = start
            while order[current] != start {
                let next = order[current]
                elements.swapAt(current, next)
                order[current] = current
                current = next
            }
            order[current] = current
        }
    }
}

/// `grants` in `grantOrder`, equal grants in their given order.
func sortedByGrantOrder(_ grants: [AccessGrant]) -> [AccessGrant] {
    let order = grantOrderIndices(
        emails: grants.map { normalizeEmail($0.email) }, emailSlots: Array(grants.indices),
        projectKeys: grants.map { ($0.projectID != nil, $0.projectExternalID ?? "", $0.projectID ?? "") },
        projectSlots: Array(grants.indices))
    var grants = grants
    permute(&grants, into: order)
    return grants
}

/// The positions of rows in `grantOrder`, equal rows in their given order. A row is its email's slot in `emails`
/// (normalized) and its project's slot in `projectKeys` (whether it is a project, its external_id or "", its id).
/// The few distinct emails and projects are ranked once with `String`'s own `<` (equal strings sharing a rank),
/// and the rows are then sorted on integers: comparing strings on each of the n log n comparisons of 200,000 rows
/// was the largest part of building the report (figure 12).
func grantOrderIndices(
    emails: [String], emailSlots: [Int], projectKeys: [(inProject: Bool, externalID: String, id: String)],
    projectSlots: [Int]
) -> [Int] {
    func ranks<Key>(_ keys: [Key], _ less: (Key, Key) -> Bool) -> [Int] {
        let sorted = keys.indices.sorted { less(keys[$0], keys[$1]) }
        var ranks = [Int](repeating: 0, count: keys.count)
        var rank = 0
        for (position, slot) in sorted.enumerated() {
            if position > 0, less(keys[sorted[position - 1]], keys[slot]) { rank += 1 }
            ranks[slot] = rank
        }
        return ranks
    }
    let emailRanks = ranks(emails, <)
    let projectRanks = ranks(projectKeys) { x, y in
        if x.inProject != y.inProject { return !x.inProject }
        if x.externalID != y.externalID { return x.externalID < y.externalID }
        return x.id < y.id
    }
    // Ranks are below the number of keys, so two stable counting sorts, by project and then by email, give the
    // order of (email, project, position) in linear time.
    let byProject = countingSorted(Array(emailSlots.indices), buckets: projectKeys.count) { projectRanks[projectSlots[$0]] }
    return countingSorted(byProject, buckets: emails.count) { emailRanks[emailSlots[$0]] }
}

/// `rows` stably sorted by `key`, each key in `0..<buckets`.
private func countingSorted(_ rows: [Int], buckets: Int, key: (Int) -> Int) -> [Int] {
    var starts = [Int](repeating: 0, count: buckets + 1)
    for row in rows { starts[key(row) + 1] += 1 }
    for bucket in 0..<buckets { starts[bucket + 1] += starts[bucket] }
    var sorted = [Int](repeating: 0, count: rows.count)
    for row in rows {
        let bucket = key(row)
        sorted[starts[bucket]] = row
        starts[bucket] += 1
    }
    return sorted
}

/// Email, then project external_id (a user's row without a project first), then project id.
func grantOrder(_ a: AccessGrant, _ b: AccessGrant) -> Bool {
    let left = (normalizeEmail(a.email), a.projectID == nil ? 0 : 1, a.projectExternalID ?? "", a.projectID ?? "")
    let right = (normalizeEmail(b.email), b.projectID == nil ? 0 : 1, b.projectExternalID ?? "", b.projectID ?? "")
    if left.0 != right.0 { return left.0 < right.0 }
    if left.1 != right.1 { return left.1 < right.1 }
    if left.2 != right.2 { return left.2 < right.2 }
    return left.3 < right.3
}
