public import ConvoBridgeCore

/// How politely one source talks to its platform: rate, concurrency, timeouts, retries, and when to stop trying
/// refused credentials. Every source has its own, so one slow or locked-out platform does not hold up another.
public struct SourceHTTPPolicy: Sendable, Hashable {
    /// Average requests per second (token bucket rate).
    public var requestsPerSecond: Double
    /// Requests that may go out back to back after a quiet period (token bucket size).
    public var burst: Int
    /// Requests of this source in flight at once.
    public var maxConcurrentRequests: Int
    /// One deadline for one attempt, from connect to the last body byte.
    public var requestTimeout: Duration
    /// Bodies larger than this are refused unread past the limit.
    public var maxResponseBytes: Int
    /// How failed attempts are retried (by the caller's schedule) and the cap on a `Retry-After`.
    public var retry: RetryPolicy
    /// The fraction of `requestsPerSecond` the source keeps while a 429 slows it.
    public var rateLimitedFactor: Double
    /// Consecutive 401/403 answers that open the circuit.
    public var authFailureThreshold: Int
    /// While the circuit is open, one probe request per interval.
    public var authProbeInterval: Duration

    public init(
        requestsPerSecond: Double = 5,
        burst: Int = 10,
        maxConcurrentRequests: Int = 4,
        requestTimeout: Duration = .seconds(15),
        maxResponseBytes: Int = 4 * 1024 * 1024,
        retry: RetryPolicy = RetryPolicy(),
        rateLimitedFactor: Double = 0.5,
        authFailureThreshold: Int = 3,
        authProbeInterval: Duration = .seconds(60)
    ) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.maxConcurrentRequests = maxConcurrentRequests
        self.requestTimeout = requestTimeout
        self.maxResponseBytes = maxResponseBytes
        self.retry = retry
        self.rateLimitedFactor = rateLimitedFactor
        self.authFailureThreshold = authFailureThreshold
        self.authProbeInterval = authProbeInterval
    }
}
