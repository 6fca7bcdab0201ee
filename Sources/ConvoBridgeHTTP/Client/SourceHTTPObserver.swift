/// Told about every attempt a source's HTTP client makes, for metrics.
public protocol SourceHTTPObserver: Sendable {
    /// One attempt ended: with a status, or with none (connect error, timeout, oversized body).
    func attemptFinished(source: String, operation: String, status: Int?, latency: Duration)
}
