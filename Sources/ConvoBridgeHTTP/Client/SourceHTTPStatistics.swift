/// What one source's HTTP client has done since start.
public struct SourceHTTPStatistics: Sendable, Hashable {
    /// Attempts sent.
    public var requests = 0
    /// Attempts that gave no usable answer (a retryable status, a timeout, a transport error).
    public var failures = 0
    public var rateLimitedResponses = 0
    public var authFailures = 0
    public var transportFailures = 0
    /// Requests refused locally because the circuit was open.
    public var circuitOpenRefusals = 0

    public init() {}
}
