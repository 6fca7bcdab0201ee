/// A token bucket: `rate` requests per second on average, bursts of up to `burst`. Pure: the caller passes the time.
public struct TokenBucket: Sendable, Hashable {
    public private(set) var rate: Double
    public let burst: Double
    private var tokens: Double
    private var refilledAt: Duration

    /// - Parameters:
    ///   - rate: requests per second, more than zero.
    ///   - burst: the most requests that may go out at once, at least one.
    public init(rate: Double, burst: Int, now: Duration = .zero) {
        precondition(rate > 0, "a token bucket needs a positive rate")
        self.rate = rate
        self.burst = Double(max(1, burst))
        self.tokens = self.burst
        self.refilledAt = now
    }

    /// Takes a token if one is there and returns zero; otherwise reserves the next one and returns how long to
    /// wait for it. Reserving keeps waiters in arrival order and the long-run rate exact.
    public mutating func reserve(now: Duration) -> Duration {
        refill(now: now)
        tokens -= 1
        guard tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-tokens / rate * 1e9).rounded(.up)))
    }

    /// Changes the rate from `now` on (tokens earned so far are kept).
    public mutating func setRate(_ rate: Double, now: Duration) {
        guard rate > 0 else { return }
        refill(now: now)
        self.rate = rate
    }

    private mutating func refill(now: Duration) {
        guard now > refilledAt else { return }
        let (wholeSeconds, attoseconds) = (now - refilledAt).components
        let seconds = Double(wholeSeconds) + Double(attoseconds) / 1e18
        tokens = min(burst, tokens + seconds * rate)
        refilledAt = now
    }
}
