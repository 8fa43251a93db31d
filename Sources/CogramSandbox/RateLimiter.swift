import Foundation
import Synchronization

/// The outcome of counting one request against its bucket.
struct RateDecision: Sendable, Hashable {
    var allowed: Bool
    var limit: Int
    var remaining: Int
    /// Whole seconds until the window refills (at least 1).
    var resetSeconds: Int
}

/// Per-key fixed-window rate limiting: each bucket's window starts with its first request and lasts 60 seconds.
/// Its windows are behind a lock rather than in an actor: every request takes from it, and a switch to an actor
/// and back costs the request a hop between threads (BENCHMARKS.md, figure 9).
final class RateLimiter: Sendable {
    private struct Window {
        var start: Int64
        var count: Int
    }

    private let limit: Int
    private let windowMilliseconds: Int64
    private let windows = Mutex<[String: Window]>([:])

    init(limit: Int, windowMilliseconds: Int64 = 60_000) {
        self.limit = max(1, limit)
        self.windowMilliseconds = windowMilliseconds
    }

    func take(_ bucket: String, now: Int64 = Timestamp.nowMilliseconds()) -> RateDecision {
        let limit = limit, windowMilliseconds = windowMilliseconds
        return windows.withLock { windows in
            if windows.count > 10_000 {
                // Unauthenticated buckets are keyed by client address, which many clients can have; forget
                // finished windows.
                windows = windows.filter { now < $0.value.start + windowMilliseconds }
            }
            var window = windows[bucket] ?? Window(start: now, count: 0)
            if now >= window.start + windowMilliseconds {
                window = Window(start: now, count: 0)
            }
            let reset = Int(max(1, (window.start + windowMilliseconds - now + 999) / 1000))
            guard window.count < limit else {
                windows[bucket] = window
                return RateDecision(allowed: false, limit: limit, remaining: 0, resetSeconds: reset)
            }
            window.count += 1
            windows[bucket] = window
            return RateDecision(allowed: true, limit: limit, remaining: limit - window.count, resetSeconds: reset)
        }
    }
}
