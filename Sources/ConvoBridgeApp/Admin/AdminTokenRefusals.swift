import Synchronization

/// Admin requests refused for their token: each answered after ``delay`` (a guesser gets one try per second per
/// connection, and connections are capped), logged at most once per ``logInterval`` with how many there were.
final class AdminTokenRefusals: Sendable {
    static let delay: Duration = .seconds(1)
    static let logInterval: Duration = .seconds(10)
    private let state = Mutex<(count: Int, loggedAt: ContinuousClock.Instant?)>((0, nil))

    /// Counts one refusal; returns how many to report when a log line is due, else nil.
    func shouldLog(now: ContinuousClock.Instant) -> Int? {
        state.withLock { state in
            state.count += 1
            if let last = state.loggedAt, now - last < Self.logInterval { return nil }
            defer { state = (0, now) }
            return state.count
        }
    }
}
