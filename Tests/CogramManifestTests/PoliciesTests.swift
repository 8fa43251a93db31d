import CogramManifest
import Testing

@Suite struct PoliciesTests {
    func check(_ policies: String, _ body: String) -> [String] {
        messages("version: 1\npolicies:\n" + policies + body)
    }

    @Test func decodesEveryRule() throws {
        let result = load("version: 1\npolicies:\n  min_owners: 1\n  max_owners: 3\n  guest_max_role: editor\n  require_description: true\n  external_id_pattern: '^a'\n")
        let policies = try #require(result.desired?.policies, "\(result.diagnostics)")
        #expect(policies.minOwners == 1 && policies.maxOwners == 3 && policies.guestMaxRole == .editor)
        #expect(policies.requireDescription && policies.externalIDPattern == "^a")
    }

    @Test func ownersAreCountedAfterGroupsAreExpanded() {
        let body = """
            groups:
              - {name: leads, members: [{email: a@x.example, role: owner}, {email: b@x.example, role: owner}]}
            projects:
              - {external_id: none, name: N, members: [{email: c@x.example, role: editor}]}
              - {external_id: many, name: M, members: [{group: leads}, {email: c@x.example, role: owner}]}
              - {external_id: fine, name: F, members: [{group: leads}]}
              - {external_id: unmanaged, name: U}
              - {external_id: old, name: O, archived: true, members: []}

            """
        #expect(check("  min_owners: 1\n  max_owners: 2\n", body) == [
            "8:5: project 'none' has 0 owners; policies.min_owners requires at least 1",
            "9:5: project 'many' has 3 owners; policies.max_owners allows at most 2",
        ])
    }

    @Test func requireDescription() {
        let body = "projects:\n  - {external_id: a, name: A}\n  - {external_id: b, name: B, description: ' '}\n  - {external_id: c, name: C, description: null}\n  - {external_id: d, name: D, description: Fine}\n"
        #expect(check("  require_description: true\n", body) == [
            "5:5: project 'a' has no description; policies.require_description requires one",
            "6:5: project 'b' has no description; policies.require_description requires one",
            "7:5: project 'c' has no description; policies.require_description requires one",
        ])
        #expect(check("  require_description: false\n", body).isEmpty)
    }

    @Test func externalIDPatternIsAnICURegex() {
        let body = "projects:\n  - {external_id: acme-1, name: A}\n  - {external_id: Acme_2, name: B}\n  - {external_id: acme-old, name: C, archived: true}\n"
        #expect(check("  external_id_pattern: '^acme-[a-z0-9-]+$'\n", body) == [
            "6:5: external_id 'Acme_2' does not match policies.external_id_pattern '^acme-[a-z0-9-]+$'",
        ])
        #expect(check("  external_id_pattern: '^acme-[a-z'\n", "") == ["3:24: external_id_pattern '^acme-[a-z' is not a valid ICU regular expression"])
    }

    @Test func guestsTheManifestsDeclareAreCheckedOffline() {
        let body = """
            users:
              - {email: g@x.example, role: guest}
            groups:
              - {name: crew, members: [{email: g@x.example, role: editor}]}
            projects:
              - {external_id: a, name: A, members: [{email: g@x.example, role: viewer}]}
              - {external_id: b, name: B, members: [{email: G@x.example, role: owner}]}
              - {external_id: c, name: C, members: [{group: crew}]}

            """
        #expect(check("  guest_max_role: viewer\n", body) == [
            "10:5: G@x.example is a guest of the organization and owner of project 'b'; policies.guest_max_role allows guests at most viewer",
            "11:5: g@x.example is a guest of the organization and editor of project 'c' (through group 'crew'); policies.guest_max_role allows guests at most viewer",
        ])
    }

    @Test(arguments: [
        ("  min_owners: -1\n", "3:15: expected a whole number for 'min_owners', found '-1'"),
        ("  min_owners: '1'\n", "3:15: expected a whole number for 'min_owners', found the string \"1\""),
        ("  max_owners: 0\n", "3:15: 'max_owners' must be at least 1"),
        ("  min_owners: 3\n  max_owners: 2\n", "4:15: max_owners (2) is less than min_owners (3); no project could satisfy both"),
        ("  guest_max_role: admin\n", "3:19: invalid guest_max_role 'admin'; expected one of owner, editor, viewer"),
        ("  require_description: yes\n", "3:24: expected true or false for 'require_description', found 'yes'"),
        ("  min_owner: 1\n", "3:3: unknown key 'min_owner' in policies; did you mean 'min_owners'?"),
    ])
    func malformedPoliciesAreLocated(policies: String, message: String) {
        #expect(check(policies, "") == [message])
    }

    @Test func policiesInOneFileOnly() {
        let result = ManifestLoader().load(sources: [
            SourceFile(path: "a.yaml", bytes: Array("version: 1\npolicies: {min_owners: 1}\n".utf8)),
            SourceFile(path: "b.yaml", bytes: Array("version: 1\npolicies: {max_owners: 1}\n".utf8)),
        ])
        #expect(result.diagnostics.map(\.description) == ["b.yaml:2:11: error: 'policies' may appear in one file only; it is already set at a.yaml:2:11"])
    }
}
