import Synchronization

/// Requests served by a running sandbox, for tests and benchmarks.
public struct SandboxStats: Sendable, Hashable {
    /// Every request, including `/v1/openapi.yaml`, `/v1/docs` and dropped connections.
    public var total = 0
    /// Requests by HTTP method (`GET`, `POST`, …).
    public var byMethod: [String: Int] = [:]
    /// Answered requests by status code (dropped connections have no status).
    public var byStatus: [Int: Int] = [:]
    /// Non-GET requests answered with a 2xx status.
    public var writes = 0
    /// Connections closed by fault injection without an answer.
    public var dropped = 0
    /// The most API requests handled at once (injected latency included): what a client had on the wire.
    public var maxConcurrent = 0

    public init() {}
}

/// The counts behind `RunningSandbox.stats()`, kept behind a lock rather than in an actor: every request
/// updates them twice, and a switch to an actor and back costs the request a hop between threads
/// (BENCHMARKS.md, figure 9).
final class StatsRecorder: Sendable {
    private struct State {
        var stats = SandboxStats()
        var current = 0
    }

    private let state = Mutex(State())

    func begin() {
        state.withLock { state in
            state.current += 1
            state.stats.maxConcurrent = max(state.stats.maxConcurrent, state.current)
        }
    }

    func end() { state.withLock { $0.current -= 1 } }

    /// `end()` and `record(method:status:)` under one lock.
    func finish(method: String, status: Int) {
        state.withLock { state in
            state.current -= 1
            Self.record(method: method, status: status, in: &state.stats)
        }
    }

    func record(method: String, status: Int?) {
        state.withLock { Self.record(method: method, status: status, in: &$0.stats) }
    }

    private static func record(method: String, status: Int?, in stats: inout SandboxStats) {
        stats.total += 1
        stats.byMethod[method, default: 0] += 1
        guard let status else {
            stats.dropped += 1
            return
        }
        stats.byStatus[status, default: 0] += 1
        if method != "GET", (200..<300).contains(status) {
            stats.writes += 1
        }
    }

    func snapshot() -> SandboxStats { state.withLock { $0.stats } }

    /// Forgets the counts; requests being handled now still count towards `maxConcurrent`.
    func reset() {
        state.withLock { state in
            state.stats = SandboxStats()
            state.stats.maxConcurrent = state.current
        }
    }
}
