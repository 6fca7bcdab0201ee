/// When and how long to wait before retrying a request to a platform.
///
/// Exponential backoff with full jitter (a random delay in `0...min(maxDelay, baseDelay × 2^retry)`), so that many
/// pollers failing together do not retry together. A server's `Retry-After` wins over the computed delay, capped
/// at `maxRetryAfter` so that a hostile or broken value cannot park a source for a day.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in total, the first one included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration
    public var maxRetryAfter: Duration

    public init(
        maxAttempts: Int = 4, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30),
        maxRetryAfter: Duration = .seconds(300)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Statuses worth another attempt: rate limited, or a gateway or server that may recover.
    public static let retryableStatuses: Set<Int> = [429, 502, 503, 504]

    /// Whether a response status is worth another attempt. 4xx other than 429 never is: the request itself is wrong.
    public static func isRetryable(status: Int) -> Bool { retryableStatuses.contains(status) }

    /// The delay before retry number `retry` (1 for the first retry), or nil when the attempts are used up.
    public func delay(beforeRetry retry: Int, retryAfter: Duration?, using generator: inout some RandomNumberGenerator) -> Duration? {
        guard retry >= 1, retry < maxAttempts else { return nil }
        if let retryAfter { return min(max(retryAfter, .zero), maxRetryAfter) }
        let ceiling = backoffCeiling(beforeRetry: retry)
        let ceilingMilliseconds = ceiling.wholeMilliseconds
        guard ceilingMilliseconds > 0 else { return .zero }
        return .milliseconds(Int64.random(in: 0...ceilingMilliseconds, using: &generator))
    }

    /// The upper bound of the jittered delay before retry number `retry`.
    public func backoffCeiling(beforeRetry retry: Int) -> Duration {
        let exponent = min(max(retry - 1, 0), 30)
        let grown = baseDelay * (1 << exponent)
        return min(grown, maxDelay)
    }
}
