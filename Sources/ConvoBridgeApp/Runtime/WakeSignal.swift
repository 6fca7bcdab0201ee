import Synchronization

/// Wakes a loop early (new outbox rows, a webhook asking for a poll) without losing a signal sent while it was busy.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns when signalled (or at once if a signal came since the last wait), or after `timeout` on `clock`.
    func wait(timeout: Duration, clock: some Clock<Duration>) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let (resumeNow, displaced) = self.state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
                        if state.pending {
                            state.pending = false
                            return (true, nil)
                        }
                        // One waiter at a time; a second one wakes the first (an early wake-up is harmless, a lost one is not).
                        defer { state.waiter = continuation }
                        return (false, state.waiter)
                    }
                    displaced?.resume()
                    if resumeNow { continuation.resume() }
                }
            }
            group.addTask {
                try? await clock.sleep(for: timeout)
                // Also when cancelled: the waiting child cannot be cancelled, so it must be resumed for the group to
                // end. A signal left pending only makes the next wait return at once, which is harmless.
                self.signal()
            }
            await group.next()
            group.cancelAll()
        }
        state.withLock { $0.pending = false }
    }
}
