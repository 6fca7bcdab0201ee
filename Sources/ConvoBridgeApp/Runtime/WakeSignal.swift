import Synchronization

/// Wakes a loop early (new outbox rows, a webhook asking for a poll) without losing a signal sent while it was busy.
///
/// A signal with nobody waiting is kept (one, however many are sent) for the next wait. Each wait is resolved once,
/// by a signal or by its own timeout; a timeout never stands in for a signal, so it cannot consume or leave behind
/// one that a later wait should see.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var nextID: UInt64 = 0
        /// The wait a signal wakes: the most recent one that started waiting.
        var waiter: (id: UInt64, continuation: CheckedContinuation<Void, Never>)?
        /// Waits whose timeout fired before they started waiting: they return at once when they do.
        var expired: Set<UInt64> = []
    }

    private let state = Mutex(State())

    /// Whether a wait is waiting for a signal now (for tests: a signal sent before that is kept instead).
    var hasWaiter: Bool { state.withLock { $0.waiter != nil } }

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }

    /// Returns when signalled (or at once if a signal came since the last wait), or after `timeout` on `clock`.
    func wait(timeout: Duration, clock: some Clock<Duration>) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal(id) }
            group.addTask {
                // Also when cancelled: the waiting child cannot be cancelled, so it must be resumed for the group to end.
                try? await clock.sleep(for: timeout)
                self.expire(id)
            }
            await group.next()
            group.cancelAll()
        }
        state.withLock { _ = $0.expired.remove(id) }
    }

    private func waitForSignal(_ id: UInt64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (resumeNow, displaced) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
                if state.expired.contains(id) { return (true, nil) }
                if state.pending {
                    state.pending = false
                    return (true, nil)
                }
                // One waiter at a time; a second one wakes the first (an early wake-up is harmless, a lost one is not).
                defer { state.waiter = (id, continuation) }
                return (false, state.waiter?.continuation)
            }
            displaced?.resume()
            if resumeNow { continuation.resume() }
        }
    }

    /// Ends wait `id` for its timeout, whether it is waiting yet or not.
    private func expire(_ id: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter, waiter.id == id else {
                state.expired.insert(id)
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}
