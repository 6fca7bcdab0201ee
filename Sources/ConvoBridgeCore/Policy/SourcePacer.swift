/// How fast one source may send: a token bucket at the configured rate, slowed for the whole source while the
/// platform says it is too fast (a 429, with or without `Retry-After`). Pure: the caller passes monotonic time.
///
/// The platform's quota is per credential, so a 429 on one conversation slows every request of the source: for
/// the `Retry-After` it gave (or the backoff of consecutive 429s when it gave none, as Jelou documents its 429),
/// the bucket runs at `slowedFactor` of its rate. The cut does not compound: answers to requests already in
/// flight extend the window but do not halve the rate again, as TCP cuts its window once per round trip. The
/// conversation that got the 429 is itself not retried before its `Retry-After` (the scheduler's business).
public struct SourcePacer: Sendable, Hashable {
    public let rate: Double
    public let burst: Int
    /// The fraction of `rate` while slowed, in (0, 1].
    public let slowedFactor: Double
    private var bucket: TokenBucket
    private var slowedUntil: Duration?
    private var consecutiveRateLimits = 0

    public init(rate: Double, burst: Int, slowedFactor: Double = 0.5, now: Duration = .zero) {
        self.rate = rate
        self.burst = burst
        self.slowedFactor = min(max(slowedFactor, 0.01), 1)
        self.bucket = TokenBucket(rate: rate, burst: burst, now: now)
    }

    /// Whether the source is slowed at `now`.
    public func isSlowed(now: Duration) -> Bool { slowedUntil.map { now < $0 } ?? false }

    /// The rate in force at `now`.
    public func currentRate(now: Duration) -> Double { isSlowed(now: now) ? rate * slowedFactor : rate }

    /// Takes the next request's token; returns how long to wait for it.
    public mutating func reserve(now: Duration) -> Duration {
        if let until = slowedUntil, now >= until {
            slowedUntil = nil
            bucket.setRate(rate, now: now)
        }
        return bucket.reserve(now: now)
    }

    /// The platform answered 429 (`retryAfter` when it said how long). Returns how long the source is slowed.
    @discardableResult
    public mutating func rateLimited(retryAfter: Duration?, backoff: RetryPolicy, now: Duration) -> Duration {
        consecutiveRateLimits += 1
        let window = min(
            max(retryAfter ?? backoff.backoffCeiling(beforeRetry: consecutiveRateLimits), .milliseconds(100)),
            backoff.maxRetryAfter)
        let until = now + window
        if !isSlowed(now: now) { bucket.setRate(rate * slowedFactor, now: now) }
        slowedUntil = max(slowedUntil ?? until, until)
        return window
    }

    /// An answer that was not a 429: the platform accepted the pace.
    public mutating func accepted() {
        consecutiveRateLimits = 0
    }
}
