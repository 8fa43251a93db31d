import CogramRandom
import Synchronization

/// What the fault injector does to one request.
struct FaultDecision: Sendable, Hashable {
    var latencyMilliseconds = 0
    /// Part of a 429 burst.
    var rateLimited = false
    /// The `Retry-After` of the 429, in seconds, when `rateLimited`.
    var retryAfterSeconds = FaultOptions.defaultRateLimitRetryAfterSeconds
    /// Close the connection without answering.
    var drop = false
    /// Answer this 5xx status without doing anything.
    var errorBefore: Int?
    /// If the request is a successful write, answer this 5xx status after committing.
    var errorAfter: Int?

    static let none = FaultDecision()
}

/// Draws one decision per API request, in arrival order, from a seeded generator.
///
/// Every request draws exactly five values whatever the outcome, so a request's faults depend only on its
/// position in the sequence. The generator sits behind a `Mutex`, not in an actor: a draw is a few arithmetic
/// steps, and an actor would move every request to another thread and back (as `StatsRecorder` and `RateLimiter`).
final class FaultInjector: Sendable {
    private struct State {
        var generator: SplitMix64
        var burstRemaining = 0
    }

    private let options: FaultOptions
    private let state: Mutex<State>

    init(options: FaultOptions) {
        self.options = options
        self.state = Mutex(State(generator: SplitMix64(seed: options.seed)))
    }

    /// The decision for a request with `method` to `path`: the draws, unless a rule of `FaultOptions.failures`
    /// matches; then that rule's status, and nothing else. The draws are made either way, so that a rule does not
    /// shift the faults of the requests after it.
    func next(method: String, path: String) -> FaultDecision {
        let drawn = next()
        guard let rule = options.failures.first(where: { $0.matches(method: method, path: path) }) else { return drawn }
        return FaultDecision(latencyMilliseconds: drawn.latencyMilliseconds, errorBefore: rule.status)
    }

    func next() -> FaultDecision {
        state.withLock { Self.draw(options, &$0) }
    }

    private static func draw(_ options: FaultOptions, _ state: inout State) -> FaultDecision {
        let burstDraw = state.generator.unit()
        let dropDraw = state.generator.unit()
        let beforeDraw = state.generator.unit()
        let afterDraw = state.generator.unit()
        let statusDraw = state.generator.unit()
        var decision = FaultDecision(latencyMilliseconds: max(0, options.latencyMilliseconds))
        if state.burstRemaining > 0 {
            state.burstRemaining -= 1
            decision.rateLimited = true
        } else if burstDraw < options.rateLimitBurstRate {
            state.burstRemaining = max(1, options.rateLimitBurstLength) - 1
            decision.rateLimited = true
        }
        if decision.rateLimited {
            decision.retryAfterSeconds = max(0, options.rateLimitRetryAfterSeconds)
            return decision
        }
        if dropDraw < options.dropRate {
            decision.drop = true
            return decision
        }
        if beforeDraw < options.errorBeforeRate {
            decision.errorBefore = statusDraw < 0.5 ? 503 : 500
            return decision
        }
        if afterDraw < options.errorAfterRate {
            decision.errorAfter = statusDraw < 0.5 ? 500 : 503
        }
        return decision
    }
}
