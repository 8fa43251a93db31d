#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CogramSandbox
import CogramTestSupport
import Foundation
import Testing

/// Issue 22: Ctrl-C during `apply PLANFILE` of a saved plan, then `apply PLANFILE` again, finishes that plan.
@Suite struct InterruptedSavedPlanTests {
    static let projects = 30

    @Test func ctrlCThenApplyingTheSavedPlanAgainFinishesIt() async throws {
        let folder = try makeTemporaryDirectory("cogramctl-ctrlc")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("sandbox.sqlite").path
        _ = try ServedSandbox.seed(
            SandboxSeed(organization: "Northwind Build", users: TestOrganization.defaultUsers, projects: []), database: database)
        let yaml = (0..<Self.projects).map { projectYAML("c-\($0)", members: [("ana", "owner"), ("ben", "editor")]) }.joined()
        try ("version: 1\nprojects:\n" + yaml).write(to: folder.appendingPathComponent("manifest.yaml"), atomically: true, encoding: .utf8)
        let key = "ctrlc-key-" + UUID().uuidString

        // 60 ms a request, two changes at a time: the apply takes seconds, long enough to be interrupted midway.
        let server = try await ServedSandbox.start(database: database, key: key, arguments: ["--fault-latency-ms", "60"], in: folder)
        let plan = try await Binary.run(["plan", ".", "--out", "plan.json"], environment: server.environment, in: folder)
        #expect(plan.status == 0, "\(plan.stderr)")

        let first = try BackgroundBinary(["apply", "plan.json", "--parallelism", "2"], environment: server.environment, in: folder)
        // Off a terminal apply logs a line at each tenth of the changes: the first one means it is under way.
        let started = await first.wait(timeout: 120) { first.stderr.contains("Applying:") }
        #expect(started, "\(first.stdout.suffix(1500))\(first.stderr.suffix(1500))")
        first.send(SIGINT)
        let status = await first.wait(timeout: 60)
        let again = try await Binary.run(["apply", "plan.json"], environment: server.environment, in: folder)
        let next = try await Binary.run(["plan", ".", "--detailed-exitcode"], environment: server.environment, in: folder)
        await server.stop()

        #expect(status == 130, "exit \(status)\n\(first.stdout.suffix(1500))\(first.stderr.suffix(1500))")
        #expect(first.stderr.contains("Interrupt: finishing the changes in flight"), "\(first.stderr.suffix(1500))")
        #expect(first.stderr.contains("not started (skipped). Run apply again to finish."), "\(first.stderr.suffix(1500))")
        // "Apply interrupted: D done, R reconciled, 0 failed, S skipped.": what was and was not done.
        let headline = try #require(first.stdout.split(separator: "\n").first { $0.hasPrefix("Apply interrupted: ") }, "\(first.stdout)")
        let counts = headline.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        try #require(counts.count == 4, "\(headline)")
        let (done, reconciled, failed, skipped) = (counts[0], counts[1], counts[2], counts[3])
        #expect(failed == 0, "\(headline)")
        #expect(done + reconciled > 0 && skipped > 0, "interrupted midway: \(headline)")

        #expect(again.status == 0, "\(again.stdout.suffix(1500))\(again.stderr.suffix(1500))")
        #expect(
            again.stdout.contains("\(done + reconciled) changes of this plan already made in Cogram (counted as done); applying the other \(skipped)."),
            "\(again.stdout.prefix(1500))")
        #expect(again.stdout.contains("Apply complete: \(skipped) done, 0 reconciled, 0 failed, 0 skipped."), "\(again.stdout.suffix(1500))")
        #expect(next.status == 0, "\(next.stdout.suffix(1500))\(next.stderr.suffix(1500))")
        #expect(next.stdout.contains("No changes. Cogram matches the manifests."), "\(next.stdout.suffix(1500))")
    }
}
