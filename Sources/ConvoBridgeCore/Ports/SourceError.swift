/// Why a request to a platform gave no observation. Descriptions never contain credentials: the HTTP layer
/// redacts what it puts in `detail`.
public enum SourceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 401/403: the credentials were refused. The source's circuit breaker counts these.
    case unauthorized(status: Int, detail: String)
    /// The breaker is open after repeated refusals; the next probe may go out after `retryIn`.
    case circuitOpen(retryIn: Duration)
    /// 429 still, after every retry.
    case rateLimited(detail: String)
    /// Any other status the adapter cannot use (400, 422, 500, a 503 after every retry…).
    case httpStatus(Int, detail: String)
    /// Connect failure, reset, TLS failure… after every retry.
    case transport(String)
    /// No complete response within the request timeout, after every retry.
    case timeout(Duration)
    /// The body was larger than the configured cap; it was not read further.
    case responseTooLarge(limit: Int)
    /// A 2xx response whose body is not what the platform documents.
    case invalidPayload(PayloadError)

    public var description: String {
        switch self {
        case .unauthorized(let status, let detail): "credentials refused (HTTP \(status)): \(detail)"
        case .circuitOpen(let retryIn): "source paused after repeated credential refusals; next probe in \(retryIn)"
        case .rateLimited(let detail): "rate limited (HTTP 429) after every retry: \(detail)"
        case .httpStatus(let status, let detail): "HTTP \(status): \(detail)"
        case .transport(let detail): "transport error: \(detail)"
        case .timeout(let limit): "no response within \(limit)"
        case .responseTooLarge(let limit): "response larger than \(limit) bytes"
        case .invalidPayload(let error): "unreadable payload: \(error)"
        }
    }

    /// A short, stable label for metrics and counters.
    public var kind: String {
        switch self {
        case .unauthorized: "unauthorized"
        case .circuitOpen: "circuit_open"
        case .rateLimited: "rate_limited"
        case .httpStatus: "http_status"
        case .transport: "transport"
        case .timeout: "timeout"
        case .responseTooLarge: "response_too_large"
        case .invalidPayload: "invalid_payload"
        }
    }
}
