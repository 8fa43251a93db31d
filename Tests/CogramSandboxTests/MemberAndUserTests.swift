import CogramAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CogramSandbox

@Suite struct MemberTests {
    @Test func putAddsThenUpdatesAndDeleteRemoves() async throws {
        try await withSandbox { h in
            let ben = try h.userID("ben@acme.example")
            let before: Project = try await h.send(.get, "/v1/projects/prj_fixed01").decode()
            let added = try await h.send(.put, "/v1/projects/prj_fixed01/members/\(ben)", json: #"{"role":"editor"}"#)
            #expect(added.status == .created)
            let member: Member = try added.decode()
            #expect(member.userID == ben)
            #expect(member.email == "Ben@Acme.example")
            #expect(member.name == "Ben Okafor")
            #expect(member.role == .editor)

            let same = try await h.send(.put, "/v1/projects/prj_fixed01/members/\(ben)", json: #"{"role":"editor"}"#)
            #expect(same.status == .ok)
            let changed = try await h.send(.put, "/v1/projects/prj_fixed01/members/\(ben)", json: #"{"role":"viewer"}"#)
            #expect(changed.status == .ok)
            let changedMember: Member = try changed.decode()
            #expect(changedMember.role == .viewer)
            #expect(changedMember.addedAt == member.addedAt)

            let list: Page<Member> = try await h.send(.get, "/v1/projects/prj_fixed01/members").decode()
            #expect(list.items.map(\.email) == ["ana@acme.example", "Ben@Acme.example"])
            #expect(list.total == 2)

            let after: Project = try await h.send(.get, "/v1/projects/prj_fixed01").decode()
            #expect(after.updatedAt == before.updatedAt)

            let removed = try await h.send(.delete, "/v1/projects/prj_fixed01/members/\(ben)")
            #expect(removed.status == .noContent)
            #expect(removed.data.isEmpty)
            let again = try await h.send(.delete, "/v1/projects/prj_fixed01/members/\(ben)")
            #expect(again.status == .notFound)
            #expect(again.errorCode == "not_found")
        }
    }

    @Test func putErrors() async throws {
        try await withSandbox { h in
            let ben = try h.userID("ben@acme.example")
            let gone = try h.userID("gone@acme.example")
            let archivedID = try #require(try h.store.allProjects(organization: "Acme Test").first { $0.status == .archived }?.id)

            let unknownUser = try await h.send(.put, "/v1/projects/prj_fixed01/members/usr_nobody", json: #"{"role":"viewer"}"#)
            #expect(unknownUser.status == .notFound)
            let unknownProject = try await h.send(.put, "/v1/projects/prj_nothing/members/\(ben)", json: #"{"role":"viewer"}"#)
            #expect(unknownProject.status == .notFound)
            let archived = try await h.send(.put, "/v1/projects/\(archivedID)/members/\(ben)", json: #"{"role":"viewer"}"#)
            #expect(archived.status == .conflict)
            #expect(archived.errorCode == "conflict")
            let deactivated = try await h.send(.put, "/v1/projects/prj_fixed01/members/\(gone)", json: #"{"role":"viewer"}"#)
            #expect(deactivated.status == .unprocessableContent)
            #expect(deactivated.errorDetails.map(\.field) == ["user_id"])
            let badRole = try await h.send(.put, "/v1/projects/prj_fixed01/members/\(ben)", json: #"{"role":"boss"}"#)
            #expect(badRole.status == .unprocessableContent)
            #expect(badRole.errorDetails == [.init(field: "role", message: "must be one of: owner, editor, viewer")])
            let missingRole = try await h.send(.put, "/v1/projects/prj_fixed01/members/\(ben)", json: #"{}"#)
            #expect(missingRole.errorDetails.map(\.field) == ["role"])
            let listUnknown = try await h.send(.get, "/v1/projects/prj_nothing/members")
            #expect(listUnknown.status == .notFound)
        }
    }
}

@Suite struct UserTests {
    @Test func listFilterAndPatch() async throws {
        try await withSandbox { h in
            let all: Page<User> = try await h.send(.get, "/v1/users").decode()
            #expect(all.items.map(\.email) == ["ana@acme.example", "Ben@Acme.example", "cara@acme.example", "gone@acme.example"])
            #expect(all.items.allSatisfy { $0.id.hasPrefix("usr_") })
            let filtered: Page<User> = try await h.send(.get, "/v1/users?email=BEN@acme.EXAMPLE").decode()
            #expect(filtered.items.map(\.name) == ["Ben Okafor"])
            #expect(filtered.total == 1)

            let ben = try h.userID("ben@acme.example")
            let patched = try await h.send(.patch, "/v1/users/\(ben)", json: #"{"role":"admin","external_id":"E-2"}"#)
            #expect(patched.status == .ok)
            let user: User = try patched.decode()
            #expect(user.role == .admin && user.externalID == "E-2")
            let taken = try await h.send(.patch, "/v1/users/\(ben)", json: #"{"external_id":"E-1"}"#)
            #expect(taken.status == .conflict)
            let cleared: User = try await h.send(.patch, "/v1/users/\(ben)", json: #"{"external_id":null}"#).decode()
            #expect(cleared.externalID == nil)
            let unknownField = try await h.send(.patch, "/v1/users/\(ben)", json: #"{"email":"x@y"}"#)
            #expect(unknownField.status == .unprocessableContent)
            #expect(unknownField.errorDetails.map(\.field) == ["email"])
            let badRole = try await h.send(.patch, "/v1/users/\(ben)", json: #"{"role":"owner"}"#)
            #expect(badRole.status == .unprocessableContent)
            let missing = try await h.send(.patch, "/v1/users/usr_nobody", json: #"{"role":"guest"}"#)
            #expect(missing.status == .notFound)
        }
    }
}
