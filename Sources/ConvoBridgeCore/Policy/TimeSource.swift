/// The two readings of time the bridge's policies need, taken from an injected clock so that tests drive time.
///
/// `elapsed` is monotonic time since the source was made (for rate limits, backoff, breakers); `wallClock` is
/// calendar time (for `observed_at` and HTTP-date `Retry-After` values).
public struct TimeSource: Sendable {
    private let readElapsed: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void
    private let readWallClock: @Sendable () -> Timestamp

    public init<C: Clock>(clock: C, wallClock: @escaping @Sendable () -> Timestamp) where C.Duration == Duration {
        let origin = clock.now
        self.readElapsed = { origin.duration(to: clock.now) }
        self.sleeper = { duration in try await clock.sleep(for: duration) }
        self.readWallClock = wallClock
    }

    public var elapsed: Duration { readElapsed() }
    public var wallClock: Timestamp { readWallClock() }

    /// Sleeps on the injected clock; throws `CancellationError` when the task is cancelled.
    public func sleep(for duration: Duration) async throws {
        guard duration > .zero else { return try Task.checkCancellation() }
        try await sleeper(duration)
    }
}
