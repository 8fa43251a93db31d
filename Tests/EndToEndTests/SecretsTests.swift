#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CogramSandbox
import CogramTestSupport
import Foundation
import Synchronization
import Testing

// The API key never leaves the process: every command, at its most verbose, succeeding and failing (401,
// connection refused, 429s), leaves no trace of the key on stdout, stderr, in a saved plan or in any file it
// writes. And `--api-key-file` refuses a key file that others may read.

@Suite(.serialized) struct SecretsTests {
    /// A key that cannot occur by accident, and the parts of it a leak might show (a prefix, the random part).
    static func makeKey() -> String { "cgk_live_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }

    /// `key` and a newline in `directory/key`, with permissions `mode`; the file's path.
    static func writeKeyFile(_ key: String, mode: Int, in directory: URL) throws -> String {
        let file = directory.appendingPathComponent("key").path
        try (key + "\n").write(toFile: file, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file)
        return file
    }

    static func fragments(of key: String) -> [String] {
        [key, String(key.dropFirst(9)), String(key.dropFirst(9).prefix(12)), String(key.suffix(12))]
    }

    /// Collects every output and every file a command wrote, then checks none holds the key.
    final class LeakScanner: Sendable {
        private let outputs = Mutex<[(String, String)]>([])
        let keys: [String]

        init(keys: [String]) { self.keys = keys }

        func record(_ label: String, _ result: Binary.Result) {
            outputs.withLock {
                $0.append(("\(label) stdout", result.stdout))
                $0.append(("\(label) stderr", result.stderr))
            }
        }

        func record(_ label: String, text: String) {
            outputs.withLock { $0.append((label, text)) }
        }

        /// Every regular file below `folder` (but the sandbox's own database, which stores the keys it accepts).
        func recordFiles(below folder: URL) {
            guard let enumerator = FileManager.default.enumerator(atPath: folder.path) else { return }
            for case let relative as String in enumerator where !relative.contains("sandbox.sqlite") && !relative.hasSuffix(".sqlite")
                && !relative.hasSuffix(".sqlite-wal") && !relative.hasSuffix(".sqlite-shm") && !relative.hasPrefix("keys/") {
                let path = folder.appendingPathComponent(relative).path
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                      let data = FileManager.default.contents(atPath: path) else { continue }
                record("file \(relative)", text: String(decoding: data, as: UTF8.self))
            }
        }

        func expectNoLeak(sourceLocation: Testing.SourceLocation = #_sourceLocation) {
            let outputs = self.outputs.withLock { $0 }
            #expect(outputs.count > 10, "the scan saw the outputs", sourceLocation: sourceLocation)
            for key in keys {
                for fragment in SecretsTests.fragments(of: key) {
                    for (label, text) in outputs where text.contains(fragment) {
                        Issue.record("the key (\(fragment.prefix(4))…) appears in \(label)", sourceLocation: sourceLocation)
                    }
                }
            }
        }
    }

    @Test func noCommandPrintsOrWritesTheKey() async throws {
        let key = Self.makeKey()
        let wrongKey = Self.makeKey()
        try await stopping(try await ReliabilityOrganization.start(key: key)) { org in
            let home = org.directory.appendingPathComponent("home")
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
            let scanner = LeakScanner(keys: [key, wrongKey])
            let env = ["HOME": home.path, "COGRAM_ACTOR": "ci-bot"]
            func run(_ label: String, _ arguments: [String], extra: [String: String] = [:], expect status: Int32?) async throws -> Binary.Result {
                let result = try await org.run(arguments, environment: env.merging(extra) { $1 })
                scanner.record(label, result)
                if let status { #expect(result.status == status, "\(label): exit \(result.status)\n\(result.stderr.suffix(1500))") }
                return result
            }
            try org.write(.make(6, prefix: "sec"))

            _ = try await run("validate", ["validate", "."], expect: 0)
            let planned = try await run("plan --out", ["plan", ".", "--verbose", "--out", "plan.json"], expect: 0)
            #expect(planned.stderr.contains("→ GET") || planned.stderr.contains("GET "), "--verbose logs requests: \(planned.stderr.prefix(500))")
            _ = try await run("plan json", ["plan", ".", "--verbose", "--format", "json"], expect: 0)
            _ = try await run("plan markdown", ["plan", ".", "--verbose", "--format", "markdown", "--detailed-exitcode"], expect: 2)
            _ = try await run("show", ["show", "plan.json"], expect: 0)
            _ = try await run("show json", ["show", "plan.json", "--format", "json"], expect: 0)
            _ = try await run("show markdown", ["show", "plan.json", "--format", "markdown"], expect: 0)
            _ = try await run("apply plan", ["apply", "plan.json", "--verbose"], expect: 0)
            try org.write(.make(9, prefix: "sec"))
            _ = try await run("apply manifests", ["apply", ".", "--auto-approve", "--verbose"], expect: 0)
            _ = try await run("import", ["import", "--out", "imported", "--verbose"], expect: 0)

            // Failure modes.
            let unauthorized = try await run("wrong key", ["plan", ".", "--verbose"], extra: ["COGRAM_API_KEY": wrongKey], expect: 1)
            #expect(unauthorized.stderr.contains("401") || unauthorized.stderr.lowercased().contains("unauthorized")
                    || unauthorized.stderr.lowercased().contains("api key"), "\(unauthorized.stderr.suffix(800))")
            _ = try await run("wrong key apply", ["apply", ".", "--auto-approve", "--verbose"], extra: ["COGRAM_API_KEY": wrongKey], expect: 1)
            let deadPort = try Self.closedPort()
            // One retry is enough to log a retry decision; the default five would wait out seconds of backoff.
            let refused = try await run("dead server", ["plan", ".", "--verbose", "--max-retries", "1"], extra: ["COGRAM_API_URL": "http://127.0.0.1:\(deadPort)"], expect: 1)
            #expect(!refused.stderr.isEmpty)
            _ = try await run("dead server import", ["import", "--out", "imported-dead", "--verbose", "--max-retries", "1"],
                              extra: ["COGRAM_API_URL": "http://127.0.0.1:\(deadPort)"], expect: 1)
            _ = try await run("https refused", ["plan", ".", "--verbose"], extra: ["COGRAM_API_URL": "http://example.com"], expect: nil)

            // 429s (and other faults) on the way.
            try await stopping(try await ReliabilityOrganization.start(
                faults: FaultOptions(seed: 5, errorBeforeRate: 0.2, rateLimitBurstRate: 0.3, rateLimitBurstLength: 2), key: key)) { limited in
                try limited.write(.make(4, prefix: "lim"))
                let throttled = try await limited.run(["apply", ".", "--auto-approve", "--verbose"], environment: env)
                scanner.record("429 apply", throttled)
                #expect(throttled.status == 0, "\(throttled.stderr.suffix(1500))")
                #expect(throttled.stderr.contains("429") || throttled.stderr.lowercased().contains("rate"), "the 429s were met")

                scanner.recordFiles(below: org.directory)
                scanner.recordFiles(below: limited.directory)
                scanner.expectNoLeak()
            }
        }
    }

    @Test func sandboxServeDoesNotPrintItsKey() async throws {
        let key = Self.makeKey()
        let folder = try makeTemporaryDirectory("cogramctl-secrets")
        defer { try? FileManager.default.removeItem(at: folder) }
        let seed = Repository.path("examples/sandbox-seed.json")
        let server = try BackgroundBinary(
            ["sandbox", "serve", "--db", folder.appendingPathComponent("s.sqlite").path, "--seed", seed, "--port", "0",
             "--api-key", key, "--fault-429-burst", "0.3"],
            environment: ["NO_COLOR": "1"], in: folder)
        let listening = await server.wait(timeout: 60) { server.stderr.contains("listening on http://") }
        #expect(listening, "\(server.stderr)")
        let url = server.stderr.split(separator: "\n").first { $0.contains("listening on http://") }
            .flatMap { line in line.split(separator: " ").first { $0.hasPrefix("http://") } }.map(String.init)
        let scanner = LeakScanner(keys: [key])
        #expect(url != nil, "\(server.stderr)")
        if let url {
            let manifests = Repository.path("examples/northwind")
            let plan = try await Binary.run(["plan", manifests, "--verbose"],
                                            environment: ["COGRAM_API_URL": url, "COGRAM_API_KEY": key, "NO_COLOR": "1"], in: folder)
            scanner.record("plan against serve", plan)
            #expect(plan.status == 0, "\(plan.stderr.suffix(1500))")
            #expect(plan.stderr.contains(url), "the plan talked to the served sandbox: \(plan.stderr.prefix(500))")
        }
        server.send(SIGINT)
        _ = await server.wait(timeout: 30)
        scanner.record("serve stdout", text: server.stdout)
        scanner.record("serve stderr", text: server.stderr)
        scanner.recordFiles(below: folder)
        for _ in 0..<9 { scanner.record("padding", text: "") }
        scanner.expectNoLeak()
    }

    // MARK: - --api-key-file

    @Test(arguments: [0o644, 0o640, 0o604, 0o660])
    func keyFileReadableByOthersIsRefused(mode: Int) async throws {
        let key = Self.makeKey()
        try await stopping(try await ReliabilityOrganization.start(key: key)) { org in
            try org.write(.make(1, prefix: "kf"))
            let file = try Self.writeKeyFile(key, mode: mode, in: org.directory)
            let result = try await Binary.run(["plan", ".", "--api-key-file", file],
                                              environment: ["COGRAM_API_URL": org.sandbox.baseURL, "NO_COLOR": "1"], in: org.directory)
            #expect(result.status != 0)
            let octal = "0" + String(mode, radix: 8)
            #expect(result.stderr.contains("permissions \(octal) for '\(file)' are too open; run chmod 600 \(file)"), "\(result.stderr)")
            for fragment in Self.fragments(of: key) { #expect(!result.stderr.contains(fragment) && !result.stdout.contains(fragment)) }
            #expect(await org.sandbox.stats().total == 0, "nothing was sent with a refused key file")
        }
    }

    @Test(arguments: [0o600, 0o400])
    func privateKeyFileIsAccepted(mode: Int) async throws {
        let key = Self.makeKey()
        try await stopping(try await ReliabilityOrganization.start(key: key)) { org in
            try org.write(.make(1, prefix: "kf"))
            let file = try Self.writeKeyFile(key, mode: mode, in: org.directory)
            // No COGRAM_API_KEY: the file is the only source of the key.
            let result = try await Binary.run(["plan", ".", "--api-key-file", file, "--verbose", "--detailed-exitcode"],
                                              environment: ["COGRAM_API_URL": org.sandbox.baseURL, "NO_COLOR": "1"], in: org.directory)
            #expect(result.status == 2, "\(result.stderr.suffix(1500))")
            for fragment in Self.fragments(of: key) { #expect(!result.stderr.contains(fragment) && !result.stdout.contains(fragment)) }
        }
    }

    /// A loopback port nothing listens on: bound, then closed.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw CocoaError(.featureUnsupported) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
