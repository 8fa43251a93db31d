@testable import CogramPlan
import Testing

/// An address has one printer and one parser; every form reads back as it was written.
@Suite struct ChangeAddressTests {
    @Test(arguments: [
        "project.acme-web",
        "project.acme.web.v2",
        "project.acme-web.member.ana@acme.example",
        "user.ben@acme.example",
        "project#prj_123",
        "project#prj_123.member.ana@acme.example",
    ])
    func printsWhatItParses(_ text: String) throws {
        let address = try #require(ChangeAddress(parsing: text))
        #expect(address.description == text)
    }

    @Test func theFormsAndTheirParts() throws {
        #expect(ChangeAddress(parsing: "project.acme-web")?.kind == .project(.externalID("acme-web")))
        #expect(ChangeAddress(parsing: "project#prj_1")?.kind == .project(.id("prj_1")))
        #expect(ChangeAddress(parsing: "project#prj_1.member.Ana@Acme.example")?.kind == .member(.id("prj_1"), email: "ana@acme.example"))
        let member = try #require(ChangeAddress(parsing: "project.acme-web.member.ana@acme.example"))
        #expect(member.kind == .member(.externalID("acme-web"), email: "ana@acme.example"))
        #expect(member.projectAddress == .project("acme-web"))
        #expect(member.email == "ana@acme.example")
        #expect(ChangeAddress.user(email: "user.x").email == "user.x")
        // A `.member.` not followed by an email is part of the external_id.
        #expect(ChangeAddress(parsing: "project.a.member.b")?.kind == .project(.externalID("a.member.b")))
    }

    @Test func emailsAreLowerCase() {
        #expect(ChangeAddress.member("acme-web", email: "Ana@ACME.example").description == "project.acme-web.member.ana@acme.example")
        #expect(ChangeAddress.user(email: "Ben@Acme.Example").description == "user.ben@acme.example")
        #expect(ChangeAddress.member(.id("prj_9"), email: "X@Y.z").description == "project#prj_9.member.x@y.z")
    }

    @Test(arguments: ["", "project.", "project#", "project#a.b", "user.", "team.x", "projects.x"])
    func textThatIsNoAddress(_ text: String) {
        #expect(ChangeAddress(parsing: text) == nil)
    }
}
