/// Lets at most `limit` requests of one client be on the wire at once; the others wait their turn, in arrival
/// order. This is what makes `--parallelism N` mean "N requests at a time" even where the client itself fans out
/// (the pages of a list, the project and user lists read together).
///
/// A slot is held for one HTTP exchange only, not through retry backoff or rate-limit waits. A waiting task that is
/// cancelled stops waiting with `CancellationError`.
actor ConcurrencyGate {
    let limit: Int
    private var active = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID: UInt64 = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Waits for a slot. Must be balanced by `leave()` once it returns.
    func enter() async throws {
        if active < limit, waiters.isEmpty {
            active += 1
            return
        }
        let id = nextID
        nextID += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    /// Gives the slot back, or hands it straight to the longest waiter.
    func leave() {
        if waiters.isEmpty {
            active -= 1
        } else {
            waiters.removeFirst().continuation.resume()
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }
}
