import Synchronization

/// Wakes a loop early (new outbox rows, a webhook asking for a poll) without losing a signal sent while it was busy.
///
/// A signal with nobody waiting is kept (one, however many are sent) for the next wait. Each wait is resolved once,
/// by a signal or by its own timeout; a timeout never stands in for a signal, so it cannot consume or leave behind
/// one that a later wait should see.
final class WakeSignal: Sendable {
    private enum Wait {
        /// Its timeout fired before it started waiting: it returns at once when it does.
        case expired
        case waiting(CheckedContinuation<Void, Never>)
    }

    private struct State {
        var pending = false
        var nextID: UInt64 = 0
        /// The wait a signal wakes: the most recent one that started waiting.
        var current: UInt64?
        var waits: [UInt64: Wait] = [:]
    }

    private let state = Mutex(State())

    /// Whether a wait is waiting for a signal now (for tests: a signal sent before that is kept instead).
    var hasWaiter: Bool { state.withLock { $0.current != nil } }

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let id = state.current, case .waiting(let waiter) = state.waits.removeValue(forKey: id) else {
                state.pending = true
                return nil
            }
            state.current = nil
            return waiter
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
        state.withLock { _ = $0.waits.removeValue(forKey: id) }
    }

    private func waitForSignal(_ id: UInt64) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (resumeNow, displaced) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
                if case .expired = state.waits[id] { return (true, nil) }
                if state.pending {
                    state.pending = false
                    return (true, nil)
                }
                // One waiter at a time; a second one wakes the first (an early wake-up is harmless, a lost one is not).
                var displaced: CheckedContinuation<Void, Never>?
                if let previous = state.current, case .waiting(let waiter) = state.waits.removeValue(forKey: previous) {
                    displaced = waiter
                }
                state.waits[id] = .waiting(continuation)
                state.current = id
                return (false, displaced)
            }
            displaced?.resume()
            if resumeNow { continuation.resume() }
        }
    }

    /// Ends wait `id` for its timeout, whether it is waiting yet or not.
    private func expire(_ id: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            switch state.waits[id] {
            case .waiting(let waiter):
                state.waits.removeValue(forKey: id)
                if state.current == id { state.current = nil }
                return waiter
            case .expired:
                return nil
            case nil:
                state.waits[id] = .expired
                return nil
            }
        }
        waiter?.resume()
    }
}
