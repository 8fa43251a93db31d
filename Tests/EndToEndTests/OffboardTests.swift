import CogramTestSupport
import Foundation
import Testing

@Suite struct OffboardEndToEndTests {
    /// A copy of examples/northwind in a new folder (with `.git`, so that the root search stops there).
    func copyOfExamples() throws -> URL {
        let directory = try makeTemporaryDirectory("cogram-offboard")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(".git"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Repository.url("examples/northwind"), to: directory.appendingPathComponent("northwind"))
        return directory
    }

    func files(_ directory: URL) throws -> [String: [UInt8]] {
        let folder = directory.appendingPathComponent("northwind")
        var result: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
            result[name] = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
        }
        return result
    }

    /// Listed in two projects and under `users:`, never through an anchor.
    func someMember(_: [String: [UInt8]]) throws -> String { "julia.novak@northwind-build.example" }

    @Test func dryRunPrintsTheDiffAndWritesNothing() async throws {
        let directory = try copyOfExamples()
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = try files(directory)
        let email = try someMember(before)
        let result = try await Binary.run(["offboard", "northwind", "--user", email, "--dry-run"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("--- a/northwind/"))
        #expect(result.stdout.contains("+offboarded:") || result.stdout.contains("+  - email: \(email)"))
        #expect(result.stderr.contains("Dry run: nothing was written."))
        #expect(try files(directory) == before)
    }

    @Test func offboardEditsOnlyWhatItMustAndValidatePassesAfterwards() async throws {
        let directory = try copyOfExamples()
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = try files(directory)
        let email = try someMember(before)
        let result = try await Binary.run(["offboard", "northwind", "--user", email], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("-") && result.stdout.contains("+    date: "))
        let after = try files(directory)
        #expect(after.keys.sorted() == before.keys.sorted(), "no file added or left behind")
        // Every line that the diff does not remove is still there, in order.
        for (name, old) in before {
            let oldLines = String(decoding: old, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            let newText = String(decoding: after[name] ?? [], as: UTF8.self)
            let removed = Set(result.stdout.split(separator: "\n").filter { $0.hasPrefix("-") && !$0.hasPrefix("---") }.map { $0.dropFirst() })
            var cursor = newText.startIndex
            for line in oldLines where !line.isEmpty && !removed.contains(line) {
                let found = newText[cursor...].range(of: line)
                #expect(found != nil, "\(name): line '\(line)' was lost")
                if let found { cursor = found.upperBound }
            }
        }
        #expect(!after.values.map { String(decoding: $0, as: UTF8.self) }.joined().contains("- email: \(email)\n        role"))
        let validate = try await Binary.run(["validate", "northwind"], in: directory)
        #expect(validate.status == 0, "\(validate.stderr)")
        let again = try await Binary.run(["offboard", "northwind", "--user", email], in: directory)
        #expect(again.status == 0)
        #expect(again.stderr.contains("already offboarded"))
        #expect(again.stdout.isEmpty)
    }

    @Test func anEntryBehindAnAliasIsRefusedAndNothingIsWritten() async throws {
        let directory = try copyOfExamples()
        defer { try? FileManager.default.removeItem(at: directory) }
        let before = try files(directory)
        let result = try await Binary.run(["offboard", "northwind", "--user", "farah.haddad@northwind-build.example"],
            environment: ["NO_COLOR": "1"], in: directory)
        #expect(result.status == 1)
        #expect(result.stderr.contains("northwind/infrastructure.yaml:34:5: error: this entry is shared through an anchor or alias"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
        #expect(try files(directory) == before)
    }

    @Test func usageErrorsExit64() async throws {
        #expect(try await Binary.run(["offboard", "examples/northwind"]).status == 64)
        #expect(try await Binary.run(["offboard", "examples/northwind", "--user", "not-an-email"]).status == 64)
    }

    @Test func validateWarnsAtAnExpiredEntryAndExitsZero() async throws {
        let directory = try makeTemporaryDirectory("cogram-expired")
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
            version: 1
            projects:
              - external_id: p
                name: P
                members:
                  - {email: ana@x.example, role: owner}
                  - {email: ben@x.example, role: viewer, expires: 2020-01-31}

            """.write(to: directory.appendingPathComponent("m.yaml"), atomically: true, encoding: .utf8)
        let result = try await Binary.run(["validate", "m.yaml"], environment: ["NO_COLOR": "1"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains(
            "m.yaml:7:9: warning: the entry for 'ben@x.example' expired on 2020-01-31 (it no longer counts); remove it from the manifest"))
    }
}
