import CogramAPI
import Foundation
import Logging
import Synchronization

enum Fixture {
    static let key = "ck_live_SECRET_4f9a2b7c"
    static let version = "9.9.9"

    /// A configuration with fast retries and a high rate limit, so tests measure only what they mean to.
    static func configuration(
        _ baseURL: String, actor: String? = "ana@acme.example", maxRetries: Int = 5, requestsPerMinute: Int = 60_000,
        readTimeout: Duration = .seconds(5), logger: Logger? = nil
    ) throws -> ClientConfiguration {
        var c = try ClientConfiguration(
            baseURL: baseURL, apiKey: APIKey(key), actor: actor, version: version,
            connectTimeout: .seconds(2), readTimeout: readTimeout, maxRetries: maxRetries,
            requestsPerMinute: requestsPerMinute)
        c.retryBaseDelay = .milliseconds(5)
        c.retryMaxDelay = .milliseconds(50)
        if let logger { c.logger = logger }
        return c
    }

    static func project(_ n: Int) -> String {
        #"{"id": "prj_\#(n)", "name": "Project \#(n)", "description": null, "external_id": "ext-\#(n)", "status": "active", "created_at": "2026-01-05T10:00:00Z", "updated_at": "2026-01-05T10:00:00Z"}"#
    }

    static let member = #"{"user_id": "usr_1", "email": "ana@acme.example", "name": "Ana Ruiz", "role": "owner", "added_at": "2026-01-05T10:00:00Z"}"#
    static let user = #"{"id": "usr_1", "email": "ana@acme.example", "name": "Ana Ruiz", "role": "admin", "external_id": "E-1", "status": "active"}"#

    static func page(_ items: [String], page: Int, pageSize: Int, total: Int) -> String {
        #"{"items": [\#(items.joined(separator: ","))], "page": \#(page), "page_size": \#(pageSize), "total": \#(total)}"#
    }
}

/// Collects every log line, for redaction tests.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    private let onLine: @Sendable (String) -> Void

    /// `onLine` sees every line as it is logged.
    init(onLine: @escaping @Sendable (String) -> Void = { _ in }) { self.onLine = onLine }

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    func append(_ line: String) {
        lines.withLock { $0.append(line) }
        onLine(line)
    }

    var logger: Logger {
        var logger = Logger(label: "test.http", factory: { _ in CapturingLogHandler(capture: self) })
        logger.logLevel = .trace
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        capture.append("\(event.level) \(event.message) \(event.metadata ?? [:])")
    }
}

/// Runs `body` and returns how long it took.
func measure<T>(isolation: isolated (any Actor)? = #isolation, _ body: () async throws -> T) async rethrows -> (T, Duration) {
    let start = ContinuousClock.now
    let result = try await body()
    return (result, ContinuousClock.now - start)
}

/// A thread-safe counter for scripts that answer the n-th request of a kind differently.
final class Counter: Sendable {
    private let value = Mutex(0)

    /// The current count, then one more.
    func next() -> Int {
        value.withLock { v in
            defer { v += 1 }
            return v
        }
    }
}
