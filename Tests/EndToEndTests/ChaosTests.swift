#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CogramAPI
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

// Apply against a misbehaving Cogram (5xx before and after the change, dropped connections, 429 bursts) and
// several applies at once: each run converges to the manifests, with no duplicate project and no lost or extra
// member, and a plan afterwards has nothing to do.

// MARK: - Support (shared with InterruptionTests and SecretsTests)

/// The organization of the reliability suites: a `TestOrganization` with twelve users and a generous server
/// rate limit (the tests are about faults, not the 1000/minute budget).
enum ReliabilityOrganization {
    /// Twelve active users, u01…u12 at reliability.example.
    static let users: [SandboxSeed.User] = (1...12).map {
        SandboxSeed.User(email: email($0), name: "User \($0)", role: .member)
    }

    static func email(_ n: Int) -> String { String(format: "u%02d@reliability.example", n) }

    static func start(faults: FaultOptions = .init(), key: String = "rel-" + UUID().uuidString) async throws -> TestOrganization {
        try await TestOrganization.start(
            users: users, faults: faults, organization: "Reliability", rateLimitPerMinute: 1_000_000, key: key,
            runTimeout: 300)
    }
}

extension TestOrganization {
    /// Writes `desired` as manifests (two files, so that loading merges them) and returns it.
    @discardableResult
    func write(_ desired: DesiredProjects) throws -> DesiredProjects {
        let half = desired.projects.count / 2
        for (name, slice) in [("a.yaml", desired.projects[..<half]), ("b.yaml", desired.projects[half...])] {
            var yaml = slice.isEmpty ? "version: 1\nprojects: []\n" : "version: 1\nprojects:\n"
            for project in slice {
                yaml += "  - external_id: \(project.externalID)\n    name: \(project.name)\n    members:\n"
                for (email, role) in project.members.sorted(by: { $0.key < $1.key }) {
                    yaml += "      - {email: \(email), role: \(role.rawValue)}\n"
                }
            }
            try yaml.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return desired
    }

    /// Compares Cogram with `desired`: every project exactly once, active, named as written, with exactly the
    /// members written; no other project with an external id. Returns the differences (empty when converged).
    func differences(from desired: DesiredProjects) throws -> [String] {
        var problems: [String] = []
        let projects = try sandbox.store.allProjects(organization: organizationID)
        var byExternalID: [String: [Project]] = [:]
        for project in projects { if let key = project.externalID { byExternalID[key, default: []].append(project) } }
        for (key, found) in byExternalID where found.count > 1 { problems.append("\(key): \(found.count) projects") }
        let wanted = Set(desired.projects.map(\.externalID))
        for key in byExternalID.keys where !wanted.contains(key) { problems.append("\(key): not in the manifests") }
        for project in desired.projects {
            guard let found = byExternalID[project.externalID]?.first else {
                problems.append("\(project.externalID): missing")
                continue
            }
            if found.name != project.name { problems.append("\(project.externalID): name \(found.name)") }
            if found.status != .active { problems.append("\(project.externalID): \(found.status)") }
            var members: [String: ProjectRole] = [:]
            for member in try sandbox.store.members(organization: organizationID, projectID: found.id) {
                if members[member.email] != nil { problems.append("\(project.externalID): \(member.email) twice") }
                members[member.email] = member.role.known
            }
            if members != project.members { problems.append("\(project.externalID): members \(members) != \(project.members)") }
        }
        let unkeyed = projects.filter { $0.externalID == nil }
        if !unkeyed.isEmpty { problems.append("\(unkeyed.count) projects without an external id") }
        return problems
    }
}

/// What the manifests ask for: projects with their whole membership.
struct DesiredProjects: Sendable {
    struct Entry: Sendable {
        var externalID: String
        var name: String
        var members: [String: ProjectRole]
    }

    var projects: [Entry]

