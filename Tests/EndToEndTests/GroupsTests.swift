import CogramAPI
import CogramTestSupport
import Foundation
import Testing

/// Groups shared across files and policies, through the built binary against a sandbox.
@Suite struct GroupsEndToEndTests {
    @Test func crewsExampleIsValid() async throws {
        let result = try await Binary.run(["validate", "examples/crews"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Valid: 5 files, 3 projects, 12 memberships, 0 users, 3 groups.\n")
        #expect(result.stderr.isEmpty)
    }

    static let groupsFile = """
        version: 1
        groups:
          - name: leads
            members:
              - {email: \(TestOrganization.email("ana")), role: owner}
              - {email: \(TestOrganization.email("ben")), role: editor}
          - name: field
            members:
              - {email: \(TestOrganization.email("ivan")), role: editor}

        """

    @Test func groupsAcrossFilesApplyAsTheirMembers() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write(Self.groupsFile.components(separatedBy: "  - name: field")[0], to: "groups.yaml")
            try org.write("""
                version: 1
                projects:
                  - external_id: p-bridge
                    name: Bridge
                    members:
                      - group: leads
                      - {email: \(TestOrganization.email("ben")), role: owner}
                  - external_id: p-depot
                    name: Depot
                    members:
                      - group: leads
                        role: viewer
                      - {email: \(TestOrganization.email("chloe")), role: owner}

                """, to: "projects.yaml")
            let apply = try await org.run(["apply", ".", "--auto-approve"])
            #expect(apply.status == 0, "\(apply.stderr)")
            let ana = TestOrganization.email("ana"), ben = TestOrganization.email("ben")
            #expect(try org.members("p-bridge") == [ana: .owner, ben: .owner])
            #expect(try org.members("p-depot") == [ana: .viewer, ben: .viewer, TestOrganization.email("chloe"): .owner])
            let again = try await org.run(["plan", ".", "--detailed-exitcode"])
            #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
            #expect(again.stdout.contains("No changes. Cogram matches the manifests."))
        }
    }

    /// Ivan is a guest in Cogram and no manifest sets his role: only the plan can check him.
    @Test func guestAboveThePolicyIsAPlanErrorAndApplyChangesNothing() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write(Self.groupsFile + "policies:\n  guest_max_role: viewer\n", to: "groups.yaml")
            try org.write("""
                version: 1
                projects:
                  - external_id: p-bridge
                    name: Bridge
                    members:
                      - group: leads
                      - group: field

                """, to: "projects.yaml")
            let validate = try await org.run(["validate", "."])
            #expect(validate.status == 0, "\(validate.stderr)")
            let message = "groups.yaml:9:9: error: \(TestOrganization.email("ivan")) is a guest of the organization and editor of project 'p-bridge' (through group 'field'); policies.guest_max_role allows guests at most viewer"
            let plan = try await org.run(["plan", "."])
            #expect(plan.status == 1)
            #expect(plan.stderr.contains(message), "\(plan.stderr)")
            await org.sandbox.resetStats()
            let apply = try await org.run(["apply", ".", "--auto-approve"])
            #expect(apply.status == 1)
            #expect(apply.stderr.contains(message), "\(apply.stderr)")
            #expect(await org.sandbox.stats().writes == 0)
            #expect(try org.project("p-bridge") == nil)
        }
    }

    @Test func offlinePolicyViolationStopsPlanBeforeAnyRequest() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write("""
                version: 1
                policies:
                  min_owners: 1
                projects:
                  - external_id: p-bridge
                    name: Bridge
                    members:
                      - {email: \(TestOrganization.email("ana")), role: editor}

                """)
            await org.sandbox.resetStats()
            let plan = try await org.run(["plan", "."])
            #expect(plan.status == 1)
            #expect(plan.stderr.contains("manifest.yaml:5:5: error: project 'p-bridge' has 0 owners; policies.min_owners requires at least 1"), "\(plan.stderr)")
            #expect(await org.sandbox.stats().total == 0)
        }
    }
}
