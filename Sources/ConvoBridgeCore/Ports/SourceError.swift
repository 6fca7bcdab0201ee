/// Why a request to a platform gave no observation. Descriptions never contain credentials: the HTTP layer
/// redacts what it puts in `detail`.
public enum SourceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 401/403: the credentials were refused. The source's circuit breaker counts these.
    case unauthorized(status: Int, detail: String)
    /// The breaker is open after repeated refusals; the next probe may go out after `retryIn`.
    case circuitOpen(retryIn: Duration)
    /// 429: the platform asks the source to slow down, and not to ask again before `retryAfter` when it said.
    case rateLimited(detail: String, retryAfter: Duration?)
    /// Any other status the adapter cannot use (400, 422, 500, a gateway's 502/503/504…).
    case httpStatus(Int, detail: String)
    /// Connect failure, reset, TLS failure…
    case transport(String)
    /// No complete response (connect, headers and body) within the request's deadline.
    case timeout(Duration)
    /// The body was larger than the configured cap; it was not read further.
    case responseTooLarge(limit: Int)
    /// A 2xx response whose body is not what the platform documents.
    case invalidPayload(PayloadError)

    public var description: String {
        switch self {
        case .unauthorized(let status, let detail): "credentials refused (HTTP \(status)): \(detail)"
        case .circuitOpen(let retryIn): "source paused after repeated credential refusals; next probe in \(retryIn)"
        case .rateLimited(let detail, let retryAfter):
            "rate limited (HTTP 429\(retryAfter.map { ", retry after \($0)" } ?? "")): \(detail)"
        case .httpStatus(let status, let detail): "HTTP \(status): \(detail)"
        case .transport(let detail): "transport error: \(detail)"
        case .timeout(let limit): "no response within \(limit)"
        case .responseTooLarge(let limit): "response larger than \(limit) bytes"
        case .invalidPayload(let error): "unreadable payload: \(error)"
        }
    }

    /// A short, stable label for metrics and counters.
    /// How long the platform asked not to be asked again, when it said.
    public var retryAfter: Duration? {
        if case .rateLimited(_, let retryAfter) = self { return retryAfter }
        return nil
    }

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
