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

    @Test func everySectionsKeysNumberFromZeroWithoutGaps() {
        #expect(SectionKeyLayout.problems == [])
    }
}
