import CogramManifest
import CogramTestSupport
import Foundation
import Testing

@Suite struct AccessSectionsTests {
    @Test func organizationIsDecodedWithItsRoot() throws {
        let result = load("version: 1\norganization:\n  name: Acme US\n  anchor: usr_1\n  api_key_env: COGRAM_API_KEY_ACME_US\n",
            file: "orgs/us/org.yaml")
        let organization = try #require(result.desired?.organization, "\(result.diagnostics)")
        #expect(organization.name == "Acme US")
        #expect(organization.anchor == "usr_1")
        #expect(organization.apiKeyEnv == "COGRAM_API_KEY_ACME_US")
        #expect(organization.root == "orgs/us")
        #expect(organization.location.line == 3)
    }

    @Test func aChangeToOffboardedOrOrganizationMakesAChangedSincePlanFull() throws {
        let project = "projects:\n  - external_id: p-a\n    name: A\n"
        func desired(_ head: String) throws -> DesiredState {
            let result = load("version: 1\n" + head + project)
            return try #require(result.desired, "\(result.diagnostics)")
        }
        let bare = try desired("")
        let offboarded = try desired("offboarded:\n  - {email: leo@acme.example, date: 2026-01-05}\n")
        let redated = try desired("offboarded:\n  - {email: leo@acme.example, date: 2026-02-01}\n")
        let organization = try desired("organization:\n  name: Acme\n  anchor: usr_1\n")
        let otherKey = try desired("organization:\n  name: Acme\n  anchor: usr_1\n  api_key_env: COGRAM_API_KEY_ACME\n")
        #expect(ManifestChanges.between(base: bare, current: bare) == .projects([]))
        guard case .everything(let reason) = ManifestChanges.between(base: bare, current: offboarded) else {
            Issue.record("an offboarded person added must make a full plan")
            return
        }
        #expect(reason.contains("'offboarded'"))
        #expect(ManifestChanges.between(base: offboarded, current: redated) == .projects([]), "the date is for the record only")
        for (base, current) in [(bare, organization), (organization, otherKey), (organization, bare)] {
            guard case .everything(let reason) = ManifestChanges.between(base: base, current: current) else {
                Issue.record("a change to organization: must make a full plan")
                continue
            }
            #expect(reason.contains("'organization'"))
        }
    }

