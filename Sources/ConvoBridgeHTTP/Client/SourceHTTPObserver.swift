/// Told about every attempt a source's HTTP client makes, for metrics: the client counts nothing itself.
public protocol SourceHTTPObserver: Sendable {
    /// One attempt ended: with a status, or with none (connect error, timeout, oversized body).
    func attemptFinished(source: String, operation: String, status: Int?, latency: Duration)
    /// A request was refused before it was sent, because repeated credential refusals opened the circuit.
    func requestRefusedByOpenCircuit(source: String)
}
