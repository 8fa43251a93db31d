@_spi(Testing) import CogramManifest
import Testing

/// A list that names no group keeps its members once: its entries are read from them. What a reader sees must be
/// what it was when both were kept.
@Suite struct MemberEntriesTests {
    static let yaml = """
        version: 1
        groups:
          - name: leads
            members:
              - {email: eve@x.example, role: owner}
        projects:
          - external_id: plain
            name: Plain
            members:
              - {email: dana@x.example, role: editor, expires: 2027-03-31}
              - {email: gil@x.example, role: owner}
          - external_id: grouped
            name: Grouped
            members:
              - {email: dana@x.example, role: viewer}
              - group: leads
              - {email: gil@x.example, role: editor}
          - external_id: unmanaged
            name: Unmanaged

        """

    func project(_ desired: DesiredState, _ id: String) throws -> DesiredProject {
        try #require(desired.projects.first { $0.externalID == id })
    }

    func describe(_ entries: [DesiredMemberEntry]?) -> [String]? {
        entries?.map { entry in
            switch entry {
            case .direct(let member): "\(member.email) \(member.role.rawValue) \(member.location.line)"
            case .group(let reference): "group \(reference.name) \(reference.location.line)"
            }
        }
    }

    @Test func theEntriesOfAListWithoutGroupsAreItsMembersAsWritten() throws {
        let desired = try #require(load(Self.yaml).desired)
        let plain = try project(desired, "plain")
        #expect(describe(plain.memberEntries) == ["dana@x.example editor 10", "gil@x.example owner 11"])
        #expect(plain.memberEntries == plain.members?.map(DesiredMemberEntry.direct))
        let grouped = try project(desired, "grouped")
        #expect(describe(grouped.memberEntries) == ["dana@x.example viewer 15", "group leads 16", "gil@x.example editor 17"])
        #expect(grouped.members?.map(\.email) == ["dana@x.example", "eve@x.example", "gil@x.example"])
        let unmanaged = try project(desired, "unmanaged")
        #expect(unmanaged.members == nil && unmanaged.memberEntries == nil)
    }

    @Test func changingTheMembersKeepsTheEntriesAsWritten() throws {
        let desired = try #require(load(Self.yaml).desired)
        // An evaluation after dana's last day drops her from the members; her entry stays.
        let evaluated = desired.evaluated(asOf: try #require(CalendarDay(parsing: "2027-04-01"))).state
        let plain = try project(evaluated, "plain")
        #expect(plain.members?.map(\.email) == ["gil@x.example"])
        #expect(describe(plain.memberEntries) == ["dana@x.example editor 10", "gil@x.example owner 11"])
        var emptied = try project(desired, "plain")
        emptied.members = []
        #expect(emptied.memberEntries?.count == 2)
    }

    @Test func projectsThatReadAlikeAreEqualAndHashAlike() throws {
        let desired = try #require(load(Self.yaml).desired)
        let plain = try project(desired, "plain")
        var kept = plain
        kept.memberEntries = plain.memberEntries
        #expect(kept == plain)
        #expect(kept.hashValue == plain.hashValue)
        var other = plain
        other.memberEntries = Array(plain.memberEntries?.prefix(1) ?? [])
        #expect(other != plain)
        var renamed = plain
        renamed.name = "Renamed"
        #expect(renamed != plain)
    }

    @Test func aRoleIsReadByItsWholeName() throws {
        let roles = try #require(load("""
            version: 1
            projects:
              - external_id: p
                name: P
                members:
                  - {email: a@x.example, role: owner}
                  - {email: b@x.example, role: "editor"}
                  - {email: c@x.example, role: 'viewer'}

            """).desired).projects[0].members?.map(\.role)
        #expect(roles == [.owner, .editor, .viewer])
        for name in ["\\0owner", "owners", "Owner", "editer", "viewer\\0"] {
            let result = load("""
                version: 1
                projects:
                  - external_id: p
                    name: P
                    members:
                      - {email: a@x.example, role: "\(name)"}

                """)
            #expect(result.desired == nil, "role \(name)")
            #expect(result.diagnostics.contains { $0.message.contains("role") }, "\(result.diagnostics)")
        }
    }

    @Test func everySectionsKeysNumberFromZeroWithoutGaps() {
        #expect(SectionKeyLayout.problems == [])
    }
}

/// The composer points a scalar at its text in the source when it is written there as it is, and copies it
/// otherwise: every style must read as its value either way.
@Suite struct ScalarTextTests {
    @Test func everyStyleReadsAsItsValue() throws {
        let result = load("""
            version: 1
            projects:
              - {external_id: plain, name: Zürich plain, description: "Zürich, naïve"}
              - {external_id: single, name: 'It''s quoted', description: 'plain inside'}
              - external_id: double
                name: "tab\\there"
                description: "no escapes"
              - external_id: folded
                name: first
                  second
                description: "one
                  two"
              - external_id: blocks
                name: &shared Shared
                description: |
                  line one
                  line two
              - external_id: alias
                name: *shared
                description: >
                  folded
                  text
              - external_id: tagged
                name: !!str 2027
                description: "\\u00e9t\\u00e9"
              - external_id: empty
                name: x
                description: ''

            """)
        let desired = try #require(result.desired, "\(result.diagnostics)")
        let read = desired.projects.map { "\($0.externalID)|\($0.name)|\($0.description.value ?? "-")" }
        #expect(read == [
            "plain|Zürich plain|Zürich, naïve",
            "single|It's quoted|plain inside",
            "double|tab\there|no escapes",
            "folded|first second|one two",
            "blocks|Shared|line one\nline two\n",
            "alias|Shared|folded text\n",
            "tagged|2027|été",
            "empty|x|",
        ])
    }
}
