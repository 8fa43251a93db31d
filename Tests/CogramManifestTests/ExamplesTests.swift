import CogramManifest
import CogramTestSupport
import Testing

/// The shipped examples load cleanly and mean what their comments say.
@Suite struct ExamplesTests {
    let desired: DesiredState

    init() throws {
        let result = ManifestLoader().load(sources: try Repository.sources("examples/northwind"))
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        desired = try #require(result.desired)
    }

    func project(_ externalID: String) throws -> DesiredProject {
        try #require(desired.projects.first { $0.externalID == externalID })
    }

    @Test func sizes() {
        #expect(desired.files.count == 3)
        #expect(desired.users.count >= 10)
        #expect(desired.projects.count >= 8)
        #expect(desired.externalIDPrefix == "nw-")
    }

    @Test func aliasesAndMergeKeysResolve() throws {
        let canal = try project("nw-canal-lock-3")
        #expect(canal.members?.map(\.email) == [
            "farah.haddad@northwind-build.example", "diego.santos@northwind-build.example", "ivan.petrov@northwind-build.example",
        ])
        #expect(canal.members?.map(\.role) == [.owner, .editor, .viewer])
        let bridge = try project("nw-harbor-bridge")
        #expect(bridge.members?.first?.role == .owner)  // from `<<: *owner`
    }

    @Test func optionalFieldsKeepTheirThreeStates() throws {
        #expect(try project("nw-water-treatment-2").description == .null)
        #expect(try project("nw-riverside-depot").description == .absent)
        #expect(try project("nw-harbor-bridge").description == .value("Seismic retrofit of the north harbor bridge"))
        #expect(try project("nw-tunnel-survey").members == nil)
        #expect(try project("nw-parking-deck").members == [])
    }

    @Test func adoptionRekeyAndArchive() throws {
        #expect(try project("nw-riverside-depot").id == "prj_riverside01")
        #expect(try project("nw-warehouse-refit").previousExternalIDs == ["nw-warehouse-old"])
        #expect(try project("nw-temp-yard").archived)
        #expect(try !project("nw-canal-lock-3").archived)
    }

    @Test func scalarsAreTypedBySchema() throws {
        let kofi = try #require(desired.users.first { $0.email.hasPrefix("kofi") })
        #expect(kofi.externalID == .value("0042"))
        #expect(kofi.role == nil)
        let hana = try #require(desired.users.first { $0.normalizedEmail == "hana.sato@northwind-build.example" })
        #expect(hana.email == "Hana.Sato@northwind-build.example")
        #expect(try project("nw-st-marys-east-wing").name == "St. Mary's Hospital: East Wing")
    }
}
