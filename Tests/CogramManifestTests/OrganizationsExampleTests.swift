import CogramManifest
import CogramTestSupport
import Testing

/// examples/organizations: two organization roots in one repository, as the multi-organization workflow plans them.
@Suite struct OrganizationsExampleTests {
    @Test func twoRootsLoadAsTwoOrganizationsWithTheirOwnKeys() throws {
        let result = ManifestLoader().loadOrganizations(sources: try Repository.sources("examples/organizations"))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.organizations.map(\.name) == ["Northwind Build UK", "Northwind Build US"])
        #expect(result.organizations.map(\.organization?.apiKeyEnv) == ["COGRAM_API_KEY_NORTHWIND_UK", "COGRAM_API_KEY_NORTHWIND_US"])
        #expect(result.organizations.map(\.organization?.anchor) == ["usr_nwuk_0001", "usr_nwus_0001"])
        #expect(result.organizations.map { $0.desired.projects.count } == [2, 2])
    }
}
