import CogramAPI
import CogramManifest

/// A group that `cogramctl import --groups` proposes: memberships (email and role) that several projects share,
/// written once under `groups:` and included in each of those projects with `- group: NAME`.
public struct ImportedGroup: Sendable, Hashable {
    /// `[a-z0-9][a-z0-9-]*`, at most `DesiredGroup.maxNameLength` characters, unique; see `GroupProposal.names`.
    public var name: String
    /// By email; at least `GroupProposal.minimumMembers`.
    public var members: [ImportedMember]
}

extension ImportedProject {
    /// The members written as `email` entries: those that none of `groups` brings in (all of them without groups).
    public var directMembers: [ImportedMember]? {
        members?.filter { !emailsFromGroups.contains(normalizeEmail($0.email)) }
    }
}

extension ImportedOrganization {
    /// The name of the per-project layout's file for the proposed groups.
    public static let groupsFileName = "groups.yaml"

    /// Rewrites the member lists of the projects as groups and direct entries, as `import --groups` does: see
    /// `GroupProposal` for the rule. Every project keeps exactly its members and roles.
    public mutating func proposeGroups() {
        let proposal = GroupProposal(projects: projects)
        groups = proposal.groups
        let emails = Dictionary(uniqueKeysWithValues: proposal.groups.map { group in
            (group.name, group.members.map { normalizeEmail($0.email) })
        })
        for (index, names) in proposal.uses {
            projects[index].groups = names
            projects[index].emailsFromGroups = Set(names.flatMap { emails[$0]! })
        }
    }

    /// External ids of the projects whose members, as the loaded manifests state them after groups are expanded,
    /// differ from the imported ones (email, case-insensitively, and role). Empty when the import round-trips.
    public func membershipMismatches(in desired: DesiredState) -> [String] {
        let loaded = Dictionary(desired.projects.map { ($0.externalID, $0) }, uniquingKeysWith: { first, _ in first })
        return projects.compactMap { project in
            let expected = project.members.map { Set($0.map { MembershipKey(normalizeEmail($0.email), $0.role.rawValue) }) }
            let found = loaded[project.externalID]?.members.map {
                Set($0.map { MembershipKey($0.normalizedEmail, $0.role.rawValue) })
            }
            return expected == found ? nil : project.externalID
        }
    }

    private struct MembershipKey: Hashable {
        var email: String
        var role: String

        init(_ email: String, _ role: String) {
            self.email = email
            self.role = role
        }
    }

    // MARK: - Rendering pieces

    /// The `groups:` section, or nothing when no group was proposed.
    func groupsSection() -> String {
        guard let groups, !groups.isEmpty else { return "" }
        var out = "# Proposed by `cogramctl import --groups`: memberships (email and role) that several projects"
        out += " share.\n# Rename a group freely, together with its uses: Cogram does not store group names.\n"
        out += "groups:\n"
        for group in groups {
            out += "  - name: \(group.name)\n"
            out += "    members:\n"
            for member in group.members {
                out += "      - email: \(YAMLScalarWriter.render(member.email))\n"
                out += "        role: \(member.role.rawValue)\n"
            }
        }
        return out
    }

    /// The entries under a project's `members:`: its groups, then the members they do not bring in.
    static func memberEntries(_ project: ImportedProject) -> String {
        var out = ""
        for name in project.groups {
            out += "      - group: \(name)\n"
        }
        for member in project.directMembers ?? [] {
            out += "      - email: \(YAMLScalarWriter.render(member.email))\n"
            out += "        role: \(member.role.rawValue)\n"
        }
        return out
    }
}

// MARK: - The rule

/// Which groups `import --groups` proposes, and which projects use them.
///
/// A project takes part when its members are written (active, managed, every member listable) and it has at
/// least `minimumMembers`. A membership is an (email, role) pair: a group holds only memberships that every project
/// using it has exactly, with the same role.
///
/// Candidates are the member lists that at least `minimumProjects` projects have in full, and, for each distinct
/// member list, what it has in common with the other list that shares the most memberships with it (the first in
/// external_id order on a tie), when that is at least `minimumMembers`. A candidate's score is the member entries it
/// saves: (projects that have all of it − 1) × its size. Greedily, the best candidate is taken (ties: the
/// larger, then the first in email order), for the projects that have all of it and none of it already in a taken
/// group, as long as there are at least `minimumProjects` of them; the scores of the rest are updated. Then the same
/// again on what the groups left of each list, until a round takes nothing. Groups on one project are therefore
/// disjoint subsets of its memberships, and its other members stay direct entries: no user is reached twice, so the
/// precedence rules of group expansion never come into play and each project keeps exactly its members and roles.
///
/// A round's work is bounded by Σ (distinct lists holding a membership)² for the comparison of lists, not by the
/// square of the number of projects; the result depends only on the projects' external ids and members.
struct GroupProposal {
    /// Fewer would save nothing: a one-member group is as long as the direct entry it replaces.
    static let minimumMembers = 2
    /// A group that only one project uses would just move its members elsewhere.
    static let minimumProjects = 2

