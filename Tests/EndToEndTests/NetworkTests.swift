import CogramSandbox
import CogramTestSupport
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Proxies, timeouts and URLs as the binary reads them from its options and environment.
@Suite struct NetworkEndToEndTests {
    static let manifest = """
        version: 1
        projects:
          - external_id: p-depot
            name: Depot
        """

    @Test func theEmbeddedSandboxIsNeverProxied() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cogramctl-net-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.manifest.write(to: directory.appendingPathComponent("m.yaml"), atomically: true, encoding: .utf8)
        let result = try await Binary.run(
            ["plan", ".", "--sandbox=sb.sqlite"],
            environment: ["HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_COLOR": "1"], in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("+ project.p-depot"))
    }

    /// A plain-http (loopback) API connects directly: a proxy would read `Authorization: Bearer` in clear.
    @Test func plainHTTPNeverGoesThroughAProxy() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write(Self.manifest)
            let proxy = try await RecordingListener.start()
            let limits = ["--max-retries", "0", "--request-timeout", "10"]
            let environment = ["HTTP_PROXY": proxy.url, "http_proxy": proxy.url, "HTTPS_PROXY": proxy.url]
            let fromEnvironment = try await org.run(["plan", "."] + limits, environment: environment)
            #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
            #expect(fromEnvironment.stdout.contains("+ project.p-depot"))
            let option = try await org.run(["plan", ".", "--proxy", "http://u:pw-secret@" + proxy.url.dropFirst("http://".count)] + limits)
            #expect(option.status == 0, "\(option.stderr)")
            #expect(option.stderr.contains("warning: --proxy is ignored: the API URL is plain http"), "\(option.stderr)")
            #expect(!option.stderr.contains("pw-secret"))
            #expect(proxy.connections == 0, "the proxy was contacted \(proxy.connections) times")
            try await proxy.shutdown()
        }
    }

    /// Over plain http no certificate is checked, so the ambient SSL_CERT_FILE is not read (a broken one does not
    /// stop the run); a --ca-bundle named on the command line is still read, and a bad one still refused.
    @Test func plainHTTPReadsNoAmbientCABundleButChecksANamedOne() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write(Self.manifest)
            let missing = org.directory.appendingPathComponent("no-such-bundle.pem").path
            let ambient = try await org.run(["plan", "."], environment: ["SSL_CERT_FILE": missing])
            #expect(ambient.status == 0, "\(ambient.stderr)")
            #expect(ambient.stdout.contains("+ project.p-depot"))
            let named = try await org.run(["plan", ".", "--ca-bundle", missing])
            #expect(named.status == 1, "\(named.stdout)")
            #expect(named.stderr.contains("--ca-bundle") && named.stderr.contains("no-such-bundle.pem"), "\(named.stderr)")
        }
    }

    @Test func aBaseURLEndingInV1IsNormalisedWithAWarning() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write(Self.manifest)
            let result = try await org.run(["plan", "."], environment: ["COGRAM_API_URL": org.sandbox.baseURL + "/v1"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("warning: the API URL \(org.sandbox.baseURL)/v1 ends in /v1"))
        }
    }

    @Test func theDeadlineStopsTheCommand() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write(Self.manifest)
            let result = try await org.run(["plan", ".", "--deadline", "0.001s"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("the deadline (--deadline) passed before GET"), "\(result.stderr)")
            #expect(try await org.run(["plan", ".", "--deadline", "soon"]).status == 64)
        }
    }

    @Test func applyStopsAtTheDeadlineSaysWhatItDidAndTheNextApplyFinishes() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-deadline")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        let organization = try ServedSandbox.seed(
            SandboxSeed(organization: "Northwind Build", users: [.init(email: TestOrganization.email("ana"), name: "Ana Ruiz", role: .admin)]),
            database: database)
        let all = Set((1...40).map { String(format: "p-%02d", $0) })
        try ("version: 1\nprojects:\n" + all.sorted().map { projectYAML($0) }.joined())
            .write(to: folder.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        let key = "deadline-key-" + UUID().uuidString
        func existing() throws -> Set<String> {
            let store = try SandboxStore(path: database)
            defer { try? store.close() }
            return Set(try store.allProjects(organization: organization).compactMap(\.externalID))
        }

        // 100 ms a request and one change at a time: planning takes a few tenths of a second, the 40 creates at
        // least 4 s, so a 3 s deadline passes part-way through them however slow the machine.
        let slow = try await ServedSandbox.start(database: database, key: key, arguments: ["--fault-latency-ms", "100"], in: folder)
        let stopped = try await Binary.run(
            ["apply", ".", "--auto-approve", "--parallelism", "1", "--rate-limit", "100000", "--deadline", "3s"],
            environment: slow.environment, in: folder)
        await slow.stop()
        // 1, not 130: a deadline is not an interrupt.
        #expect(stopped.status == 1, "\(stopped.stdout.suffix(1500))\n\(stopped.stderr.suffix(1500))")
        // The report names every change with what became of it, though stdout is not a terminal.
        var done: Set<String> = [], skipped: Set<String> = [], failed: [String: String] = [:]
        for line in stopped.stdout.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count >= 3, words[1] == "create", words[2].hasPrefix("project.") else { continue }
            let externalID = String(words[2].dropFirst("project.".count).prefix { $0 != ":" })
            switch words[0] {
            case "done": done.insert(externalID)
            case "skipped": skipped.insert(externalID)
            case "FAILED": failed[externalID] = line
            default: break
            }
        }
        #expect(!done.isEmpty && !skipped.isEmpty, "stopped part-way: \(stopped.stdout.suffix(1500))")
        #expect(done.union(skipped).union(failed.keys) == all && done.count + skipped.count + failed.count == 40, "\(stopped.stdout)")
        // Only a create the deadline caught (in flight, or at the moment of sending) fails, and it says why.
        for (externalID, line) in failed {
            #expect(line.contains(": the deadline (--deadline) passed before POST "), "\(externalID): \(line)")
        }
        #expect(stopped.stdout.contains("Apply interrupted: \(done.count) done, 0 reconciled, \(failed.count) failed, \(skipped.count) skipped."), "\(stopped.stdout.suffix(500))")
        #expect(stopped.stderr.contains("The deadline (--deadline 3s) passed: \(skipped.count) changes not started (skipped). Run apply again to finish."), "\(stopped.stderr)")
        let made = try existing()
        #expect(done.isSubset(of: made), "every create reported done was made")
        #expect(skipped.isDisjoint(with: made), "no create reported not started was made")

        // Without the deadline the next apply does what is left, and then nothing is.
        let healthy = try await ServedSandbox.start(database: database, key: key, in: folder)
        let again = try await Binary.run(["apply", ".", "--auto-approve"], environment: healthy.environment, in: folder)
        let plan = try await Binary.run(["plan", ".", "--detailed-exitcode"], environment: healthy.environment, in: folder)
        await healthy.stop()
        #expect(again.status == 0, "\(again.stdout.suffix(1500))\n\(again.stderr.suffix(1500))")
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.contains("No changes. Cogram matches the manifests."), "\(plan.stdout)")
        #expect(try existing() == all)
    }

    @Test func aKeyWithALineBreakIsRefusedWithoutShowingIt() async throws {
        try await stopping(try await TestOrganization.start()) { org in
            try org.write(Self.manifest)
            let result = try await org.run(["plan", "."], environment: ["COGRAM_API_KEY": "ck_live_first\nck_live_second"])
            #expect(result.status == 1)
            #expect(result.stderr.contains("the API key from COGRAM_API_KEY contains a line break at character 14"), "\(result.stderr)")
            #expect(!result.stderr.contains("ck_live"))
        }
    }
}

/// A TCP listener on loopback that accepts connections, never answers, and counts them: a proxy that records
/// whether anything came its way.
final class RecordingListener: Sendable {
    private final class Counter: Sendable {
        let value = Mutex(0)
    }

    private let channel: any Channel
    private let counter: Counter
    let url: String

    var connections: Int { counter.value.withLock { $0 } }

    private init(channel: any Channel, counter: Counter) {
        self.channel = channel
        self.counter = counter
        url = "http://127.0.0.1:\(channel.localAddress?.port ?? 0)"
    }

    static func start() async throws -> RecordingListener {
        let counter = Counter()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                counter.value.withLock { $0 += 1 }
                return channel.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RecordingListener(channel: channel, counter: counter)
    }

    func shutdown() async throws {
        try await channel.close()
    }
}