    /// `count` projects, each with 2 or 3 members drawn from the twelve users, the first an owner (deterministic).
    static func make(_ count: Int, prefix: String = "rel") -> DesiredProjects {
        let roles: [ProjectRole] = [.owner, .editor, .viewer]
        return DesiredProjects(projects: (0..<count).map { i in
            var members: [String: ProjectRole] = [:]
            for k in 0..<(2 + i % 2) {
                members[ReliabilityOrganization.email((i * 5 + k * 7) % 12 + 1)] = k == 0 ? .owner : roles[(i + k) % 3]
            }
            return Entry(externalID: String(format: "\(prefix)-%03d", i), name: "Project \(i)", members: members)
        })
    }
}

// MARK: - Chaos

@Suite(.serialized) struct ChaosTests {
    /// One apply of 200 projects (about 500 memberships) through every kind of fault converges.
    @Test(arguments: [UInt64(11), 2026, 90_001])
    func applyConvergesThroughFaults(seed: UInt64) async throws {
        // The injected 429s ask for a retry at once (`Retry-After: 0`): with the default of 1 s each 429 held every
        // request back for a second, which made most of the run's time and proved nothing more (waiting out a
        // `Retry-After` is RateLimitTests' and NetworkTests' subject).
        let faults = FaultOptions(seed: seed, errorBeforeRate: 0.10, errorAfterRate: 0.10, dropRate: 0.05,
                                  rateLimitBurstRate: 0.005, rateLimitBurstLength: 3, rateLimitRetryAfterSeconds: 0)
        try await stopping(try await ReliabilityOrganization.start(faults: faults)) { org in
            let desired = try org.write(.make(200))

            let started = Date()
            // A write attempt fails here about 22% of the time, so the default 5 retries (6 attempts) give up on some
            // write in roughly one run in thirteen; 12 retries make that about 3 in a billion per write. Backoff
            // starts at 20 ms instead of 200 ms: the run is about surviving faults, and the unluckiest request's
            // doubling waits would otherwise make most of its time.
            let apply = try await org.run([
                "apply", ".", "--auto-approve", "--rate-limit", "1000000", "--parallelism", "16", "--max-retries", "12",
                "--retry-delay", "20ms",
            ])
            let elapsed = Date().timeIntervalSince(started)
            let failedLines = apply.stdout.split(separator: "\n").filter { $0.contains("failed") || $0.contains("error") }
            #expect(apply.status == 0, "seed \(seed): exit \(apply.status)\n\(failedLines.joined(separator: "\n"))\n\(apply.stderr.suffix(3000))")
            #expect(apply.stdout.contains("0 failed, 0 skipped"), "\(apply.stdout.suffix(500))")
            let problems = try org.differences(from: desired)
            #expect(problems.isEmpty, "seed \(seed): \(problems.prefix(20))")
            // The faults did happen: every kind was met and survived.
            let stats = await org.sandbox.stats()
            #expect(stats.dropped > 0 && stats.byStatus[429, default: 0] > 0, "\(stats)")
            #expect(stats.byStatus[500, default: 0] + stats.byStatus[503, default: 0] > 20, "\(stats)")

            // Still under the same faults: reading the organization again finds nothing to do.
            let plan = try await org.run([
                "plan", ".", "--detailed-exitcode", "--rate-limit", "1000000", "--max-retries", "12", "--retry-delay", "20ms",
            ])
            #expect(plan.status == 0, "seed \(seed): \(plan.stdout.suffix(1500))\n\(plan.stderr.suffix(1500))")
            print("chaos seed \(seed): apply took \(String(format: "%.1f", elapsed)) s, \(stats.writes) writes on the server, \(stats.byStatus[429, default: 0]) answered 429, \(stats.dropped) dropped")
        }
    }

