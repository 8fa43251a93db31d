import CogramAPI
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CogramSandbox

@Suite struct ProjectTests {
    @Test func createGetPatchArchiveRestore() async throws {
        try await withSandbox { h in
            let created = try await h.send(
                .post, "/v1/projects", json: #"{"name":"Harbor Bridge","description":"Seismic","external_id":"hb-1"}"#)
            #expect(created.status == .created)
            let project: Project = try created.decode()
            #expect(project.id.hasPrefix("prj_"))
            #expect(project.status == .active)
            #expect(project.externalID == "hb-1")
            #expect(created.headers[.location] == "/v1/projects/\(project.id)")
            #expect(project.createdAt?.hasSuffix("Z") == true && project.createdAt?.contains(".") == true)

            let fetched: Project = try await h.send(.get, "/v1/projects/\(project.id)").decode()
            #expect(fetched == project)

            let renamed = try await h.send(.patch, "/v1/projects/\(project.id)", json: #"{"name":"Harbor Bridge 2","description":null}"#)
            #expect(renamed.status == .ok)
            let afterRename: Project = try renamed.decode()
            #expect(afterRename.name == "Harbor Bridge 2")
            #expect(afterRename.description == nil)
            #expect(afterRename.updatedAt > project.updatedAt)

            let unchanged: Project = try await h.send(.patch, "/v1/projects/\(project.id)", json: #"{"name":"Harbor Bridge 2"}"#).decode()
            #expect(unchanged.updatedAt == afterRename.updatedAt)

            let archived = try await h.send(.delete, "/v1/projects/\(project.id)")
            #expect(archived.status == .ok)
            let archivedProject: Project = try archived.decode()
            #expect(archivedProject.status == .archived)
            #expect(archivedProject.updatedAt > afterRename.updatedAt)

            let again = try await h.send(.delete, "/v1/projects/\(project.id)")
            #expect(again.status == .ok)
            #expect(try again.decode(Project.self) == archivedProject)

            #expect(try await h.send(.get, "/v1/projects/\(project.id)").decode(Project.self).status == .archived)
            let active: Page<Project> = try await h.send(.get, "/v1/projects").decode()
            #expect(!active.items.contains { $0.id == project.id })
            let archivedList: Page<Project> = try await h.send(.get, "/v1/projects?status=archived").decode()
            #expect(archivedList.items.contains { $0.id == project.id })

            let restored: Project = try await h.send(.patch, "/v1/projects/\(project.id)", json: #"{"status":"active"}"#).decode()
            #expect(restored.status == .active)
            #expect(restored.updatedAt > archivedProject.updatedAt)
        }
    }

    @Test func updatedAtStrictlyIncreasesEvenWithinOneMillisecond() async throws {
        try await withSandbox { h in
            var previous = ""
            for index in 0..<5 {
                let project: Project = try await h.send(
                    .patch, "/v1/projects/prj_fixed01", json: #"{"name":"Rename \#(index)"}"#
                ).decode()
                #expect(project.updatedAt > previous)
                previous = project.updatedAt
            }
        }
    }

    @Test func externalIDFilterAndStatusFilter() async throws {
        try await withSandbox { h in
            let byExternal: Page<Project> = try await h.send(.get, "/v1/projects?external_id=seeded-1").decode()
            #expect(byExternal.items.map(\.id) == ["prj_fixed01"])
            let archivedHidden: Page<Project> = try await h.send(.get, "/v1/projects?external_id=old-1").decode()
            #expect(archivedHidden.items.isEmpty)
            let all: Page<Project> = try await h.send(.get, "/v1/projects?external_id=old-1&status=all").decode()
            #expect(all.items.map(\.externalID) == ["old-1"])
            let bad = try await h.send(.get, "/v1/projects?status=gone")
            #expect(bad.status == .badRequest)
            #expect(bad.errorCode == "bad_request")
        }
    }

    @Test(arguments: [
        (#"{}"#, "name", "is required"),
        (#"{"name":""}"#, "name", "must not be empty"),
        (#"{"name":null}"#, "name", "must not be null"),
        (#"{"name":42}"#, "name", "must be a string, not a number"),
        (#"{"name":"\#(String(repeating: "x", count: 201))"}"#, "name", "must be 1 to 200 characters long"),
        (#"{"name":"ok","external_id":"\#(String(repeating: "e", count: 129))"}"#, "external_id", "must be 1 to 128 characters long"),
        // 128 letters written with combining marks are 256 Unicode scalars: refused here as by `cogramctl validate`.
        (#"{"name":"ok","external_id":"\#(String(repeating: "e\u{301}", count: 128))"}"#, "external_id", "must be 1 to 128 characters long"),
        (#"{"name":"ok","external_id":""}"#, "external_id", "must not be empty"),
        (#"{"name":"ok","colour":"red"}"#, "colour", "is not a known field"),
        (#"["name"]"#, "body", "must be a JSON object, not an array"),
    ])
    func createValidation(body: String, field: String, message: String) async throws {
        try await withSandbox { h in
            let response = try await h.send(.post, "/v1/projects", json: body)
            #expect(response.status == .unprocessableContent)
            #expect(response.errorCode == "validation_error")
            #expect(response.errorDetails.contains(.init(field: field, message: message)), "\(response.text)")
        }
    }

    @Test func nameLimitsCountCharactersNotBytes() async throws {
        try await withSandbox { h in
            let name = String(repeating: "é", count: 200)
            let response = try await h.send(.post, "/v1/projects", json: #"{"name":"\#(name)"}"#)
            #expect(response.status == .created)
        }
    }

    @Test func unicodeRoundTripsAndNULIsRefused() async throws {
        try await withSandbox { h in
            let response = try await h.send(
                .post, "/v1/projects", json: #"{"name":"h\u0001i \ud8ca\udcd6","external_id":"\u00b80>"}"#)
            #expect(response.status == .created)
            let project: Project = try response.decode()
            #expect(project.name == "h\u{1}i \u{428d6}")
            #expect(project.externalID == "\u{b8}0>")
            let fetched: Project = try await h.send(.get, "/v1/projects/\(project.id)").decode()
            #expect(fetched == project)
            let nul = try await h.send(.patch, "/v1/projects/\(project.id)", json: #"{"description":"a\u0000b"}"#)
            #expect(nul.status == .unprocessableContent)
            #expect(nul.errorDetails == [.init(field: "description", message: "must not contain the NUL character (U+0000)")])
        }
    }

    @Test func patchValidationCollectsEveryProblem() async throws {
        try await withSandbox { h in
            let response = try await h.send(
                .patch, "/v1/projects/prj_fixed01", json: #"{"name":"","status":"deleted","owner":"ana"}"#)
            #expect(response.status == .unprocessableContent)
            let fields = Set(response.errorDetails.map(\.field))
            #expect(fields == ["name", "status", "owner"])
        }
    }

    @Test func malformedJSONIsBadRequest() async throws {
        try await withSandbox { h in
            for body in ["{bad", "", "{\"name\": \"x\""] {
                let response = try await h.send(.post, "/v1/projects", json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.errorCode == "bad_request")
            }
        }
    }

    @Test func externalIDConflicts() async throws {
        try await withSandbox { h in
            // Taken by an archived project still counts.
            let duplicate = try await h.send(.post, "/v1/projects", json: #"{"name":"Dup","external_id":"old-1"}"#)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.errorCode == "conflict")
            let created: Project = try await h.send(.post, "/v1/projects", json: #"{"name":"New","external_id":"new-1"}"#).decode()
            let patch = try await h.send(.patch, "/v1/projects/\(created.id)", json: #"{"external_id":"seeded-1"}"#)
            #expect(patch.status == .conflict)
            let own = try await h.send(.patch, "/v1/projects/\(created.id)", json: #"{"external_id":"new-1"}"#)
            #expect(own.status == .ok)
            let cleared: Project = try await h.send(.patch, "/v1/projects/\(created.id)", json: #"{"external_id":null}"#).decode()
            #expect(cleared.externalID == nil)
        }
    }

    @Test func unknownProjectIsNotFound() async throws {
        try await withSandbox { h in
            for (method, body) in [(HTTPRequest.Method.get, nil), (.patch, #"{"name":"x"}"#), (.delete, nil)] as [(HTTPRequest.Method, String?)] {
                let response = try await h.send(method, "/v1/projects/prj_missing", json: body)
                #expect(response.status == .notFound, "\(method)")
                #expect(response.errorCode == "not_found")
            }
        }
    }

    @Test func pagination() async throws {
        try await withSandbox { h in
            var created: [String] = ["prj_fixed01"]
            for index in 0..<6 {
                let project: Project = try await h.send(.post, "/v1/projects", json: #"{"name":"P\#(index)"}"#).decode()
                created.append(project.id)
            }
            var seen: [String] = []
            for page in 1...3 {
                let result: Page<Project> = try await h.send(.get, "/v1/projects?page=\(page)&page_size=3").decode()
                #expect(result.total == 7)
                #expect(result.page == page)
                #expect(result.pageSize == 3)
                seen += result.items.map(\.id)
            }
            #expect(seen == created)
            let defaults: Page<Project> = try await h.send(.get, "/v1/projects").decode()
            #expect(defaults.page == 1 && defaults.pageSize == 50)
            let past: Page<Project> = try await h.send(.get, "/v1/projects?page=100&page_size=3").decode()
            #expect(past.items.isEmpty && past.total == 7)
            let huge = try await h.send(.get, "/v1/projects?page=99999999999999999999999999")
            #expect(huge.status == .ok)
            #expect(try huge.decode(Page<Project>.self).items.isEmpty)
            for query in ["page_size=101", "page_size=0", "page=0", "page=-1", "page=abc", "page=1.5", "page_size="] {
                let response = try await h.send(.get, "/v1/projects?\(query)")
                #expect(response.status == .badRequest, "\(query)")
                #expect(response.errorCode == "bad_request")
            }
            let maxSize = try await h.send(.get, "/v1/projects?page_size=100")
            #expect(maxSize.status == .ok)
        }
    }
}
