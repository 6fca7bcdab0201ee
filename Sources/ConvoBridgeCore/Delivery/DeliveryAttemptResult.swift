/// What one POST to a subscriber came to.
public enum DeliveryAttemptResult: Sendable, Hashable, CustomStringConvertible {
    /// A 2xx.
    case delivered(status: Int)
    /// Any other status; `retryAfter` from the answer's `Retry-After`, when it has a valid one.
    case rejected(status: Int, retryAfter: Duration?)
    /// 410 Gone: the receiver asks not to be sent anything more, which disables the subscription.
    case gone
    /// No complete answer in time.
    case timedOut
    /// No answer at all: connection refused or reset, TLS failure, DNS failure, an address the subscription may not
    /// reach. `reason` names it without the URL's query.
    case failed(reason: String)

    public var description: String {
        switch self {
        case .delivered(let status): "delivered (\(status))"
        case .rejected(let status, _): "HTTP \(status)"
        case .gone: "HTTP 410 Gone"
        case .timedOut: "timed out"
        case .failed(let reason): reason
        }
    }

    /// The status label metrics count a failed attempt under: the status code, `timeout`, or `error`.
    public var statusLabel: String {
        switch self {
        case .delivered(let status), .rejected(let status, _): String(status)
        case .gone: "410"
        case .timedOut: "timeout"
        case .failed: "error"
        }
    }
}
