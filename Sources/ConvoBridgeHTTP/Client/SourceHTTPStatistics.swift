/// What one source's HTTP client has done since start.
public struct SourceHTTPStatistics: Sendable, Hashable {
    /// Attempts sent, retries included.
    public var requests = 0
    public var retries = 0
    /// Requests that failed after every retry.
    public var failures = 0
    public var rateLimitedResponses = 0
    public var authFailures = 0
    public var transportFailures = 0
    /// Requests refused locally because the circuit was open.
    public var circuitOpenRefusals = 0

    public init() {}
}