    var groups: [ImportedGroup] = []
    /// Index in `projects` → names of the groups that project includes, in name order.
    var uses: [Int: [String]] = [:]

    /// A membership as the rule compares them.
    private struct Membership: Hashable {
        var email: String
        var role: ProjectRole
    }

    init(projects: [ImportedProject]) {
        // Memberships as integers in (email, role from owner down) order, so that a sorted list of them is in email order and lists
        // compare cheaply.
        var eligible: [(project: Int, members: [Membership])] = []
        var shown: [Membership: ImportedMember] = [:]
        for (index, project) in projects.enumerated() {
            guard let members = project.members, members.count >= Self.minimumMembers else { continue }
            let memberships = members.map { Membership(email: normalizeEmail($0.email), role: $0.role) }
            // Two entries for one user would not load anyway; such a project is left as it is.
            guard Set(memberships.map(\.email)).count == memberships.count else { continue }
            for (membership, member) in zip(memberships, members) where shown[membership] == nil {
                shown[membership] = member
            }
            eligible.append((index, memberships))
        }
        let memberships = shown.keys.sorted {
            $0.email != $1.email ? $0.email.utf8.lexicographicallyPrecedes($1.email.utf8) : $0.role > $1.role
        }
        let id = Dictionary(uniqueKeysWithValues: memberships.enumerated().map { ($1, $0) })

        // Rounds: each one works on what earlier groups left of every list, so that a common part that a larger
        // group cut across (the rest of a crew on the projects where part of it went into another group) is
        // found too.
        var remaining = eligible.map { $0.members.map { id[$0]! }.sorted() }
        var taken: [(members: [Int], projects: [Int])] = []
        while true {
            let round = Self.round(remaining)
            if round.isEmpty { break }
            for group in round {
                taken.append(group)
                let members = Set(group.members)
                for position in group.projects { remaining[position].removeAll { members.contains($0) } }
            }
        }

        // Names are given in the order of the groups' contents, which does not depend on the order in which they
        // were taken.
        taken.sort { $0.members.lexicographicallyPrecedes($1.members) }
        let contents = taken.map { entry in
            entry.members.map { shown[memberships[$0]]! }.sorted { byEmail($0.email, $1.email) }
        }
        let names = Self.names(contents)
        var uses: [Int: [String]] = [:]
        for (entry, name) in zip(taken, names) {
            for position in entry.projects { uses[eligible[position].project, default: []].append(name) }
        }
        self.uses = uses.mapValues { $0.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
        self.groups = zip(names, contents).map { ImportedGroup(name: $0, members: $1) }
            .sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
    }

    // MARK: - One round

    /// The groups taken from `projectLists` (one per project), each with the indices of the projects that use it.
    private static func round(_ projectLists: [[Int]]) -> [(members: [Int], projects: [Int])] {
        // Distinct member lists, in order of their first project; each with the projects that have exactly it.
        var lists: [[Int]] = []
        var listProjects: [[Int]] = []
        var listIndex: [[Int]: Int] = [:]
        var membershipCount = 0
        for (position, list) in projectLists.enumerated() where list.count >= minimumMembers {
            if let existing = listIndex[list] {
                listProjects[existing].append(position)
            } else {
                listIndex[list] = lists.count
                lists.append(list)
                listProjects.append([position])
                membershipCount = max(membershipCount, list.last! + 1)
            }
        }
        var postings = [[Int]](repeating: [], count: membershipCount)
        for (index, list) in lists.enumerated() {
            for membership in list { postings[membership].append(index) }
        }
        let candidates = candidates(lists: lists, listProjects: listProjects, postings: postings)

        // Greedy choice with lazily updated scores: a score only falls as groups are taken, so a candidate whose
        // score is still current when it comes out on top is the best one left.
        var covered = [Set<Int>](repeating: [], count: projectLists.count)
        var taken: [(members: [Int], projects: [Int])] = []
        var queue = MaxHeap<Ranked>()
        for (index, candidate) in candidates.enumerated() {
            let supporters = supporters(of: candidate, lists: lists, listProjects: listProjects, postings: postings)
            queue.push(Ranked(projects: supporters, size: candidate.count, candidate: index))
        }
        while let top = queue.pop() {
            let candidate = candidates[top.candidate]
            let current = top.projects.filter { covered[$0].isDisjoint(with: candidate) }
            guard current.count >= minimumProjects else { continue }
            let ranked = Ranked(projects: current, size: candidate.count, candidate: top.candidate)
            if ranked.score < top.score {
                queue.push(ranked)
                continue
            }
            for position in current { covered[position].formUnion(candidate) }
            taken.append((candidate, current))
        }
        return taken
    }

    // MARK: - Candidates

    /// Whole lists used at least `minimumProjects` times, and each list's intersection with its best partner;
    /// unique, sorted.
    private static func candidates(lists: [[Int]], listProjects: [[Int]], postings: [[Int]]) -> [[Int]] {
        var found: Set<[Int]> = []
        for (index, list) in lists.enumerated() where listProjects[index].count >= minimumProjects {
            found.insert(list)
        }
        var shared = [Int](repeating: 0, count: lists.count)
        var touched: [Int] = []
        for (index, list) in lists.enumerated() {
            for membership in list {
                for other in postings[membership] where other != index {
                    if shared[other] == 0 { touched.append(other) }
                    shared[other] += 1
                }
            }
            // The most memberships in common; on a tie, the list of the first project.
            var best: Int?
            for other in touched {
                if let current = best, shared[other] < shared[current] || (shared[other] == shared[current] && other > current) {
                    continue
                }
                best = other
            }
            if let best, shared[best] >= minimumMembers {
                found.insert(intersection(list, lists[best]))
            }
            for other in touched { shared[other] = 0 }
            touched.removeAll(keepingCapacity: true)
        }
        return found.sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// The projects whose list holds all of `candidate`.
    private static func supporters(of candidate: [Int], lists: [[Int]], listProjects: [[Int]], postings: [[Int]]) -> [Int] {
        let rarest = candidate.min { postings[$0].count < postings[$1].count }!
        return postings[rarest].filter { isSubset(candidate, of: lists[$0]) }.flatMap { listProjects[$0] }.sorted()
    }

    /// Both sorted.
    private static func intersection(_ a: [Int], _ b: [Int]) -> [Int] {
        var out: [Int] = []
        var (i, j) = (0, 0)
        while i < a.count, j < b.count {
            if a[i] == b[j] {
                out.append(a[i])
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return out
    }

    /// Both sorted.
    private static func isSubset(_ a: [Int], of b: [Int]) -> Bool {
        var j = 0
        for value in a {
            while j < b.count, b[j] < value { j += 1 }
            guard j < b.count, b[j] == value else { return false }
            j += 1
        }
        return true
    }

    /// A candidate in the queue: more member entries saved first, then the larger, then the first in order.
    private struct Ranked: Comparable {
        /// Written once in the group instead of once in each project: (projects − 1) × members. A crew on many
        /// projects beats a large list that only two projects share.
        var score: Int
        var size: Int
        var candidate: Int
        var projects: [Int]

        init(projects: [Int], size: Int, candidate: Int) {
            self.score = (projects.count - 1) * size
            self.size = size
            self.candidate = candidate
            self.projects = projects
        }

        static func < (lhs: Ranked, rhs: Ranked) -> Bool {
            (lhs.score, lhs.size, rhs.candidate) < (rhs.score, rhs.size, lhs.candidate)
        }

        static func == (lhs: Ranked, rhs: Ranked) -> Bool {
            (lhs.score, lhs.size, lhs.candidate) == (rhs.score, rhs.size, rhs.candidate)
        }
    }

    // MARK: - Names

    /// Room for the members' names before `-and-N-more` and a `-N` suffix that makes a name unique.
    static let maxBaseLength = 40

    /// One name per group, from its members: the local parts of their emails as slugs, joined with `-`, as many as
    /// fit in `maxBaseLength` characters, then `-and-N-more` for the others (`ana-ben-chloe`,
    /// `farah-haddad-diego-santos-and-2-more`); `-2`, `-3`, … make a name unique, in the order of `contents`.
    static func names(_ contents: [[ImportedMember]]) -> [String] {
        var taken: Set<String> = []
        return contents.map { members in
            let base = baseName(members)
            var name = base
            var counter = 2
            while taken.contains(name) {
                let suffix = "-\(counter)"
                name = trimmed(base, to: DesiredGroup.maxNameLength - suffix.count) + suffix
                counter += 1
            }
            taken.insert(name)
            return name
        }
    }

    static func baseName(_ members: [ImportedMember]) -> String {
        let parts = members.map { member -> String in
            let local = member.email.lastIndex(of: "@").map { String(member.email[..<$0]) } ?? member.email
            return ImportSlug.slug(local, fallback: "member")
        }
        guard let first = parts.first else { return "group" }
        var name = trimmed(first, to: maxBaseLength)
        var used = 1
        while used < parts.count, name.count + 1 + parts[used].count <= maxBaseLength {
            name += "-" + parts[used]
            used += 1
        }
        if used < parts.count { name += "-and-\(parts.count - used)-more" }
        return trimmed(name, to: DesiredGroup.maxNameLength)
    }

    /// At most `length` characters, without a trailing `-`.
    private static func trimmed(_ name: String, to length: Int) -> String {
        var out = String(name.prefix(length))
        while out.count > 1, out.hasSuffix("-") { out.removeLast() }
        return out
    }
}

/// A binary heap that pops its largest element.
private struct MaxHeap<Element: Comparable> {
    private var items: [Element] = []

    mutating func push(_ element: Element) {
        items.append(element)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[parent] < items[child] else { break }
            items.swapAt(parent, child)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let (left, right) = (2 * parent + 1, 2 * parent + 2)
            var largest = parent
            if left < items.count, items[largest] < items[left] { largest = left }
            if right < items.count, items[largest] < items[right] { largest = right }
            guard largest != parent else { break }
            items.swapAt(parent, largest)
            parent = largest
        }
        return top
    }
}
