import CogramAPI
import CogramManifest
@testable import CogramPlan
import CogramTestSupport
import Foundation
import Testing

@Suite struct AccessReportTests {
    /// Line numbers matter: `managed_by` names them.
    static let yaml = """
        version: 1
        organization:
          name: Acme
          anchor: usr_ana
        users:
          - email: ana@acme.example
            role: admin
        groups:
          - name: crew
            members:
              - {email: ben@acme.example, role: editor}
        offboarded:
          - email: dan@acme.example
        projects:
          - external_id: p-managed
            name: Managed
            members:
              - {email: ana@acme.example, role: owner}
              - group: crew
              - {email: cat@acme.example, role: viewer, expires: 2027-03-10}
          - external_id: p-open
            name: Open

        """

    static func desired() throws -> DesiredState {
        let result = ManifestLoader().load(sources: [SourceFile(path: "org/acme.yaml", bytes: Array(yaml.utf8))])
        return try #require(result.desired, "\(result.diagnostics)")
    }

    static let observed = ObservedState(
        projects: [
            F.project("prj_1", externalID: "p-managed", name: "Managed"),
            F.project("prj_2", externalID: "p-open", name: "Open"),
            F.project("prj_3", externalID: nil, name: "=HYPERLINK(\"x\"), old", status: .archived),
        ],
        users: ["ana", "ben", "cat", "dan", "fay", "gus"].map { F.user($0, role: $0 == "ana" ? .admin : .member) },
        members: [
            "prj_1": [F.member("ana", .owner), F.member("ben", .editor), F.member("cat", .viewer), F.member("gus", .viewer)],
            "prj_2": [F.member("ben", .owner)],
            "prj_3": [F.member("dan", .editor)],
        ])

