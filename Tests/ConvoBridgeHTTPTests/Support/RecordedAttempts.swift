import ConvoBridgeCore
import ConvoBridgeHTTP
import Synchronization

/// Records each attempt a source client reports, as the bridge's metrics do.
final class RecordedAttempts: SourceHTTPObserver {
    private let statuses = Mutex<[Int?]>([])
    private let refusals = Mutex(0)

    /// Attempts sent.
    var count: Int { statuses.withLock { $0.count } }

    /// Attempts answered with `status`.
    func count(status: Int) -> Int { statuses.withLock { $0.filter { $0 == status }.count } }

    /// Attempts that gave no usable answer: no answer at all, or a status worth retrying.
    var failures: Int { statuses.withLock { $0.filter { $0.map(RetryPolicy.isRetryable(status:)) ?? true }.count } }

    /// Requests refused before sending because the circuit was open.
    var circuitOpenRefusals: Int { refusals.withLock { $0 } }

    func attemptFinished(source: String, operation: String, status: Int?, latency: Duration) {
        statuses.withLock { $0.append(status) }
    }

    func requestRefusedByOpenCircuit(source: String) {
        refusals.withLock { $0 += 1 }
    }
}