    @Test func organizationNameAndKeyVariableAreChecked() {
        #expect(messages("version: 1\norganization:\n  name: Acme, Inc\n") == [
            "3:9: organization name must not contain a comma (it is a label in metrics and CSV)"])
        #expect(messages("version: 1\norganization:\n  name: \"A\\tB\"\n") == ["3:9: organization name must not contain control characters"])
        #expect(messages("version: 1\norganization:\n  name: \(String(repeating: "a", count: 101))\n").first?.contains("101 characters") == true)
        #expect(messages("version: 1\norganization:\n  name: \(String(repeating: "a", count: 100))\n").isEmpty)
        #expect(messages("version: 1\norganization:\n  anchor: u\n") == ["3:3: organization needs 'name'"])
        #expect(messages("version: 1\norganization:\n  name: A\n  api_key_env: AWS_SECRET\n").first?.hasPrefix(
            "4:16: api_key_env 'AWS_SECRET' must be COGRAM_API_KEY or") == true)
        #expect(messages("version: 1\norganization:\n  name: A\n  api_key_env: COGRAM_API_KEY_\n").count == 1)
        #expect(messages("version: 1\norganization:\n  name: A\n  api_key_env: COGRAM_API_KEY\n").isEmpty)
        #expect(messages("version: 1\norganization:\n  name: A\n  api_url: https://evil.example\n")
            == ["4:3: unknown key 'api_url' in organization"])
    }

    @Test func twoOrganizationsInOneRootOrSeveralRootsAreErrors() {
        let org = Array("version: 1\norganization:\n  name: A\n".utf8)
        let sameRoot = ManifestLoader().load(sources: [SourceFile(path: "r/a.yaml", bytes: org), SourceFile(path: "r/b.yaml", bytes: org)])
        #expect(sameRoot.diagnostics.map(\.description) == [
            "r/b.yaml:3:3: error: 'organization' may appear in one file of a root only; it is already set at r/a.yaml:3:3"])
        let twoRoots = ManifestLoader().load(sources: [SourceFile(path: "r/a.yaml", bytes: org), SourceFile(path: "s/b.yaml", bytes: org)])
        #expect(twoRoots.desired == nil)
        #expect(twoRoots.diagnostics.map(\.description).contains(
            "s/b.yaml:3:3: error: each organization needs its own name: 'A' is also the organization at r/a.yaml:3:3"))
    }

    @Test func aPathBelowARootLoadsTheRootsOrganizationFile() throws {
        let directory = try makeTemporaryDirectory("cogram-edit")
        defer { try? FileManager.default.removeItem(at: directory) }
        let root = directory.path
        try FileManager.default.createDirectory(atPath: root + "/repo/.git", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/repo/us/projects", withIntermediateDirectories: true)
        try "version: 1\norganization:\n  name: Acme US\n".write(toFile: root + "/repo/us/org.yaml", atomically: true, encoding: .utf8)
        try "version: 1\nprojects:\n  - external_id: p\n    name: P\n".write(
            toFile: root + "/repo/us/projects/p.yaml", atomically: true, encoding: .utf8)
        // Above the repository root: never looked at.
        try "version: 1\norganization:\n  name: Outside\n".write(toFile: root + "/org.yaml", atomically: true, encoding: .utf8)
        for path in [root + "/repo/us/projects", root + "/repo/us/projects/p.yaml"] {
            let result = ManifestLoader().load(paths: [path])
            #expect(result.desired?.organization?.name == "Acme US", "\(result.diagnostics)")
            #expect(result.desired?.projects.count == 1)
            #expect(result.sources.count == 2)
        }
    }

    @Test func expiresIsADateAndAUserNeedsThen() {
        let base = "version: 1\nprojects:\n  - external_id: p\n    name: P\n    members:\n"
        #expect(messages(base + "      - {email: a@x.example, role: owner, expires: 2027-02-30}\n")
            == ["6:52: expected a date YYYY-MM-DD for 'expires', found '2027-02-30'"])
        #expect(messages(base + "      - {email: a@x.example, role: owner, expires: tomorrow}\n")
            == ["6:52: expected a date YYYY-MM-DD for 'expires', found 'tomorrow'"])
        #expect(messages(base + "      - {email: a@x.example, role: owner, expires: \"2027-03-31\"}\n").isEmpty)
        #expect(messages("version: 1\nusers:\n  - email: a@x.example\n    role: admin\n    expires: 2027-01-10\n")
            == ["3:5: a user with 'expires' needs 'then': the organization role from the day after (admin, member or guest)"])
        #expect(messages("version: 1\nusers:\n  - email: a@x.example\n    then: member\n")
            == ["4:11: 'then' is the role after 'expires'; add 'expires: YYYY-MM-DD' or remove 'then'"])
        #expect(messages("version: 1\nusers:\n  - email: a@x.example\n    role: admin\n    expires: 2027-01-10\n    then: boss\n")
            == ["6:11: invalid then 'boss'; expected one of admin, member, guest"])
    }

    @Test func expiresIsKeptOnEveryKindOfEntry() throws {
        let result = load("""
            version: 1
            users:
              - {email: fay@x.example, role: admin, expires: 2027-01-10, then: member}
            groups:
              - name: leads
                members:
                  - {email: eve@x.example, role: owner, expires: 2027-02-28}
            projects:
              - external_id: p
                name: P
                members:
                  - {email: dana@x.example, role: editor, expires: 2027-03-31}
                  - {group: leads, expires: 2027-01-15}

            """)
        let desired = try #require(result.desired, "\(result.diagnostics)")
        #expect(desired.users[0].expires?.description == "2027-01-10")
        #expect(desired.users[0].then == .member)
        #expect(desired.groups[0].members[0].expires?.description == "2027-02-28")
        let entries = try #require(desired.projects[0].memberEntries)
        guard case .direct(let dana) = entries[0], case .group(let leads) = entries[1] else {
            Issue.record("unexpected entries \(entries)")
            return
        }
        #expect(dana.expires?.description == "2027-03-31")
        #expect(leads.expires?.description == "2027-01-15")
        #expect(leads.location.line == 13)
    }

    @Test func offboardedIsDecodedAndChecked() throws {
        let result = load("version: 1\noffboarded:\n  - email: leo@x.example\n    date: 2026-12-01\n    org_role: guest\n  - email: max@x.example\n")
        let desired = try #require(result.desired, "\(result.diagnostics)")
        #expect(desired.offboarded.map(\.email) == ["leo@x.example", "max@x.example"])
        #expect(desired.offboarded[0].date?.description == "2026-12-01")
        #expect(desired.offboarded[0].orgRole == .guest)
        #expect(desired.offboardedLocation?.line == 3)
        #expect(messages("version: 1\noffboarded:\n  - email: leo@x.example\n  - email: LEO@x.example\n")
            == ["4:5: 'LEO@x.example' is listed twice in offboarded; first listed at test.yaml:3:5"])
        #expect(messages("version: 1\noffboarded:\n  - email: leo@x.example\n    date: soon\n")
            == ["4:11: expected a date YYYY-MM-DD for 'date', found 'soon'"])
    }

    @Test func anOffboardedPersonListedElsewhereIsAnErrorNamingBothPlaces() {
        let yaml = """
            version: 1
            offboarded:
              - email: leo@x.example
            users:
              - email: LEO@x.example
            groups:
              - name: crew
                members:
                  - {email: leo@x.example, role: viewer}
            projects:
              - external_id: p
                name: P
                members:
                  - {email: leo@x.example, role: owner}
                  - group: crew

            """
        #expect(messages(yaml) == [
            "3:5: 'LEO@x.example' is offboarded here but also listed as a user at test.yaml:5:5; remove one of the two (cogramctl offboard removes the entries)",
            "3:5: 'leo@x.example' is offboarded here but also listed as a member of group 'crew' at test.yaml:9:9; remove one of the two (cogramctl offboard removes the entries)",
            "3:5: 'leo@x.example' is offboarded here but also listed as a member of project 'p' at test.yaml:14:9; remove one of the two (cogramctl offboard removes the entries)",
        ])
    }

    @Test func offboardedInTwoFilesIsAnError() {
        let text = Array("version: 1\noffboarded: []\n".utf8)
        let result = ManifestLoader().load(sources: [SourceFile(path: "a.yaml", bytes: text), SourceFile(path: "b.yaml", bytes: text)])
        #expect(result.diagnostics.map(\.description) == ["b.yaml:2:13: error: 'offboarded' may appear in one file only; it is already set at a.yaml:2:13"])
    }
}
