import CogramAPI
import CogramManifest
@testable import CogramImport
import CogramPlan
import CogramRandom
import CogramTestSupport
import Foundation
import Testing

/// `import --groups`: which groups are proposed, their names, and that the manifests still state every project's
/// members and roles exactly.
@Suite struct ImportGroupsTests {
    // MARK: - Which groups

    @Test func aWholeListSharedByProjectsBecomesOneGroup() throws {
        let crew = [member("ana", .owner), member("ben", .editor), member("cat", .viewer)]
        let observed = organization([crew, crew, crew, [member("ana", .owner), member("dan", .editor)]])
        let imported = makeImport(observed: observed, prefix: nil, proposeGroups: true)

        #expect(imported.groups == [ImportedGroup(name: "ana-ben-cat", members: imported.projects[0].members!)])
        #expect(imported.projects.map(\.groups) == [["ana-ben-cat"], ["ana-ben-cat"], ["ana-ben-cat"], []])
        #expect(imported.projects.map { $0.directMembers?.count } == [0, 0, 0, 2])
        let text = imported.renderSingle(header: header)
        #expect(text.contains("""
            users:
              - email: ana@acme.example
                role: member
              - email: ben@acme.example
                role: member
              - email: cat@acme.example
                role: member
              - email: dan@acme.example
                role: member
            # Proposed by `cogramctl import --groups`: memberships (email and role) that several projects share.
            # Rename a group freely, together with its uses: Cogram does not store group names.
            groups:
              - name: ana-ben-cat
                members:
                  - email: ana@acme.example
                    role: owner
                  - email: ben@acme.example
                    role: editor
                  - email: cat@acme.example
                    role: viewer
            projects:
              - external_id: p-1
                name: P1
                members:
                  - group: ana-ben-cat
              - external_id: p-2
            """), "\(text)")
        #expect(text.contains("""
              - external_id: p-4
                name: P4
                members:
                  - email: ana@acme.example
                    role: owner
                  - email: dan@acme.example
                    role: editor

            """), "\(text)")
        #expect(imported.summaryLine == "Imported 4 projects, 4 users, 1 group; left out: nothing.")
        try expectRoundTrip(imported, observed)
    }

    @Test func aCommonCoreBecomesAGroupAndTheOthersStayDirect() throws {
        let crew = [member("ana", .owner), member("ben", .editor), member("cat", .editor)]
        let observed = organization([
            crew + [member("dan", .viewer)],
            crew + [member("fay", .viewer)],
            crew + [member("gus", .editor)],
            crew + [member("dan", .owner)],
            [member("ana", .viewer), member("ben", .viewer)],
        ])
        let imported = makeImport(observed: observed, prefix: nil, proposeGroups: true)
        #expect(imported.groups?.map(\.name) == ["ana-ben-cat"])
        #expect(imported.groups?.first?.members == crew.map(written))
        #expect(imported.projects.map(\.groups) == [["ana-ben-cat"], ["ana-ben-cat"], ["ana-ben-cat"], ["ana-ben-cat"], []])
        #expect(imported.projects.map { $0.directMembers ?? [] } == [
            [written(member("dan", .viewer))], [written(member("fay", .viewer))], [written(member("gus", .editor))], [written(member("dan", .owner))],
            [written(member("ana", .viewer)), written(member("ben", .viewer))],
        ])
        #expect(imported.renderSingle(header: header).contains("""
                members:
                  - group: ana-ben-cat
                  - email: dan@acme.example
                    role: owner

            """))
        try expectRoundTrip(imported, observed)
    }

    /// Two crews, and a long list that is both of them on two projects: the crews save more entries.
    @Test func aCrewOnManyProjectsComesBeforeALongListOnTwo() throws {
        let leads = [member("ana", .owner), member("ben", .editor)]
        let field = [member("dan", .editor), member("fay", .viewer), member("gus", .viewer)]
        let observed = organization([
            leads + field + [member("cat", .viewer)], leads + field, leads + [member("hal", .viewer)],
            field + [member("cat", .editor)],
        ])
        let imported = makeImport(observed: observed, prefix: nil, proposeGroups: true)
        #expect(imported.groups == [
            ImportedGroup(name: "ana-ben", members: leads.map(written)),
            ImportedGroup(name: "dan-fay-gus", members: field.map(written)),
        ])
        #expect(imported.projects.map(\.groups) == [
            ["ana-ben", "dan-fay-gus"], ["ana-ben", "dan-fay-gus"], ["ana-ben"], ["dan-fay-gus"],
        ])
        #expect(imported.projects.map { $0.directMembers ?? [] } == [
            [written(member("cat", .viewer))], [], [written(member("hal", .viewer))], [written(member("cat", .editor))],
        ])
        try expectRoundTrip(imported, observed)
    }

    /// The same people with other roles are another group: a group never gives a project a role it does not have.
    @Test func rolesAreMatchedExactly() throws {
        let observed = organization([
            [member("ana", .owner), member("ben", .editor)], [member("ana", .owner), member("ben", .editor)],
            [member("ana", .editor), member("ben", .editor)], [member("ana", .editor), member("ben", .editor)],
        ])
        let imported = makeImport(observed: observed, prefix: nil, proposeGroups: true)
        #expect(imported.groups == [
            ImportedGroup(name: "ana-ben", members: [written(member("ana", .owner)), written(member("ben", .editor))]),
            ImportedGroup(name: "ana-ben-2", members: [written(member("ana", .editor)), written(member("ben", .editor))]),
        ])
        #expect(imported.projects.map(\.groups) == [["ana-ben"], ["ana-ben"], ["ana-ben-2"], ["ana-ben-2"]])
        let desired = try expectRoundTrip(imported, observed)
        #expect(desired.projects[2].members?.first { $0.email == "ana@acme.example" }?.role == .editor)
    }

    /// The best first group cuts the whole lists of two projects; a later round still finds what those two share
    /// beyond it.
    @Test func aLaterRoundFindsWhatALargerGroupLeft() throws {
        let core = [member("ana", .owner), member("ben", .editor)]
        let both = core + [member("cat", .editor), member("dan", .viewer)]
        let observed = organization([
            both, both, core + [member("fay", .viewer)], core + [member("gus", .viewer)], core + [member("hal", .viewer)],
            core + [member("ivy", .viewer)],
        ])
        let imported = makeImport(observed: observed, prefix: nil, proposeGroups: true)
        #expect(imported.groups?.map(\.name) == ["ana-ben", "cat-dan"])
        #expect(imported.projects.map(\.groups) == [
            ["ana-ben", "cat-dan"], ["ana-ben", "cat-dan"], ["ana-ben"], ["ana-ben"], ["ana-ben"], ["ana-ben"],
        ])
        #expect(imported.projects.prefix(2).allSatisfy { $0.directMembers == [] })
        try expectRoundTrip(imported, observed)
    }

    @Test func listsUsedOnceGetNoGroup() throws {
        let observed = organization([
            [member("ana", .owner), member("ben", .editor)],
            [member("ana", .owner), member("cat", .editor)],
            [member("ben", .viewer), member("cat", .viewer), member("dan", .viewer)],
            [member("ana", .owner)],
            [member("ana", .owner)],
        ])
        let plain = makeImport(observed: observed, prefix: nil)
        let imported = makeImport(observed: observed, prefix: nil, proposeGroups: true)
        #expect(imported.groups == [])
        #expect(imported.projects.allSatisfy { $0.groups.isEmpty })
        #expect(imported.renderSingle(header: header) == plain.renderSingle(header: header))
        #expect(imported.renderFiles(header: header) == plain.renderFiles(header: header))
        #expect(imported.summaryLine == "Imported 5 projects, 4 users, 0 groups; left out: nothing.")
        #expect(plain.summaryLine == "Imported 5 projects, 4 users; left out: nothing.")
    }

    /// Projects whose members are not written (archived, unlistable members, none without --manage-empty-members)
    /// and projects left out take no part; the options keep working.
    @Test func otherOptionsKeepWorking() throws {
        let crew = [member("ana", .owner), member("ben", .editor)]
        let observed = ObservedState(
            projects: [
                F.project("prj_1", externalID: "p-1", name: "P1"),
                F.project("prj_2", externalID: "p-2", name: "P2"),
                F.project("prj_3", externalID: nil, name: "Loose"),
                F.project("prj_4", externalID: "p-4", name: "P4", status: .archived),
                F.project("prj_5", externalID: "p-5", name: "P5"),
                F.project("prj_6", externalID: "p-6", name: "P6"),
            ],
            users: users + [F.user("eve", status: .deactivated)],
            members: ["prj_1": crew, "prj_2": crew, "prj_3": crew, "prj_5": crew + [member("eve", .viewer)], "prj_6": []])

        let skipping = makeImport(observed: observed, prefix: nil, manageEmptyMembers: true, skipUnkeyed: true, proposeGroups: true)
        #expect(skipping.projects.map(\.externalID) == ["p-1", "p-2", "p-4", "p-5", "p-6"])
        #expect(skipping.groups?.map(\.name) == ["ana-ben"])
        #expect(skipping.projects.map(\.groups) == [["ana-ben"], ["ana-ben"], [], [], []])
        #expect(skipping.projects.last?.members == [])
        #expect(skipping.renderSingle(header: header).contains("  - external_id: p-6\n    name: P6\n    members: []\n"))
        try expectRoundTrip(skipping, observed)

        // The adopted project shares the crew too: three users of the group.
        let adopting = makeImport(observed: observed, prefix: nil, proposeGroups: true)
        #expect(adopting.projects.map(\.externalID) == ["loose", "p-1", "p-2", "p-4", "p-5", "p-6"])
        #expect(adopting.projects.map(\.groups) == [["ana-ben"], ["ana-ben"], ["ana-ben"], [], [], []])
        #expect(adopting.projects[0].adoptID == "prj_3")
        try expectRoundTrip(adopting, observed)
    }

    @Test func perProjectLayoutWritesTheGroupsInTheirOwnFile() throws {
        let crew = [member("ana", .owner), member("ben", .editor)]
        let observed = ObservedState(
            projects: [
                F.project("prj_1", externalID: "groups", name: "Groups"),
                F.project("prj_2", externalID: "p-2", name: "P2"),
            ],
            users: users, members: ["prj_1": crew, "prj_2": crew])
        let imported = makeImport(observed: observed, prefix: nil, proposeGroups: true)
        let files = imported.renderFiles(header: header)
        #expect(files.map(\.name) == ["organization.yaml", "groups.yaml", "groups-2.yaml", "p-2.yaml"])
        #expect(files[1].contents.hasPrefix("# yaml-language-server: $schema=../schemas/cogram-manifest.v1.schema.json\n"))
        #expect(files[1].contents.hasSuffix("""
            # Groups that the projects in the files beside this one include.
            version: 1
            # Proposed by `cogramctl import --groups`: memberships (email and role) that several projects share.
            # Rename a group freely, together with its uses: Cogram does not store group names.
            groups:
              - name: ana-ben
                members:
                  - email: ana@acme.example
                    role: owner
                  - email: ben@acme.example
                    role: editor

            """))
        #expect(!files[0].contents.contains("groups:"))
        #expect(files[3].contents.hasSuffix("    members:\n      - group: ana-ben\n"))
        try expectRoundTrip(imported, observed)

        // Without groups, the project keeps its plain file name.
        #expect(makeImport(observed: observed, prefix: nil).fileNames() == ["groups.yaml", "p-2.yaml"])
    }

    // MARK: - Names

    @Test(arguments: [
        (["ana@acme.example", "ben@acme.example"], "ana-ben"),
        (["Ana.Ruiz@acme.example", "ben+site@acme.example"], "ana-ruiz-ben-site"),
        (["東京@acme.example", "ø@acme.example"], "member-o"),
        (["\"a@b\"@acme.example", "x@acme.example"], "a-b-x"),
        (["-lead-@acme.example", "2nd@acme.example"], "lead-2nd"),
        ((1...12).map { "person-number-\($0)@acme.example" }, "person-number-1-person-number-2-and-10-more"),
        ([String(repeating: "Verylong", count: 10) + "@acme.example", "b@acme.example"], "verylongverylongverylongverylongverylong-and-1-more"),
    ])
    func groupNamesComeFromTheMembers(_ emails: [String], _ expected: String) {
        let members = emails.map { ImportedMember(email: $0, role: .editor) }
        let name = GroupProposal.baseName(members)
        #expect(name == expected)
        #expect(DesiredGroup.isValidName(name))
    }

    @Test func groupNamesAreMadeUniqueAndStayValid() {
        let pair = [ImportedMember(email: "ana@x.example", role: .owner), ImportedMember(email: "ben@x.example", role: .owner)]
        let long = (1...40).map { ImportedMember(email: "member-with-a-long-name-\($0)@x.example", role: .viewer) }
        let names = GroupProposal.names([pair, pair, long, pair] + Array(repeating: long, count: 12))
        #expect(Array(names.prefix(4)) == ["ana-ben", "ana-ben-2", "member-with-a-long-name-1-and-39-more", "ana-ben-3"])
        #expect(Set(names).count == names.count)
        #expect(names.last == "member-with-a-long-name-1-and-39-more-13")
        for name in names {
            #expect(DesiredGroup.isValidName(name), "\(name)")
        }
    }

    // MARK: - Properties

    /// Random organizations of overlapping crews, stray members, role clashes, archived, unkeyed and empty
    /// projects: whatever is proposed, every project keeps exactly its members and roles, no user is reached twice
    /// in one project, every group is used by at least two projects, and the output does not depend on input order.
    @Test func proposalsNeverChangeAnyProjectsMembers() throws {
        var random = SplitMix64(seed: 0x6C0F)
        let people = (0..<14).map { "u\($0)" }
        let roles: [ProjectRole] = [.owner, .editor, .viewer]
        var groupsSeen = 0
        var projectsInGroups = 0
        for round in 0..<40 {
            let crews = (0..<4).map { _ in
                (0..<(2 + Int(random.next() % 4))).map { _ in
                    member(people[Int(random.next() % UInt64(people.count))], roles[Int(random.next() % 3)])
                }
            }
            var projects: [Project] = []
            var members: [String: [Member]] = [:]
            for index in 0..<(20 + Int(random.next() % 30)) {
                let id = "prj_\(index)"
                let kind = random.next() % 12
                let externalID = kind == 0 ? nil : "r\(round)-\(index)"
                projects.append(F.project(id, externalID: externalID, name: "P\(index)", status: kind == 1 ? .archived : .active))
                var list: [Member] = []
                var seen: Set<String> = []
                let picked = (0..<Int(random.next() % 3)).map { _ in crews[Int(random.next() % 4)] }
                let strays = (0..<Int(random.next() % 3)).map { _ in
                    member(people[Int(random.next() % UInt64(people.count))], roles[Int(random.next() % 3)])
                }
                for member in picked.flatMap({ $0 }) + strays where seen.insert(member.email).inserted {
                    list.append(member)
                }
                if kind == 2 { list.append(member("gone", .viewer)) }
                members[id] = list
            }
            let observed = ObservedState(
                projects: projects, users: people.map { F.user($0) } + [F.user("gone", status: .deactivated)],
                members: members)

            for (manageEmpty, skipUnkeyed) in [(false, false), (true, true)] {
                let imported = makeImport(
                    observed: observed, prefix: nil, manageEmptyMembers: manageEmpty, skipUnkeyed: skipUnkeyed,
                    proposeGroups: true)
                let groups = try #require(imported.groups)
                let byName = Dictionary(uniqueKeysWithValues: groups.map { ($0.name, $0) })
                #expect(byName.count == groups.count, "names are unique")
                for group in groups {
                    #expect(DesiredGroup.isValidName(group.name), "\(group.name)")
                    #expect(group.members.count >= 2)
                    #expect(imported.projects.filter { $0.groups.contains(group.name) }.count >= 2, "\(group.name)")
                }
                for project in imported.projects where !project.groups.isEmpty {
                    let entries = project.groups.flatMap { byName[$0]!.members } + project.directMembers!
                    #expect(Set(entries.map(\.email)).count == entries.count, "\(project.externalID): a user reached twice")
                    #expect(Set(entries) == Set(project.members!), "\(project.externalID)")
                    projectsInGroups += 1
                }
                groupsSeen += groups.count
                try expectRoundTrip(imported, observed)

                var shuffled = observed
                shuffled.projects.shuffle(using: &random)
                shuffled.users.shuffle(using: &random)
                for key in shuffled.members.keys { shuffled.members[key]?.shuffle(using: &random) }
                let again = makeImport(
                    observed: shuffled, prefix: nil, manageEmptyMembers: manageEmpty, skipUnkeyed: skipUnkeyed,
                    proposeGroups: true)
                #expect(again.renderSingle(header: header) == imported.renderSingle(header: header))
                #expect(again.renderFiles(header: header) == imported.renderFiles(header: header))
            }
        }
        // The organizations are meant to share crews: a run that proposed nothing would check nothing.
        #expect(groupsSeen > 100)
        #expect(projectsInGroups > 500)
    }

    /// A mismatch between the manifests and the members read is reported: the check the command relies on.
    @Test func membershipMismatchesNameTheProject() throws {
        let crew = [member("ana", .owner), member("ben", .editor)]
        let observed = organization([crew, crew])
        let imported = makeImport(observed: observed, prefix: nil, proposeGroups: true)
        let text = imported.renderSingle(header: header)
        let desired = try #require(load([SourceFile(path: "all.yaml", bytes: Array(text.utf8))]).desired)
        #expect(imported.membershipMismatches(in: desired) == [])
        let altered = text.replacingOccurrences(of: "        role: editor\n", with: "        role: viewer\n")
        let wrong = try #require(load([SourceFile(path: "all.yaml", bytes: Array(altered.utf8))]).desired)
        #expect(imported.membershipMismatches(in: wrong) == ["p-1", "p-2"])
    }

    // MARK: - Support

    private var header: ImportHeader {
        ImportHeader(schemaPath: "../schemas/cogram-manifest.v1.schema.json", source: "https://api.cogram.com", date: "2026-11-29")
    }

    private let users = ["ana", "ben", "cat", "dan", "fay", "gus", "hal", "ivy"].map { F.user($0) }

    private func member(_ name: String, _ role: ProjectRole) -> Member { F.member(name, role) }

    private func written(_ member: Member) -> ImportedMember { ImportedMember(email: member.email, role: member.role.known!) }

    /// Projects p-1, p-2, … named P1, P2, … with these member lists, and every user active.
    private func organization(_ lists: [[Member]]) -> ObservedState {
        var projects: [Project] = []
        var members: [String: [Member]] = [:]
        for (index, list) in lists.enumerated() {
            projects.append(F.project("prj_\(index + 1)", externalID: "p-\(index + 1)", name: "P\(index + 1)"))
            members["prj_\(index + 1)"] = list
        }
        let used = Set(lists.flatMap { $0.map(\.email) })
        return ObservedState(projects: projects, users: users.filter { used.contains($0.email) }, members: members)
    }

    private func load(_ sources: [SourceFile]) -> LoadResult { ManifestLoader().load(sources: sources) }

    /// Both layouts load without a diagnostic (so without an unused group) and, once the adoptions are applied,
    /// plan as no change against `observed`; returns the single file's desired state.
    @discardableResult
    private func expectRoundTrip(
        _ imported: ImportedOrganization, _ observed: ObservedState, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws -> DesiredState {
        var applied = observed
        for project in imported.projects {
            guard let id = project.adoptID, let index = applied.projects.firstIndex(where: { $0.id == id }) else { continue }
            applied.projects[index].externalID = project.externalID
        }
        var first: DesiredState?
        for sources in [
            [SourceFile(path: "all.yaml", bytes: Array(imported.renderSingle(header: header).utf8))],
            imported.renderFiles(header: header).map { SourceFile(path: $0.name, bytes: Array($0.contents.utf8)) },
        ] {
            let result = load(sources)
            #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map(\.description))", sourceLocation: sourceLocation)
            let desired = try #require(result.desired, sourceLocation: sourceLocation)
            #expect(imported.membershipMismatches(in: desired) == [], sourceLocation: sourceLocation)
            let plan = F.plan(desired, applied)
            #expect(plan.errors.isEmpty && plan.warnings.isEmpty, sourceLocation: sourceLocation)
            #expect(plan.changes.isEmpty, "\(plan.actions)", sourceLocation: sourceLocation)
            first = first ?? desired
        }
        return try #require(first, sourceLocation: sourceLocation)
    }
}