    /// `--max-retries N` bounds the retries of one request: with every request failing, a plan sends the first
    /// read exactly N + 1 times, then exits 1 naming the attempts; out-of-range values are usage errors.
    @Test(arguments: [0, 2])
    func maxRetriesBoundsRetries(retries: Int) async throws {
        try await stopping(try await ReliabilityOrganization.start(faults: FaultOptions(seed: 1, errorBeforeRate: 1.0))) { org in
            try org.write(.make(1))
            let plan = try await org.run(["plan", ".", "--max-retries", String(retries), "--verbose"])
            #expect(plan.status == 1, "\(plan.stdout)\n\(plan.stderr)")
            // The projects and users lists are read at once; each is retried at most N times, and the one that gives
            // up first ends the run.
            let retryLines = plan.stderr.split(separator: "\n").filter { $0.contains("retrying GET") }
            let perURL = Dictionary(grouping: retryLines) { $0.split(separator: " ").first { $0.hasPrefix("http") } ?? "" }
            #expect(perURL.values.map(\.count).max() ?? 0 == retries, "\(plan.stderr.suffix(2000))")
            #expect(!plan.stderr.contains("(retry \(retries + 1) of"))
            let stats = await org.sandbox.stats()
            #expect((retries + 1)...(2 * (retries + 1)) ~= stats.total, "\(stats)")
            #expect(plan.stderr.contains("HTTP 50"), "\(plan.stderr.suffix(1500))")
            if retries > 0 { #expect(plan.stderr.contains("after \(retries + 1) attempts"), "\(plan.stderr.suffix(1500))") }

            let outOfRange = try await org.run(["plan", ".", "--max-retries", "21"])
            #expect(outOfRange.status == 64 && outOfRange.stderr.contains("--max-retries must be between 0 and 20"),
                    "\(outOfRange.status) \(outOfRange.stderr)")
        }
    }

    /// `--parallelism N` is the number of requests on the wire at once, as the server sees it: exactly 1 at 1
    /// (although the project and user lists, and their pages, are read concurrently at higher settings), and 16 at
    /// 16, above AsyncHTTPClient's default pool of 8 connections per host.
    @Test func parallelismBoundsRequestsOnTheWire() async throws {
        let org = try await ReliabilityOrganization.start()
        try org.write(.make(250))
        let apply = try await org.run(["apply", ".", "--auto-approve", "--rate-limit", "1000000"])
        #expect(apply.status == 0, "\(apply.stderr.suffix(1500))")
        try await stopping(try await org.restarted(faults: FaultOptions(latencyMilliseconds: 20), rateLimitPerMinute: 1_000_000)) { slow in
            for parallelism in [1, 3, 16] {
                await slow.sandbox.resetStats()
                let plan = try await slow.run([
                    "plan", ".", "--detailed-exitcode", "--rate-limit", "1000000", "--parallelism", String(parallelism),
                ])
                #expect(plan.status == 0, "\(plan.stdout.suffix(500))\n\(plan.stderr.suffix(1500))")
                let stats = await slow.sandbox.stats()
                // 3 project pages, 1 user page and 250 member lists.
                #expect(stats.total == 254, "\(stats)")
                #expect(stats.maxConcurrent == parallelism, "--parallelism \(parallelism): \(stats)")
            }
        }
    }

    // MARK: - Concurrency

    /// Two and four applies of the same manifests at once: all succeed (a create that loses the race meets 409
    /// `conflict` and is reconciled), one end state, no duplicates, nothing left to plan.
    @Test(arguments: [2, 4])
    func concurrentAppliesConverge(applies: Int) async throws {
        try await stopping(try await ReliabilityOrganization.start(faults: FaultOptions(seed: 7, latencyMilliseconds: 15))) { org in
            let desired = try org.write(.make(30, prefix: "con"))

            let results = try await withThrowingTaskGroup(of: Binary.Result.self) { group in
                for _ in 0..<applies {
                    group.addTask { try await org.run(["apply", ".", "--auto-approve", "--rate-limit", "1000000"]) }
                }
                var results: [Binary.Result] = []
                for try await result in group { results.append(result) }
                return results
            }
            for (i, result) in results.enumerated() {
                #expect(result.status == 0, "apply \(i + 1) of \(applies): exit \(result.status)\n\(result.stdout.suffix(1500))\n\(result.stderr.suffix(1500))")
            }
            let problems = try org.differences(from: desired)
            #expect(problems.isEmpty, "\(problems.prefix(20))")
            let plan = try await org.run(["plan", ".", "--detailed-exitcode"])
            #expect(plan.status == 0, "\(plan.stdout.suffix(1500))\n\(plan.stderr.suffix(1500))")
        }
    }
}
