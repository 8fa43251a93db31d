import CogramAPI
import CogramCore
import CogramManifest
@testable import CogramPlan
import Foundation
import Testing

/// The access report's JSON is written as it goes (`StableJSONWriter`); these pin it to the bytes of the
/// `JSONValue` tree encoded by `StableJSON`, which is how it was written before.
@Suite struct AccessReportJSONTests {
    /// The document as a tree of values, sorted by the encoder.
    static func tree(_ report: AccessReport) throws -> Data {
        func string(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        let grants = report.grants.map { grant -> JSONValue in
            .object([
                "email": .string(grant.email), "user_id": .string(grant.userID),
                "organization_role": .string(grant.organizationRole), "project_external_id": string(grant.projectExternalID),
                "project_id": string(grant.projectID), "project_name": string(grant.projectName),
                "project_status": string(grant.projectStatus), "project_role": string(grant.projectRole),
                "managed_by": string(grant.managedBy?.description),
            ])
        }
        let offboarded = report.offboardedWithAccess.map { person -> JSONValue in
            .object([
                "email": .string(person.email), "projects": .array(person.projects.map(JSONValue.string)),
                "location": .string(person.location),
            ])
        }
        let expiring = report.expiring.map { entry -> JSONValue in
            .object([
                "email": .string(entry.email), "project": string(entry.project), "role": .string(entry.role),
                "expires": .string(entry.expires.description), "location": .string(entry.location),
            ])
        }
        return try StableJSON.data(JSONValue.object([
            "kind": .string("cogramctl-access"), "format_version": .string("1"),
            "organization": .object(["name": string(report.organizationName), "anchor": string(report.anchor)]),
            "api_url": .string(report.apiURL), "as_of": .string(report.day.description),
            "expiry_warning_days": .number(Double(report.window)),
            "grants": .array(grants), "users_in_no_manifest": .array(report.usersInNoManifest.map(JSONValue.string)),
            "offboarded_with_access": .array(offboarded), "expiring": .array(expiring),
        ]))
    }

    @Test func theFixtureReportHasTheTreesBytes() throws {
        let report = try AccessReportTests.report()
        #expect(try report.jsonData() == (try Self.tree(report)))
    }

    @Test func hostileTextAndEmptyListsHaveTheTreesBytes() throws {
        let hostile = "Zoë \"q\" \\ / \u{1B}[2J\n\t\u{7F}\u{202E}🚀 @everyone https://x"
        let day = try #require(CalendarDay(parsing: "2027-01-31"))
        var report = AccessReport(
            organizationName: hostile, anchor: nil, apiURL: "http://127.0.0.1:8787/v1", keySource: nil, apiKeyEnv: nil,
            grants: [
                AccessGrant(email: hostile, userID: "usr_1", organizationRole: "member"),
                AccessGrant(
                    email: "a@x.example", userID: "usr_2", organizationRole: "admin", projectExternalID: nil, projectID: "prj_9",
                    projectName: hostile, projectStatus: "archived", projectRole: "owner", managedBy: .entry(file: "a b/c.yaml", line: 3)),
                AccessGrant(
                    email: "d@x.example", userID: "usr_3", organizationRole: "member", projectExternalID: "p", projectID: "prj_1",
                    projectName: "P", projectStatus: "active", projectRole: "viewer", managedBy: .entry(file: hostile, line: 0)),
                AccessGrant(
                    email: "d@x.example", userID: "usr_3", organizationRole: "member", projectExternalID: "q", projectID: "prj_2",
                    projectName: "Q", projectStatus: "active", projectRole: "viewer", managedBy: .notInManifests),
                AccessGrant(
                    email: "e@x.example", userID: "usr_4", organizationRole: "member", projectExternalID: "q", projectID: "prj_2",
                    projectName: "Q", projectStatus: "active", projectRole: "editor", managedBy: .unmanaged),
            ],
            usersInNoManifest: [hostile, "b@x.example"],
            offboardedWithAccess: [OffboardedAccess(email: hostile, projects: [], location: "o.yaml:2")],
            expiring: [ExpiringAccess(email: "c@x.example", project: nil, role: hostile, expires: day, location: "e.yaml:1")],
            day: day, window: 14)
        #expect(try report.jsonData() == (try Self.tree(report)))
        report.grants = []
        report.usersInNoManifest = []
        report.offboardedWithAccess = []
        report.expiring = []
        report.organizationName = nil
        #expect(try report.jsonData() == (try Self.tree(report)))
    }
}
