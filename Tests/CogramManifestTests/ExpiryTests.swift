import CogramManifest
import Testing

@Suite struct CalendarDayTests {
    @Test func parsesAndPrintsOnlyRealDates() {
        #expect(CalendarDay(parsing: "2027-03-31")?.description == "2027-03-31")
        #expect(CalendarDay(parsing: "2028-02-29")?.description == "2028-02-29")
        #expect(CalendarDay(parsing: "2027-02-29") == nil)
        #expect(CalendarDay(parsing: "2100-02-29") == nil)
        #expect(CalendarDay(parsing: "2000-02-29") != nil)
        #expect(CalendarDay(parsing: "2027-13-01") == nil)
        #expect(CalendarDay(parsing: "2027-3-31") == nil)
        #expect(CalendarDay(parsing: "2027-03-31T00:00") == nil)
        #expect(CalendarDay(parsing: "+027-03-31") == nil)
        #expect(CalendarDay(parsing: "1970-01-01")?.daysSinceEpoch == 0)
    }

    @Test func addsDaysAcrossMonthsYearsAndLeapDays() throws {
        let day = try #require(CalendarDay(parsing: "2027-12-31"))
        #expect(day.adding(days: 1).description == "2028-01-01")
        #expect(try #require(CalendarDay(parsing: "2028-02-28")).adding(days: 1).description == "2028-02-29")
        #expect(try #require(CalendarDay(parsing: "2027-03-01")).adding(days: -1).description == "2027-02-28")
        #expect(day.adding(days: 14) > day)
        #expect(CalendarDay(Date(timeIntervalSince1970: 86_400 * 2 - 1)).description == "1970-01-02")
    }
}

import Foundation

@Suite struct ExpiryEvaluationTests {
    static let yaml = """
        version: 1
        users:
          - {email: fay@x.example, role: admin, expires: 2027-01-10, then: member}
        groups:
          - name: leads
            members:
              - {email: eve@x.example, role: owner, expires: 2027-02-28}
              - {email: gil@x.example, role: editor}
        projects:
          - external_id: p
            name: P
            members:
              - {email: dana@x.example, role: editor, expires: 2027-03-31}
              - {group: leads, role: viewer, expires: 2027-01-15}
              - {email: gil@x.example, role: owner}
          - external_id: q
            name: Q
            members:
              - group: leads
              - {email: dana@x.example, role: viewer, expires: 2027-03-31}

        """

    func evaluation(_ day: String, window: Int = 14) throws -> AccessEvaluation {
        let desired = try #require(load(Self.yaml).desired)
        return desired.evaluated(asOf: try #require(CalendarDay(parsing: day)), warningWindow: window)
    }

    func members(_ evaluation: AccessEvaluation, _ project: String) -> [String] {
        (evaluation.state.projects.first { $0.externalID == project }?.members ?? []).map { "\($0.email) \($0.role.rawValue)" }.sorted()
    }

    @Test func theLastDayStillCountsTheNextDayDoesNot() throws {
        let last = try evaluation("2027-03-31")
        #expect(members(last, "p").contains("dana@x.example editor"))
        #expect(last.expiredEntry(project: "p", email: "dana@x.example") == nil)
        let after = try evaluation("2027-04-01")
        #expect(!members(after, "p").contains { $0.hasPrefix("dana@") })
        let entry = try #require(after.expiredEntry(project: "p", email: "DANA@x.example"))
        #expect(entry.reason == "expired 2027-03-31 (test.yaml:13)")
        #expect(after.expired.contains(entry))
    }

    @Test func anExpiredGroupReferenceLeavesWhatOtherEntriesGrant() throws {
        let after = try evaluation("2027-01-16")
        // gil keeps the direct owner entry; eve loses p (only the expired reference granted it), keeps q.
        #expect(members(after, "p") == ["dana@x.example editor", "gil@x.example owner"])
        #expect(members(after, "q") == ["dana@x.example viewer", "eve@x.example owner", "gil@x.example editor"])
        #expect(after.expiredEntry(project: "p", email: "eve@x.example")?.kind == .projectGroup)
        #expect(after.expiredEntry(project: "p", email: "gil@x.example") == nil)
        let before = try evaluation("2027-01-15")
        #expect(members(before, "p").contains("eve@x.example viewer"))
    }

    @Test func anExpiredGroupMemberIsGoneFromEveryProjectUsingTheGroup() throws {
        let after = try evaluation("2027-03-01")
        #expect(!members(after, "q").contains { $0.hasPrefix("eve@") })
        let entry = try #require(after.expiredEntry(project: "q", email: "eve@x.example"))
        #expect(entry.kind == .groupMember)
        #expect(entry.location.line == 7)
        #expect(after.state.groups[0].members.map(\.email) == ["gil@x.example"])
        #expect(members(try evaluation("2027-02-28"), "q").contains("eve@x.example owner"))
    }

    @Test func aUsersRoleBecomesThenAfterTheLastDay() throws {
        #expect(try evaluation("2027-01-10").state.users[0].role == .admin)
        let after = try evaluation("2027-01-11")
        #expect(after.state.users[0].role == .member)
        #expect(after.expiredUserEntry(email: "fay@x.example")?.reason == "expired 2027-01-10 (test.yaml:3)")
        #expect(try evaluation("2027-01-10").expiredUserEntry(email: "fay@x.example") == nil)
    }

    @Test func expiringMeansTodayThroughTodayPlusTheWindow() throws {
        func expiring(_ day: String, window: Int = 14) throws -> [String] {
            try evaluation(day, window: window).expiring.map { "\($0.email ?? $0.group ?? "") \($0.expires)" }
        }
        // dana's entries expire 2027-03-31: expiring from 03-17 (window 14) through 03-31; expired from 04-01.
        #expect(try expiring("2027-03-16").isEmpty)
        #expect(try expiring("2027-03-17") == ["dana@x.example 2027-03-31", "dana@x.example 2027-03-31"])
        #expect(try expiring("2027-03-31").count == 2)
        #expect(try expiring("2027-04-01").isEmpty)
        #expect(try evaluation("2027-04-01").expired.count == 5)
        #expect(try expiring("2027-03-30", window: 0).isEmpty)
        #expect(try expiring("2027-03-31", window: 0).count == 2)
    }

    @Test func validateWarnsAtExpiredEntriesAndPoliciesJudgeAsOfToday() throws {
        let yaml = """
            version: 1
            policies:
              min_owners: 1
            projects:
              - external_id: p
                name: P
                members:
                  - {email: ana@x.example, role: owner, expires: 2027-03-31}

            """
        let source = SourceFile(path: "m.yaml", bytes: Array(yaml.utf8))
        let onTime = ManifestLoader(today: CalendarDay(parsing: "2027-03-31")).load(sources: [source])
        #expect(onTime.isValid && onTime.diagnostics.isEmpty)
        let late = ManifestLoader(today: CalendarDay(parsing: "2027-04-01")).load(sources: [source])
        #expect(late.diagnostics.map(\.description) == [
            "m.yaml:5:5: error: project 'p' has 0 owners; policies.min_owners requires at least 1",
            "m.yaml:8:9: warning: the entry for 'ana@x.example' expired on 2027-03-31 (it no longer counts); remove it from the manifest",
        ])
    }
}
