import CogramTestSupport
import Foundation
import Testing

@Suite struct ValidateEndToEndTests {
    @Test func examplesAreValid() async throws {
        let result = try await Binary.run(["validate", "examples/northwind"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Valid: 3 files, 12 projects, 23 memberships, 12 users.\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func invalidExampleExitsOneWithExactDiagnostics() async throws {
        let result = try await Binary.run(["validate", "examples/invalid/unknown-key.yaml"], environment: ["NO_COLOR": "1"])
        #expect(result.status == 1)
        let expected = try String(contentsOf: Repository.url("examples/invalid/unknown-key.expected"), encoding: .utf8)
        #expect(result.stderr == expected + "3 errors found; nothing was changed.\n")
        #expect(result.stdout.isEmpty)
        #expect(!result.stderr.contains("\u{1B}["), "no colour when stderr is not a terminal")
    }

    @Test func everyInvalidExampleExitsOne() async throws {
        let directory = Repository.url("examples/invalid")
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { !$0.hasSuffix(".expected") && !$0.hasSuffix(".txt") }.sorted()
        #expect(entries.count >= 15)
        for entry in entries {
            let started = Date()
            let result = try await Binary.run(["validate", "examples/invalid/" + entry])
            #expect(result.status == 1, "\(entry): \(result.stderr)")
            #expect(result.stderr.contains("examples/invalid/\(entry)"), "\(entry) diagnostics name the file")
            // Generous: this guards against hangs, not speed (the 2 s target is checked in the hostile-input suite).
            #expect(Date().timeIntervalSince(started) < 30, "\(entry) took too long")
        }
    }

    @Test func githubActionsAnnotations() async throws {
        let result = try await Binary.run(["validate", "examples/invalid/bad-enum.yaml"], environment: ["GITHUB_ACTIONS": "true"])
        #expect(result.status == 1)
        #expect(result.stdout.split(separator: "\n") == [
            "::error file=examples/invalid/bad-enum.yaml,line=5,col=11::invalid role 'superuser'; expected one of admin, member, guest",
            "::error file=examples/invalid/bad-enum.yaml,line=11,col=15::invalid role 'onwer'; expected one of owner, editor, viewer; did you mean 'owner'?",
        ])
    }

    @Test func severalOrganizationRootsAreValidatedTogether() async throws {
        let directory = try makeTemporaryDirectory("cogram-validate-roots")
        defer { try? FileManager.default.removeItem(at: directory) }
        for (folder, name) in [("us", "Acme US"), ("eu", "Acme EU")] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
            try "version: 1\norganization:\n  name: \(name)\n  api_key_env: COGRAM_API_KEY_\(folder.uppercased())\n"
                .write(to: directory.appendingPathComponent("\(folder)/org.yaml"), atomically: true, encoding: .utf8)
            // The same external_id and group name in both: each root is checked on its own.
            try """
                version: 1
                groups:
                  - name: crew
                    members:
                      - {email: ana@acme.example, role: editor}
                projects:
                  - external_id: depot
                    name: Depot
                    members:
                      - group: crew
                """.write(to: directory.appendingPathComponent("\(folder)/projects.yaml"), atomically: true, encoding: .utf8)
        }
        let valid = try await Binary.run(["validate", "."], in: directory)
        #expect(valid.status == 0, "\(valid.stderr)")
        #expect(valid.stdout == "Valid: 2 organizations (Acme EU, Acme US), 4 files, 2 projects, 2 memberships, 0 users, 2 groups.\n")
        // A problem in each root: both are reported.
        for folder in ["us", "eu"] {
            try "version: 1\nprojects:\n  - external_id: depot\n    name: Again\n"
                .write(to: directory.appendingPathComponent("\(folder)/again.yaml"), atomically: true, encoding: .utf8)
        }
        let invalid = try await Binary.run(["validate", "."], environment: ["NO_COLOR": "1"], in: directory)
        #expect(invalid.status == 1)
        #expect(invalid.stderr.contains("eu/projects.yaml:7:5: error: duplicate project external_id 'depot'; already used as external_id at eu/again.yaml:3:5"), "\(invalid.stderr)")
        #expect(invalid.stderr.contains("us/projects.yaml:7:5: error: duplicate project external_id 'depot'; already used as external_id at us/again.yaml:3:5"), "\(invalid.stderr)")
        #expect(invalid.stderr.hasSuffix("2 errors found; nothing was changed.\n"))
    }

    @Test func missingPathIsAnErrorNotASkip() async throws {
        let result = try await Binary.run(["validate", "examples/northwind", "does/not/exist.yaml"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("error: does/not/exist.yaml: no such file or directory"))
    }

    @Test func noPathIsAUsageError() async throws {
        let result = try await Binary.run(["validate"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("Missing expected argument"))
    }

    @Test func unknownOptionIsAUsageError() async throws {
        let result = try await Binary.run(["validate", "--frobnicate", "examples/northwind"])
        #expect(result.status == 64)
    }
}
