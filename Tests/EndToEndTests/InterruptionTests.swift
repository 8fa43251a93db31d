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

// An apply killed at any point (SIGKILL: no chance to clean up) leaves Cogram in a state from which the next
// apply converges without duplicates; Ctrl-C (SIGINT) or SIGTERM stops starting new changes, lets those in
// flight finish, prints the report and exits 130, and the next apply finishes the job.

/// The built binary started in the background, so that a test can signal it while it runs.
///
/// `@unchecked Sendable`: `process` is set up before `run()` and afterwards only read (its pid, its status after
/// termination); the output buffers are in a `Mutex`.
final class BackgroundBinary: @unchecked Sendable {
    private let process = Process()
    private let buffers = Mutex<(output: Data, errors: Data)>((Data(), Data()))
    private let finished = DispatchGroup()

    init(_ arguments: [String], environment: [String: String], in directory: URL) throws {
        process.executableURL = URL(fileURLWithPath: Binary.path)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var env = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        for (pipe, isError) in [(out, false), (err, true)] {
            finished.enter()
            pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
                let data = handle.availableData
                guard let self else { return }
                if data.isEmpty {
                    handle.readabilityHandler = nil
                    self.finished.leave()
                    return
                }
                self.buffers.withLock { if isError { $0.errors.append(data) } else { $0.output.append(data) } }
            }
        }
        finished.enter()
        process.terminationHandler = { [finished] _ in finished.leave() }
        try process.run()
    }

    var stdout: String { String(decoding: buffers.withLock { $0.output }, as: UTF8.self) }
    var stderr: String { String(decoding: buffers.withLock { $0.errors }, as: UTF8.self) }

    func send(_ signalNumber: Int32) { kill(process.processIdentifier, signalNumber) }

    /// Waits (without blocking a thread) until `condition` holds; false on timeout or when the process ended
    /// first.
    func wait(timeout: TimeInterval = 120, until condition: () async -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if await condition() { return true }
            if !process.isRunning { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Waits until a line of stderr satisfies `predicate`; false on timeout or when the process ended first.
    func waitForStderr(timeout: TimeInterval = 120, where predicate: (Substring) -> Bool) async -> Bool {
        await wait(timeout: timeout) { self.stderr.split(separator: "\n").contains(where: predicate) }
    }

    /// Waits for the process and its output; kills it after `timeout`. Exit status, or 128 + signal.
    func wait(timeout: TimeInterval = 300) async -> Int32 {
        let watchdog = DispatchWorkItem { [process] in if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            finished.notify(queue: .global()) { continuation.resume() }
        }
        watchdog.cancel()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }
}

@Suite(.serialized) struct InterruptionTests {
    /// Where the first apply is killed: after a delay from its start, or after the sandbox answered some writes.
    enum KillPoint: Sendable, CustomTestStringConvertible {
        case after(Double)
        case afterWrites(Int)

        var testDescription: String {
            switch self {
            case .after(let seconds): "SIGKILL after \(seconds) s"
            case .afterWrites(let n): "SIGKILL after \(n) writes"
            }
        }
    }

    /// 40 projects with 2–3 members each (about 140 changes) at 40 ms a request, 4 at a time: the apply takes
    /// a few seconds, so every kill point lands before, during or between changes.
    static let latency = FaultOptions(seed: 3, latencyMilliseconds: 40)
    static let applyArguments = ["apply", ".", "--auto-approve", "--rate-limit", "1000000", "--parallelism", "4"]

    @Test(arguments: [KillPoint.after(0.2), .after(0.5), .after(1.0), .afterWrites(1), .afterWrites(25), .afterWrites(90)])
    func killedApplyThenNextApplyConverges(_ point: KillPoint) async throws {
        try await stopping(try await ReliabilityOrganization.start(faults: Self.latency)) { org in
            let desired = try org.write(.make(40, prefix: "kill"))

            let first = try BackgroundBinary(Self.applyArguments, environment: org.environment, in: org.directory)
            switch point {
            case .after(let seconds):
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            case .afterWrites(let n):
                let reached = await first.wait { await org.sandbox.stats().writes >= n }
                #expect(reached, "the apply made \(n) writes before ending: \(first.stderr.suffix(1000))")
            }
            first.send(SIGKILL)
            let killed = await first.wait()
            #expect(killed == 128 + SIGKILL, "exit \(killed)")

            try await Self.nextApplyConverges(org, to: desired)
        }
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func interruptFinishesInFlightReportsAndExits130(signal: Int32) async throws {
        try await stopping(try await ReliabilityOrganization.start(faults: Self.latency)) { org in
            let desired = try org.write(.make(40, prefix: "int"))

            // The JSON report, so that what it says was done can be checked against the sandbox.
            let first = try BackgroundBinary(Self.applyArguments + ["--format", "json"], environment: org.environment, in: org.directory)
            let started = await first.wait { await org.sandbox.stats().writes >= 5 }
            #expect(started, "\(first.stderr.suffix(1000))")
            first.send(signal)
            let status = await first.wait(timeout: 60)
            #expect(status == 130, "exit \(status)\n\(first.stderr.suffix(1500))")
            let stderr = first.stderr
            #expect(stderr.contains("Interrupt: finishing the changes in flight"))
            #expect(stderr.contains("not started (skipped). Run apply again to finish."), "\(stderr.suffix(1500))")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
            #expect(document["status"] as? String == "interrupted")
            let changes = try #require(document["changes"] as? [[String: Any]])
            let outcomes = changes.map { $0["outcome"] as? String ?? "" }
            #expect(outcomes.contains("skipped"), "changes not started are reported as skipped")
            #expect(outcomes.contains("done"), "changes in flight were finished and reported")
            #expect(!outcomes.contains("failed"), "nothing in flight was cut off: \(changes.filter { $0["outcome"] as? String == "failed" })")
            // What the report says was done is done: every project it created exists.
            let projects = try org.sandbox.store.allProjects(organization: org.organizationID)
            for change in changes where change["outcome"] as? String == "done" && change["action"] as? String == "create" {
                let externalID = String((change["address"] as? String ?? "").dropFirst("project.".count))
                #expect(projects.contains { $0.externalID == externalID }, "\(externalID)")
            }

            try await Self.nextApplyConverges(org, to: desired)
        }
    }

    /// The next apply after a signal converges to `desired`, and a plan after it has nothing to do. Both run
    /// against the same database served again without the latency, which only made room for the signal.
    static func nextApplyConverges(_ org: TestOrganization, to desired: DesiredProjects) async throws {
        try await stopping(try await org.restarted(rateLimitPerMinute: 1_000_000)) { org in
            let second = try await org.run(applyArguments)
            #expect(second.status == 0, "\(second.stdout.suffix(1500))\n\(second.stderr.suffix(1500))")
            let problems = try org.differences(from: desired)
            #expect(problems.isEmpty, "\(problems.prefix(20))")
            let plan = try await org.run(["plan", ".", "--detailed-exitcode"])
            #expect(plan.status == 0, "\(plan.stdout.suffix(1500))")
        }
    }
}
