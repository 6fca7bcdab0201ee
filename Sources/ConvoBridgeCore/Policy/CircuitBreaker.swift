/// Stops a source from hammering a platform that keeps refusing its credentials (401/403).
///
/// Closed: requests go out. After `failureThreshold` consecutive refusals it opens: requests are refused locally
/// and the source is reported unhealthy, except one probe every `probeInterval`. A probe that is not refused
/// closes the breaker. Pure: the caller passes the time.
public struct CircuitBreaker: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        case closed
        /// Open since `since`; the next probe may go out at `nextProbeAt`.
        case open(since: Duration, nextProbeAt: Duration)
    }

    public let failureThreshold: Int
    public let probeInterval: Duration
    public private(set) var state: State = .closed
    public private(set) var consecutiveFailures = 0

    public init(failureThreshold: Int = 3, probeInterval: Duration = .seconds(60)) {
        self.failureThreshold = max(1, failureThreshold)
        self.probeInterval = probeInterval
    }

    public var isOpen: Bool { if case .open = state { true } else { false } }

    /// Whether a request may go out now. While open, the first caller after `nextProbeAt` gets through as the
    /// probe, and the next probe moves one interval on.
    public mutating func admit(now: Duration) -> Bool {
        guard case .open(let since, let nextProbeAt) = state else { return true }
        guard now >= nextProbeAt else { return false }
        state = .open(since: since, nextProbeAt: now + probeInterval)
        return true
    }

    /// When a request refused now could next be tried; nil while closed.
    public var nextProbeAt: Duration? {
        if case .open(_, let next) = state { return next }
        return nil
    }

    public mutating func recordAuthenticationFailure(now: Duration) {
        consecutiveFailures += 1
        if case .open = state { return }
        if consecutiveFailures >= failureThreshold {
            state = .open(since: now, nextProbeAt: now + probeInterval)
        }
    }

    /// Any answer that is not a credentials refusal proves the credentials work.
    public mutating func recordAccepted() {
        consecutiveFailures = 0
        state = .closed
    }
}
