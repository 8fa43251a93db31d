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

actor StatsRecorder {
    private var stats = SandboxStats()
    private var current = 0

    func begin() {
        current += 1
        stats.maxConcurrent = max(stats.maxConcurrent, current)
    }

    func end() { current -= 1 }

    /// `end()` and `record(method:status:)` in one call: one switch to the recorder per request instead of two.
    func finish(method: String, status: Int) {
        end()
        record(method: method, status: status)
    }

    func record(method: String, status: Int?) {
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

    func snapshot() -> SandboxStats { stats }

    /// Forgets the counts; requests being handled now still count towards `maxConcurrent`.
    func reset() {
        stats = SandboxStats()
        stats.maxConcurrent = current
    }
}
