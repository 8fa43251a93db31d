import Synchronization

/// Paces the requests of one client so that it stays under the server's per-key limit instead of
/// discovering it through 429s. One instance is shared by every concurrent request of a `CogramClient`.
///
/// Three gates, a request waits for the latest of them:
/// 1. A token bucket refilled continuously at 97 % of `requestsPerMinute`, with a small burst capacity of
///    1.5 % of the per-minute limit (at least 1, at most 10). Any 60-second window then holds at most
///    `0.97·L + 0.015·L < L` requests, whether the server counts in fixed or sliding windows or with a
///    bucket of its own, so a lone client sees no 429s while using 97 % of the limit.
/// 2. The server's own view: when `X-RateLimit-Remaining` (minus the requests still in flight and one spare)
///    would run out before `X-RateLimit-Reset` at the bucket's pace, the remaining requests are spread evenly
///    over the reset interval; with nothing left, everyone waits for the reset. Absent headers change nothing.
/// 3. After a 429, nobody sends until its `Retry-After` has passed (the limit is per key, not per request).
///
/// Tokens are reserved before sleeping, so waiting requests are served in arrival order without a thundering
/// herd.
///
/// The state sits behind a lock rather than in an actor: every request reserves and completes, each a few
/// arithmetic steps, and an actor's hops for them cost more than the steps and woke threads of the pool.
final class RateLimiter: Sendable {
    let tokensPerSecond: Double
    let capacity: Double

    fileprivate struct State {
        var tokens: Double
        var updated: ContinuousClock.Instant
        var blockedUntil: ContinuousClock.Instant?
        var serverPacingUntil: ContinuousClock.Instant?
        var serverInterval: Duration = .zero
        var serverNextSlot: ContinuousClock.Instant?
        /// The latest slot handed out under server pacing; requests holding earlier slots may still be waiting for them.
        var lastPacedSlot: ContinuousClock.Instant?
        var inFlight = 0
    }

    private let state: Mutex<State>

    /// Requests that hold a reservation and have not completed.
    var inFlight: Int { state.withLock { $0.inFlight } }

    /// The share of the configured limit the bucket refills at.
    static let safetyFactor = 0.97

    init(requestsPerMinute: Int) {
        let limit = Double(max(1, requestsPerMinute))
        tokensPerSecond = limit * Self.safetyFactor / 60
        capacity = Self.burstCapacity(requestsPerMinute: requestsPerMinute)
        state = Mutex(State(tokens: capacity, updated: .now))
    }

    static func burstCapacity(requestsPerMinute: Int) -> Double {
        max(1, min(10, (Double(requestsPerMinute) * 0.015).rounded(.down)))
    }

    /// Waits until this request may be sent. Must be balanced by `complete(remaining:reset:)`.
    func acquire() async throws {
        let delay = state.withLock { $0.reserve(tokensPerSecond: tokensPerSecond, capacity: capacity) }
        do {
            if delay > .zero { try await Task.sleep(for: delay) }
            // A 429 may have arrived while this request slept on an earlier reservation.
            while let until = state.withLock({ $0.blockedUntil }), until > .now {
                try await Task.sleep(until: until, clock: .continuous)
            }
        } catch {
            state.withLock { $0.inFlight -= 1 }
            throw error
        }
    }

    /// Records the end of a request and what the server said about the remaining budget.
    func complete(remaining: Int?, resetSeconds: Double?) {
        state.withLock { $0.complete(remaining: remaining, resetSeconds: resetSeconds, tokensPerSecond: tokensPerSecond) }
    }

    /// After a 429: nobody sends before `duration` has passed, and the bucket holds one token afterwards, so
    /// the first request leaves exactly at the end of the block and those queued behind it at the normal pace
    /// rather than all at once.
    func block(for duration: Duration) {
        state.withLock { $0.block(for: duration, tokensPerSecond: tokensPerSecond, capacity: capacity) }
    }
}

extension RateLimiter.State {
    mutating func reserve(tokensPerSecond: Double, capacity: Double) -> Duration {
        let now = ContinuousClock.now
        refill(now, tokensPerSecond: tokensPerSecond, capacity: capacity)
        tokens -= 1
        var start = now
        // `updated` lies in the future while a 429 block lasts: the bucket refills only from then on.
        if tokens < 0 { start = max(now, updated) + .seconds(-tokens / tokensPerSecond) }
        if let until = blockedUntil, until > start { start = until }
        if let until = serverPacingUntil, now < until {
            let slot = max(start, serverNextSlot ?? now)
            lastPacedSlot = slot
            serverNextSlot = slot + serverInterval
            start = slot
        }
        inFlight += 1
        return start - now
    }

    mutating func refill(_ now: ContinuousClock.Instant, tokensPerSecond: Double, capacity: Double) {
        guard now > updated else { return }
        tokens = min(capacity, tokens + (now - updated).seconds * tokensPerSecond)
        updated = now
    }

    mutating func complete(remaining: Int?, resetSeconds: Double?, tokensPerSecond: Double) {
        inFlight = max(0, inFlight - 1)
        guard let remaining, let resetSeconds, resetSeconds > 0 else { return }
        let now = ContinuousClock.now
        let usable = remaining - inFlight - 1
        if usable <= 0 {
            serverPacingUntil = now + .seconds(resetSeconds)
            serverNextSlot = serverPacingUntil
            serverInterval = .zero
        } else if Double(usable) < tokensPerSecond * resetSeconds {
            serverPacingUntil = now + .seconds(resetSeconds)
            serverInterval = .seconds(resetSeconds / Double(usable))
            // The next slot follows the latest one already handed out, at the new spacing: never earlier, since
            // the requests holding those slots are still waiting to leave (pulling it back to `now + interval`
            // gave two requests one slot, and 8 workers up to 8 requests per interval).
            serverNextSlot = max(now, (lastPacedSlot ?? now) + serverInterval)
        } else {
            serverPacingUntil = nil
            serverNextSlot = nil
        }
    }

    mutating func block(for duration: Duration, tokensPerSecond: Double, capacity: Double) {
        let until = ContinuousClock.now + duration
        if let current = blockedUntil, current >= until { return }
        blockedUntil = until
        refill(.now, tokensPerSecond: tokensPerSecond, capacity: capacity)
        tokens = min(tokens, 1)
        updated = until
    }
}