    static func report(day: String = "2027-03-01", users: Set<String>? = nil) throws -> AccessReport {
        let desired = try desired()
        let day = try #require(CalendarDay(parsing: day))
        return makeAccessReport(
            evaluation: desired.evaluated(asOf: day), desired: desired, observed: observed, apiURL: "https://api.cogram.com",
            base: ManifestPathBase(directories: [try #require(desired.organization?.root)]), users: users)
    }

    static func rows(_ report: AccessReport) -> [String] {
        report.grants.map { "\($0.email.prefix(3)) \($0.projectExternalID ?? $0.projectID ?? "-") \($0.projectRole ?? "-") \($0.managedBy?.description ?? "-")" }
    }

    @Test func everyMembershipWithWhatManagesIt() throws {
        let report = try Self.report()
        #expect(Self.rows(report) == [
            "ana p-managed owner acme.yaml:18",  // a direct entry
            "ben p-managed editor acme.yaml:11",  // through a group: the group's member entry
            "ben p-open owner unmanaged",  // a managed project whose members are not managed
            "cat p-managed viewer acme.yaml:20",
            "dan prj_3 editor unmanaged",  // a project no manifest manages
            "fay - - -",  // no membership: one row, empty project columns
            "gus p-managed viewer not in manifests",  // pending removal
        ])
        #expect(report.organizationName == "Acme" && report.anchor == "usr_ana")
        #expect(report.usersInNoManifest == ["fay@acme.example", "gus@acme.example"])
        #expect(report.offboardedWithAccess == [OffboardedAccess(email: "dan@acme.example", projects: ["prj_3"], location: "acme.yaml:13")])
        #expect(report.expiring == [ExpiringAccess(
            email: "cat@acme.example", project: "p-managed", role: "viewer", expires: try #require(CalendarDay(parsing: "2027-03-10")),
            location: "acme.yaml:20")])
        let fay = try #require(report.grants.first { $0.email.hasPrefix("fay") })
        #expect(fay.userID == "usr_fay" && fay.organizationRole == "member" && fay.projectID == nil && fay.projectName == nil)
    }

    @Test func anExpiredEntryNoLongerGrantsAndIsNotExpiring() throws {
        let report = try Self.report(day: "2027-03-11")
        #expect(Self.rows(report).contains("cat p-managed viewer not in manifests"))
        #expect(report.expiring.isEmpty)
        // The window ends on the last day that still counts as expiring.
        #expect(try Self.report(day: "2027-02-24").expiring.count == 1)
        #expect(try Self.report(day: "2027-02-23").expiring.isEmpty)
    }

    @Test func withoutManifestsEveryMembershipIsUnmanaged() {
        let desired = DesiredState()
        let report = makeAccessReport(
            evaluation: desired.evaluated(asOf: CalendarDay(daysSinceEpoch: 20_000)), desired: desired, observed: Self.observed,
            apiURL: "u", base: ManifestPathBase(directories: []))
        #expect(report.grants.filter { $0.projectID != nil }.allSatisfy { $0.managedBy == .unmanaged })
        #expect(report.grants.count == 7)  // 6 memberships and fay, who has none
        #expect(report.organizationLabel == "unnamed organization")
        #expect(report.usersInNoManifest.count == 6)
    }

    @Test func userFilterLimitsEveryPart() throws {
        let report = try Self.report(users: ["BEN@acme.example", "dan@acme.example"])
        #expect(Self.rows(report) == ["ben p-managed editor acme.yaml:11", "ben p-open owner unmanaged", "dan prj_3 editor unmanaged"])
        #expect(report.usersInNoManifest.isEmpty && report.expiring.isEmpty && report.offboardedWithAccess.count == 1)
    }

    @Test func rowsSortByEmailThenExternalIDThenID() {
        func grant(_ email: String, _ externalID: String?, _ id: String?) -> AccessGrant {
            AccessGrant(email: email, userID: "u", organizationRole: "member", projectExternalID: externalID, projectID: id)
        }
        let sorted = [grant("b@x", "a", "2"), grant("b@x", nil, "9"), grant("a@x", "z", "1"), grant("b@x", "a", "1"), grant("b@x", nil, nil)]
            .sorted(by: grantOrder)
        #expect(sorted.map { "\($0.email) \($0.projectExternalID ?? "") \($0.projectID ?? "")" } == [
            "a@x z 1", "b@x  ", "b@x  9", "b@x a 1", "b@x a 2",
        ])
    }

    @Test func sortingByPrecomputedKeysKeepsGrantOrderAndTheOrderOfEqualGrants() {
        // Mixed case (the keys normalize emails), rows without a project, and equal keys told apart by role.
        var grants: [AccessGrant] = []
        for (index, email) in ["B@x", "a@x", "b@X", "c@x", "A@x"].enumerated() {
            for (externalID, id) in [("p2", "2"), (nil, "9"), ("p1", "1"), (nil, nil), ("p1", "1")] as [(String?, String?)] {
                grants.append(AccessGrant(
                    email: email, userID: "u\(index)", organizationRole: "member", projectExternalID: externalID,
                    projectID: id, projectRole: "r\(grants.count)"))
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let shuffled = grants.shuffled(using: &generator)
            let expected = shuffled.enumerated().sorted { a, b in
                grantOrder(a.element, b.element) || (!grantOrder(b.element, a.element) && a.offset < b.offset)
            }.map(\.element)
            #expect(sortedByGrantOrder(shuffled) == expected)
        }
    }

    @Test func theReportsRowsAreInGrantOrderWithUnknownMembersMixedCaseAndSharedKeys() {
        // Ranks of emails and projects stand in for comparing strings per row: equal keys must share a rank, a
        // member that is not among the users and a user whose email differs only in case must sort by the
        // normalized email, and rows without a project come first.
        var zed = F.member("zed", .viewer)
        zed.userID = "usr_nobody"  // not among the users: the member's own email sorts it
        var upper = F.user("Ben", role: .member)
        upper.id = "usr_upper"
        let observed = ObservedState(
            projects: [
                F.project("prj_9", externalID: "p-b"), F.project("prj_2", externalID: nil),
                F.project("prj_1", externalID: "p-b"), F.project("prj_5", externalID: "p-a"),
            ],
            users: [F.user("cat"), upper, F.user("ben"), F.user("ana"), F.user("fay")],
            members: [
                "prj_9": [F.member("ben", .owner), zed, F.member("ana", .viewer)],
                "prj_2": [F.member("cat", .editor), F.member("ben", .viewer)],
                "prj_1": [F.member("ben", .editor), Member(
                    userID: "usr_upper", email: "Ben@acme.example", name: "Ben", role: .viewer, addedAt: F.stamp)],
                "prj_5": [F.member("ben", .viewer), F.member("ana", .owner)],
            ])
        let desired = DesiredState()
        let report = makeAccessReport(
            evaluation: desired.evaluated(asOf: CalendarDay(daysSinceEpoch: 20_000)), desired: desired, observed: observed,
            apiURL: "u", base: ManifestPathBase(directories: []))
        #expect(report.grants.map { "\($0.email) \($0.projectID ?? "-") \($0.projectRole ?? "-")" } == [
            "ana@acme.example prj_5 owner", "ana@acme.example prj_9 viewer",
            // "" (no external_id) first, then p-a, then p-b by id; the two prj_1 rows in the order read.
            "ben@acme.example prj_2 viewer", "ben@acme.example prj_5 viewer", "ben@acme.example prj_1 editor",
            "Ben@acme.example prj_1 viewer", "ben@acme.example prj_9 owner",
            "cat@acme.example prj_2 editor", "fay@acme.example - -", "zed@acme.example prj_9 viewer",
        ])
        for (row, next) in zip(report.grants, report.grants.dropFirst()) { #expect(!grantOrder(next, row)) }
    }

    @Test func pathsAreRelativeToTheRootOrThePathArgument() {
        #expect(ManifestPathBase(directories: ["org"]).relative("org/teams/a.yaml") == "teams/a.yaml")
        #expect(ManifestPathBase(directories: ["org/"]).relative("org/a.yaml") == "a.yaml")
        #expect(ManifestPathBase(directories: ["."]).relative("./a.yaml") == "a.yaml")
        #expect(ManifestPathBase(directories: ["org"]).relative("organization/a.yaml") == "organization/a.yaml")
    }

    @Test func csvIsRFC4180WithTheFormulaGuard() throws {
        #expect(csvField("=SUM(A1)") == "'=SUM(A1)")
        #expect(csvField("+1") == "'+1" && csvField("-x") == "'-x" && csvField("@me") == "'@me" && csvField("\tt") == "'\tt")
        #expect(csvField("\rx") == "\"'\rx\"")
        #expect(csvField("a,b") == "\"a,b\"")
        #expect(csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(csvField("two\nlines") == "\"two\nlines\"")
        #expect(csvField("plain") == "plain" && csvField("") == "")
        let csv = renderCSV(try Self.report())
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines.first == "email,user_id,organization_role,project_external_id,project_id,project_name,project_status,project_role,managed_by")
        #expect(csv.hasSuffix("\r\n") && lines.count == 9 && lines.last == "")
        #expect(lines.contains("dan@acme.example,usr_dan,member,,prj_3,\"'=HYPERLINK(\"\"x\"\"), old\",archived,editor,unmanaged"))
        #expect(lines.contains("fay@acme.example,usr_fay,member,,,,,,"))
        #expect(lines.contains("gus@acme.example,usr_gus,member,p-managed,prj_1,Managed,active,viewer,not in manifests"))
    }

    @Test func jsonDocumentHasTheSpecifiedShape() throws {
        let data = try Self.report().jsonData()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["kind"] as? String == "cogramctl-access" && object["format_version"] as? String == "1")
        #expect((object["organization"] as? [String: Any])?["name"] as? String == "Acme")
        let grants = try #require(object["grants"] as? [[String: Any]])
        #expect(grants.count == 7)
        #expect(grants[0]["managed_by"] as? String == "acme.yaml:18")
        #expect(grants[5]["project_id"] is NSNull && grants[5]["managed_by"] is NSNull)
        #expect(Set(grants[0].keys) == Set(AccessReport.csvColumns))
        #expect(object["users_in_no_manifest"] as? [String] == ["fay@acme.example", "gus@acme.example"])
        let expiring = try #require(object["expiring"] as? [[String: Any]])
        #expect(expiring.first?["expires"] as? String == "2027-03-10" && expiring.first?["location"] as? String == "acme.yaml:20")
    }

    @Test func humanAndMarkdownStartWithTheOrganization() throws {
        let report = try Self.report()
        let human = renderHuman(report)
        #expect(human.hasPrefix("Organization: Acme (anchor usr_ana)\nAPI: https://api.cogram.com, key from COGRAM_API_KEY\n"))
        #expect(human.contains("gus@acme.example  member    p-managed"))
        #expect(human.contains("Offboarded people who still have access:\n  dan@acme.example (acme.yaml:13): prj_3\n"))
        let markdown = renderMarkdown(report)
        #expect(markdown.hasPrefix("# Access report: Acme\n"))
        #expect(markdown.contains("- **6** memberships\n") && markdown.contains("- **1** not in manifests (pending removal)\n"))
        // The app's project name cannot break the table or start a link.
        #expect(markdown.contains("| =HYPERLINK(\"x\"), old |"))
        #expect(!markdown.split(separator: "\n").filter { $0.hasPrefix("| ") }.contains { line in
            line.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count != 8
        })
    }
}
