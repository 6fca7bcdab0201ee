/// Per-key retry delays for records Kafka did not acknowledge: a key that failed waits (doubling up to a cap, with
/// its own count), while every other key goes on. Pure; the caller passes the time.
public struct KeyBackoff<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    public let delays: DoublingDelay
    private var waiting: [[UInt8]: (failures: Int, until: Instant)] = [:]

    public init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(30)) {
        delays = DoublingDelay(initial: initial, maximum: maximum)
    }

    /// Whether `key` must not be published before its delay is over.
    public func isWaiting(_ key: [UInt8], at now: Instant) -> Bool {
        waiting[key].map { now < $0.until } ?? false
    }

    /// Records a failure of `key`; returns how long it now waits.
    @discardableResult
    public mutating func failed(_ key: [UInt8], at now: Instant) -> Duration {
        let failures = (waiting[key]?.failures ?? 0) + 1
        let delay = delays.delay(afterFailures: failures)
        waiting[key] = (failures, now.advanced(by: delay))
        return delay
    }

    /// `key` was acknowledged: it starts over.
    public mutating func succeeded(_ key: [UInt8]) {
        waiting[key] = nil
    }

    /// Keys still counted as failing (their delay may be over; they keep their count until a success).
    public var count: Int { waiting.count }

    /// The earliest time a waiting key may be published again, if any is waiting at `now`.
    public func nextRetry(after now: Instant) -> Instant? {
        waiting.values.lazy.map(\.until).filter { $0 > now }.min()
    }
}
