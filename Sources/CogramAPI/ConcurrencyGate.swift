import Synchronization

/// Lets at most `limit` requests of one client be on the wire at once; the others wait their turn, in arrival
/// order. This is what makes `--parallelism N` mean "N requests at a time" even where the client itself fans out
/// (the pages of a list, the project and user lists read together).
///
/// A slot is held for one HTTP exchange only, not through retry backoff or rate-limit waits. A waiting task that is
/// cancelled stops waiting with `CancellationError`.
///
/// A lock rather than an actor: a free slot is taken without suspending, where an actor's two hops per request
/// (enter, leave) queued behind each other under load and woke threads of the pool.
final class ConcurrencyGate: Sendable {
    let limit: Int

    private struct State {
        var active = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Waits for a slot. Must be balanced by `leave()` once it returns.
    func enter() async throws {
        let id: UInt64? = state.withLock { state in
            if state.active < limit, state.waiters.isEmpty {
                state.active += 1
                return nil
            }
            defer { state.nextID += 1 }
            return state.nextID
        }
        guard let id else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // A task is flagged as cancelled before its cancellation handler runs: a handler that finds no
                // waiter to cancel ran before this check, which then sees the flag.
                let cancelled = state.withLock { state in
                    if Task.isCancelled { return true }
                    state.waiters.append((id, continuation))
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            cancelWaiter(id)
        }
    }

    /// Gives the slot back, or hands it straight to the longest waiter.
    func leave() {
        let next: CheckedContinuation<Void, any Error>? = state.withLock { state in
            if state.waiters.isEmpty {
                state.active -= 1
                return nil
            }
            return state.waiters.removeFirst().continuation
        }
        next?.resume()
    }

    private func cancelWaiter(_ id: UInt64) {
        let waiter: CheckedContinuation<Void, any Error>? = state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        waiter?.resume(throwing: CancellationError())
    }
}
