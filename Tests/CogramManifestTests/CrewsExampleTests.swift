import CogramManifest
import CogramTestSupport
import Testing

/// examples/crews: one file per project, groups shared across files, policies.
@Suite struct CrewsExampleTests {
    @Test func loadsCleanlyWithGroupsExpanded() throws {
        let result = ManifestLoader().load(sources: try Repository.sources("examples/crews"))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let desired = try #require(result.desired)
        #expect(desired.groups.map(\.name) == ["marine-leads", "estimators", "surveyors"])
        #expect(desired.policies?.guestMaxRole == .viewer)
        let terminal = try #require(desired.projects.first { $0.externalID == "nwc-harbor-terminal" })
        let roles = (terminal.members ?? []).map { "\($0.email.split(separator: "@")[0]) \($0.role.rawValue) \($0.group ?? "-")" }
        #expect(roles == ["farah.haddad owner marine-leads", "diego.santos owner -", "elif.yilmaz viewer estimators", "george.lee viewer estimators"])
    }
}
