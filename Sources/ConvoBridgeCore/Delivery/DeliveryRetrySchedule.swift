/// When a failed delivery is tried again: after the first attempt fails, `delays[0]`; after the second,
/// `delays[1]`; after the last, the event is dead-lettered. A `Retry-After` the receiver sends pushes the next
/// attempt later, never earlier, and at most `maxRetryAfter` away.
public struct DeliveryRetrySchedule: Sendable, Hashable {
    public var delays: [Duration]
    public var maxRetryAfter: Duration

    /// Svix's schedule: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h later (8 attempts, ~27.6 h).
    public static let svix = DeliveryRetrySchedule(
        delays: [.seconds(5), .seconds(300), .seconds(1800), .seconds(7200), .seconds(18_000), .seconds(36_000), .seconds(36_000)])

    public init(delays: [Duration], maxRetryAfter: Duration = .seconds(36_000)) {
        self.delays = delays
        self.maxRetryAfter = maxRetryAfter
    }

    /// Attempts in all, the first included.
    public var attempts: Int { delays.count + 1 }

    /// The wait before the next attempt after `failedAttempts` attempts failed, or nil when none is left.
    public func delay(afterFailedAttempts failedAttempts: Int, retryAfter: Duration? = nil) -> Duration? {
        guard failedAttempts >= 1, failedAttempts <= delays.count else { return nil }
        let scheduled = delays[failedAttempts - 1]
        guard let retryAfter else { return scheduled }
        return max(scheduled, min(retryAfter, maxRetryAfter))
    }
}
