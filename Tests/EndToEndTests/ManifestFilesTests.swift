import CogramTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `validate` reads from a directory: regular files inside it, hidden entries skipped.
@Suite struct ManifestFilesTests {
    /// A folder holding a copy of the northwind example in `manifests/`, and a secret file beside it.
    private func layout() throws -> (folder: URL, manifests: URL, secret: URL) {
        let folder = try makeTemporaryDirectory("cogramctl-manifest-files")
        let manifests = folder.appendingPathComponent("manifests")
        try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
        let example = Repository.url("examples/northwind")
        for name in try FileManager.default.contentsOfDirectory(atPath: example.path) where name.hasSuffix(".yaml") {
            try FileManager.default.copyItem(at: example.appendingPathComponent(name), to: manifests.appendingPathComponent(name))
        }
        let secret = folder.appendingPathComponent("key.txt")
        try "cogram_live_SECRETSECRETSECRET\n".write(to: secret, atomically: true, encoding: .utf8)
        return (folder, manifests, secret)
    }

    @Test func aSymbolicLinkToAFileOutsideIsRefusedWithoutReadingIt() async throws {
        let (folder, manifests, secret) = try layout()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createSymbolicLink(atPath: manifests.appendingPathComponent("z.yaml").path, withDestinationPath: secret.path)
        for argument in ["manifests", "manifests/z.yaml"] {
            let result = try await Binary.run(["validate", argument], environment: ["NO_COLOR": "1"], in: folder, timeout: 60)
            #expect(result.status == 1, "\(argument): \(result.stderr)")
            #expect(result.stderr.contains("manifests/z.yaml: a symbolic link that leads outside manifests; it was not followed"), "\(result.stderr)")
            #expect(!result.stderr.contains("SECRET") && !result.stdout.contains("SECRET"), "nothing of the target is printed")
        }
    }

    @Test func aSymbolicLinkInsideTheFolderIsRead() async throws {
        let (folder, manifests, _) = try layout()
        defer { try? FileManager.default.removeItem(at: folder) }
        let real = manifests.appendingPathComponent("shared")
        try FileManager.default.createDirectory(at: real, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: manifests.appendingPathComponent("organization.yaml"), to: real.appendingPathComponent("people.txt"))
        try FileManager.default.createSymbolicLink(atPath: manifests.appendingPathComponent("organization.yaml").path, withDestinationPath: "shared/people.txt")
        let result = try await Binary.run(["validate", "manifests"], in: folder, timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "Valid: 3 files, 12 projects, 23 memberships, 12 users.\n")
    }

    @Test func aFIFONamedLikeAManifestIsRefusedAtOnce() async throws {
        let (folder, manifests, _) = try layout()
        defer { try? FileManager.default.removeItem(at: folder) }
        let pipe = manifests.appendingPathComponent("pipe.yaml").path
        #expect(mkfifo(pipe, 0o600) == 0)
        for argument in ["manifests", "manifests/pipe.yaml"] {
            let started = Date()
            // Without the check, opening the FIFO waits for a writer forever: the timeout turns that into a failure.
            let result = try await Binary.run(["validate", argument], environment: ["NO_COLOR": "1"], in: folder, timeout: 30)
            #expect(result.status == 1, "\(argument): \(result.stderr)")
            #expect(result.stderr.contains("manifests/pipe.yaml: is a FIFO (named pipe), not a regular file"), "\(result.stderr)")
            #expect(Date().timeIntervalSince(started) < 20)
        }
    }

    @Test func hiddenFoldersAreSkippedAndListedUnderVerbose() async throws {
        let (folder, manifests, _) = try layout()
        defer { try? FileManager.default.removeItem(at: folder) }
        let workflows = manifests.appendingPathComponent(".github/workflows")
        try FileManager.default.createDirectory(at: workflows, withIntermediateDirectories: true)
        try "on: push\njobs:\n  plan:\n    runs-on: ubuntu-latest\n".write(
            to: workflows.appendingPathComponent("x.yml"), atomically: true, encoding: .utf8)
        try "version: 1\nnot_a_key: 1\n".write(to: manifests.appendingPathComponent(".draft.yaml"), atomically: true, encoding: .utf8)
        let quiet = try await Binary.run(["validate", "."], in: manifests, timeout: 60)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(quiet.stdout == "Valid: 3 files, 12 projects, 23 memberships, 12 users.\n")
        #expect(quiet.stderr.isEmpty)
        let verbose = try await Binary.run(["validate", "--verbose", "."], in: manifests, timeout: 60)
        #expect(verbose.status == 0, "\(verbose.stderr)")
        #expect(verbose.stderr.contains("skipped .github (hidden)"), "\(verbose.stderr)")
        #expect(verbose.stderr.contains("skipped .draft.yaml (hidden)"), "\(verbose.stderr)")
    }
}
