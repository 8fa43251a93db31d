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

    public init() {}
}

actor StatsRecorder {
    private var stats = SandboxStats()

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

    func reset() { stats = SandboxStats() }
}
