import CogramManifest
import Testing

@Suite struct GroupsTests {
    static let groups = """
        version: 1
        groups:
          - name: leads
            members:
              - {email: ana@x.example, role: owner}
              - {email: ben@x.example, role: editor}
          - name: crew
            members:
              - {email: ben@x.example, role: viewer}
              - {email: cho@x.example, role: viewer}

        """

    func members(_ entries: String) throws -> [String] {
        let result = load(Self.groups + "projects:\n  - external_id: p\n    name: P\n    members:\n" + entries)
        let project = try #require(result.desired?.projects.first, "\(result.diagnostics)")
        return (project.members ?? []).map { "\($0.email) \($0.role.rawValue) \($0.group ?? "-")" }
    }

    @Test func aGroupBringsItsMembersWithTheirRoles() throws {
        #expect(try members("      - group: leads\n") == ["ana@x.example owner leads", "ben@x.example editor leads"])
    }

    @Test func aRoleOnTheReferenceAppliesToEveryMemberOfTheGroup() throws {
        #expect(try members("      - group: leads\n        role: viewer\n") == ["ana@x.example viewer leads", "ben@x.example viewer leads"])
    }

    @Test func aDirectEntryWinsOverAnyGroupWhereverItIsListed() throws {
        #expect(try members("      - {email: ana@x.example, role: viewer}\n      - group: leads\n")
            == ["ana@x.example viewer -", "ben@x.example editor leads"])
        #expect(try members("      - group: leads\n      - {email: ana@x.example, role: viewer}\n")
            == ["ana@x.example viewer -", "ben@x.example editor leads"])
    }

    @Test func amongGroupsTheHighestRoleWins() throws {
        #expect(try members("      - group: crew\n      - group: leads\n")
            == ["ben@x.example editor leads", "cho@x.example viewer crew", "ana@x.example owner leads"])
        #expect(try members("      - group: leads\n      - group: crew\n        role: owner\n")
            == ["ana@x.example owner leads", "ben@x.example owner crew", "cho@x.example owner crew"])
    }

    @Test func groupsAreSharedAcrossFiles() throws {
        let result = ManifestLoader().load(sources: [
            SourceFile(path: "b-project.yaml", bytes: Array("version: 1\nprojects:\n  - {external_id: p, name: P, members: [{group: leads}]}\n".utf8)),
            SourceFile(path: "a-groups.yaml", bytes: Array("version: 1\ngroups:\n  - {name: leads, members: [{email: ana@x.example, role: owner}]}\n".utf8)),
        ])
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.desired?.projects.first?.members?.map(\.email) == ["ana@x.example"])
        #expect(result.desired?.groups.map(\.name) == ["leads"])
    }

    @Test func unknownGroupIsAnErrorAtTheReferenceWithASuggestion() {
        #expect(messages(Self.groups + "projects:\n  - external_id: p\n    name: P\n    members:\n      - group: lead\n      - group: crew\n      - group: leads\n") == [
            "15:9: unknown group 'lead' in project 'p'; did you mean 'leads'?",
        ])
    }

    @Test func aGroupDefinedTwiceNamesBothPlaces() {
        let result = ManifestLoader().load(sources: [
            SourceFile(path: "a.yaml", bytes: Array("version: 1\ngroups:\n  - {name: leads, members: []}\nprojects:\n  - {external_id: p, name: P, members: [{group: leads}]}\n".utf8)),
            SourceFile(path: "b.yaml", bytes: Array("version: 1\ngroups:\n  - {name: leads, members: []}\n".utf8)),
        ])
        #expect(result.diagnostics.map(\.description) == ["b.yaml:3:5: error: group 'leads' is defined twice; first defined at a.yaml:3:5"])
    }

    @Test func emailAndGroupInOneEntryIsAnError() {
        #expect(messages(Self.groups + "projects:\n  - external_id: p\n    name: P\n    members:\n      - {email: ana@x.example, group: leads}\n      - group: crew\n      - group: leads\n") == [
            "15:9: a member entry has either 'email' and 'role' or 'group' (with an optional 'role'), not both 'email' and 'group'",
        ])
    }

    @Test func groupListedTwiceInOneProjectIsAnError() {
        #expect(messages(Self.groups + "projects:\n  - external_id: p\n    name: P\n    members:\n      - group: crew\n      - group: leads\n      - group: crew\n        role: owner\n") == [
            "17:9: group 'crew' is listed twice in project 'p'; first listed at test.yaml:15:9",
        ])
    }

    @Test(arguments: [
        ("Site-Leads", "group name 'Site-Leads' must be lower-case letters, digits and '-', starting with a letter or digit"),
        ("-leads", "group name '-leads' must be lower-case letters, digits and '-', starting with a letter or digit"),
        ("site leads", "group name 'site leads' must be lower-case letters, digits and '-', starting with a letter or digit"),
        (String(repeating: "a", count: 65), "group name is 65 characters long; at most 64 are allowed"),
    ])
    func groupNamesFollowThePattern(name: String, message: String) {
        #expect(messages("version: 1\ngroups:\n  - name: '\(name)'\n    members: []\n") == ["3:11: \(message)"])
    }

    @Test func longestNameIsAccepted() {
        let name = "a" + String(repeating: "-0", count: 31) + "z"
        #expect(name.count == 64)
        #expect(DesiredGroup.isValidName(name))
    }

    @Test func unusedGroupIsAWarningAndTheManifestStaysValid() {
        let result = load(Self.groups + "projects:\n  - {external_id: p, name: P, members: [{group: leads}]}\n")
        #expect(result.isValid)
        #expect(result.diagnostics.map(\.description) == [
            "test.yaml:7:5: warning: group 'crew' is used by no project; remove it or add '- group: crew' to a project's members",
        ])
    }

    @Test func groupsHoldPeopleNotGroups() {
        #expect(messages("version: 1\ngroups:\n  - name: a\n    members:\n      - group: b\n") == [
            "3:5: group 'a' is used by no project; remove it or add '- group: a' to a project's members",
            "5:9: unknown key 'group' in a member of a group",
            "5:9: a member of a group needs 'email'",
            "5:9: a member of a group needs 'role'",
        ])
    }
}
