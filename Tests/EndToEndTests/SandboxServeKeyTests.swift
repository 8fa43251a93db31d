import CogramSandbox
import Foundation
import Testing

/// Where `sandbox serve` takes its key from, and the keys and lifetimes it refuses.
@Suite struct SandboxServeKeyTests {
    private static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cogramctl-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    private static let seed = Binary.repositoryRoot.appendingPathComponent("examples/sandbox-seed.json").path

    /// Starts `serve` with `arguments`, waits for it to listen, checks `key` works against it, stops it.
    private static func serveAccepts(
        _ arguments: [String], key: String, environment: [String: String] = [:], in folder: URL
    ) async throws -> String {
        let server = try BackgroundBinary(
            ["sandbox", "serve", "--db", folder.appendingPathComponent("s.sqlite").path, "--seed", seed, "--port", "0"]
                + arguments,
            environment: environment.merging(["NO_COLOR": "1"]) { a, _ in a }, in: folder)
        let listening = await server.waitForStderr(timeout: 60) { $0.contains("listening on http://") }
        #expect(listening, "\(server.stderr)")
        let url = server.stderr.split(separator: "\n").first { $0.contains("listening on http://") }
            .flatMap { line in line.split(separator: " ").first { $0.hasPrefix("http://") } }.map(String.init)
        if let url {
            let plan = try await Binary.run(
                ["plan", Binary.repositoryRoot.appendingPathComponent("examples/northwind").path],
                environment: ["COGRAM_API_URL": url, "COGRAM_API_KEY": key, "NO_COLOR": "1"], in: folder)
            #expect(plan.status == 0, "\(plan.stderr.suffix(800))")
        }
        server.send(SIGINT)
        _ = await server.wait(timeout: 30)
        #expect(!server.stderr.contains(key) && !server.stdout.contains(key), "the key is never printed")
        #expect(!server.stderr.contains("API key (shown once)"))
        return server.stderr
    }

    @Test func keyFromAFile() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = "file-key-" + UUID().uuidString
        let file = folder.appendingPathComponent("key").path
        _ = FileManager.default.createFile(atPath: file, contents: Data((key + "\n").utf8), attributes: [.posixPermissions: 0o600])
        let stderr = try await Self.serveAccepts(["--api-key-file", file], key: key, in: folder)
        #expect(!stderr.contains("warning"), "\(stderr)")
    }

    @Test func keyFromTheEnvironment() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = "env-key-" + UUID().uuidString
        _ = try await Self.serveAccepts([], key: key, environment: ["COGRAM_SANDBOX_API_KEY": key], in: folder)
    }

    @Test func keyOnTheCommandLineWarns() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = "argv-key-" + UUID().uuidString
        let stderr = try await Self.serveAccepts(["--api-key", key], key: key, in: folder)
        #expect(stderr.contains("warning: --api-key puts the key on the command line, where other users of this machine can read it"), "\(stderr)")
    }

    @Test func refusedKeys() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("s.sqlite").path
        let base = ["sandbox", "serve", "--db", db, "--seed", Self.seed, "--port", "0"]

        let short = try await Binary.run(base + ["--api-key", "short-key-1"], in: folder)
        #expect(short.status == 1, "\(short.stderr)")
        #expect(short.stderr.contains("--api-key is 11 characters long; a sandbox key needs at least 16"), "\(short.stderr)")
        #expect(!short.stderr.contains("short-key-1"))

        let shortEnv = try await Binary.run(base, environment: ["COGRAM_SANDBOX_API_KEY": "tiny"], in: folder)
        #expect(shortEnv.status == 1)
        #expect(shortEnv.stderr.contains("COGRAM_SANDBOX_API_KEY is 4 characters long"), "\(shortEnv.stderr)")

        let open = folder.appendingPathComponent("open-key").path
        _ = FileManager.default.createFile(
            atPath: open, contents: Data("open-key-0123456789".utf8), attributes: [.posixPermissions: 0o644])
        let readable = try await Binary.run(base + ["--api-key-file", open], in: folder)
        #expect(readable.status == 1)
        #expect(readable.stderr.contains("too open"), "\(readable.stderr)")

        let both = try await Binary.run(base + ["--api-key-file", open, "--api-key", "x-0123456789abcdef"], in: folder)
        #expect(both.status == 64)
        #expect(both.stderr.contains("use either --api-key-file or --api-key, not both"))

        // A revoked key stays revoked.
        let key = "revoked-key-" + UUID().uuidString
        let store = try SandboxStore(path: db)
        let org = try store.seed(try SandboxSeed.load(path: Self.seed))
        _ = try store.createAPIKey(organization: org, name: "old", value: key)
        try store.revokeAPIKey(organization: org, key: "old")
        try store.close()
        let revoked = try await Binary.run(base, environment: ["COGRAM_SANDBOX_API_KEY": key], in: folder)
        #expect(revoked.status == 1)
        #expect(revoked.stderr.contains("that API key was revoked in this database and stays revoked"), "\(revoked.stderr)")
        #expect(!revoked.stderr.contains(key))
    }

    @Test(arguments: ["infd", "nand", "1e400s", "3651d"])
    func keyLifetimesAreFiniteAndBounded(lifetime: String) async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let db = folder.appendingPathComponent("s.sqlite").path
        let store = try SandboxStore(path: db)
        try store.seed(try SandboxSeed.load(path: Self.seed))
        try store.close()
        let result = try await Binary.run(
            ["sandbox", "keys", "create", "--db", db, "--org", "Northwind Build", "--name", "ci", "--expires-in", lifetime],
            in: folder)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("--expires-in"), "\(result.stderr)")
        #expect(result.stdout.isEmpty, "no key was made")
    }
}
