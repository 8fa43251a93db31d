import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

@Suite struct AccessEndToEndTests {
    static let manifest = """
        version: 1
        projects:
          - external_id: p-a
            name: A
            members:
              - email: ana@northwind-build.example
                role: owner
              - email: ben@northwind-build.example
                role: editor

        """

    static func start() async throws -> TestOrganization {
        try await TestOrganization.start(projects: [
            .init(name: "A", externalID: "p-a", members: [
                .init(email: TestOrganization.email("ana"), role: .owner), .init(email: TestOrganization.email("ben"), role: .editor),
            ]),
            .init(name: "=cmd|' /C calc'!A0, unkeyed", members: [.init(email: TestOrganization.email("ben"), role: .viewer)]),
        ])
    }

    /// RFC 4180 records: quoted fields may hold commas, quotes (doubled) and line breaks; records end in CRLF.
    static func parseCSV(_ text: String) throws -> [[String]] {
        var records: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.unicodeScalars.append(chars.removeFirst()) } else { quoted = false }
                } else {
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                try #require(field.isEmpty, "a quote inside an unquoted field")
                quoted = true
            } else if c == "," {
                record.append(field)
                field = ""
            } else if c == "\r" {
                try #require(chars.popFirst() == "\n", "CR without LF")
                record.append(field)
                records.append(record)
                record = []
                field = ""
            } else {
                try #require(c != "\n", "a bare LF ends a line")
                field.unicodeScalars.append(c)
            }
        }
        try #require(!quoted && record.isEmpty && field.isEmpty, "the last record must end in CRLF")
        return records
    }

    @Test func accessBeforeAndAfterAnOffboardingApply() async throws {
        try await stopping(try await Self.start()) { org in
            try org.write(Self.manifest)
            let csv = try await org.run(["access", ".", "--format", "csv"])
            #expect(csv.status == 0, "\(csv.stderr)")
            let records = try Self.parseCSV(csv.stdout)
            #expect(records.first == ["email", "user_id", "organization_role", "project_external_id", "project_id", "project_name",
                                      "project_status", "project_role", "managed_by"])
            let rows = records.dropFirst().map { "\($0[0].prefix { $0 != "@" }) \($0[3]) \($0[5]) \($0[7]) \($0[8])" }
            #expect(rows == [
                "ana p-a A owner manifest.yaml:6",
                "ben  '=cmd|' /C calc'!A0, unkeyed viewer unmanaged",
                "ben p-a A editor manifest.yaml:8",
                "chloe    ", "diego    ", "elif    ", "farah    ", "gone    ", "ivan    ",
            ], "\(csv.stdout)")
            #expect(records.dropFirst().allSatisfy { $0.count == 9 && !$0[1].isEmpty })

            let human = try await org.run(["access", "."])
            #expect(human.status == 0)
            #expect(human.stdout.hasPrefix("Organization: unnamed organization\nAPI: \(org.sandbox.baseURL)"), "\(human.stdout)")

            let offboard = try await org.run(["offboard", ".", "--user", TestOrganization.email("ben")])
            #expect(offboard.status == 0, "\(offboard.stderr)")
            let apply = try await org.run(["apply", ".", "--auto-approve"])
            #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")

            let json = try await org.run(["access", ".", "--format", "json", "--user", TestOrganization.email("ben")])
            #expect(json.status == 0, "\(json.stderr)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(document["kind"] as? String == "cogramctl-access")
            let grants = try #require(document["grants"] as? [[String: Any]])
            #expect(!grants.contains { $0["project_external_id"] as? String == "p-a" }, "ben left the managed project")
            #expect(grants.allSatisfy { ($0["email"] as? String) == TestOrganization.email("ben") })
            let held = grants.compactMap { $0["project_id"] as? String }
            let offboarded = try #require(document["offboarded_with_access"] as? [[String: Any]])
            // Whatever membership ben still holds is reported as an offboarded person's access.
            #expect(offboarded.count == (held.isEmpty ? 0 : 1))
            if let entry = offboarded.first {
                #expect(entry["projects"] as? [String] == held && (entry["location"] as? String)?.hasPrefix("manifest.yaml:") == true)
            }
        }
    }

    @Test func theReportMakesExactlyAFullRead() async throws {
        try await stopping(try await Self.start()) { org in
            try org.write(Self.manifest)
            await org.sandbox.resetStats()
            let result = try await org.run(["access", ".", "--format", "json"])
            #expect(result.status == 0, "\(result.stderr)")
            let stats = await org.sandbox.stats()
            // One page of projects, one of users, one member list per project: the lower bound of a full read.
            #expect(stats.total == 1 + 1 + 2, "\(stats)")
            #expect(stats.writes == 0)
        }
    }

    @Test func aKeyOfAnotherOrganizationStopsTheReport() async throws {
        try await stopping(try await Self.start()) { org in
            try org.write("version: 1\norganization:\n  name: Acme UK\n  anchor: usr_not_here\n" + Self.manifest.dropFirst("version: 1\n".count))
            let result = try await org.run(["access", "."])
            #expect(result.status == 1)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("usr_not_here") && result.stderr.contains("Acme UK") && result.stderr.contains("COGRAM_API_KEY"),
                    "\(result.stderr)")
        }
    }
}
