import Synchronization

/// Whether this process ran recently: renewed every second by the coordinator. A process that was frozen
/// (SIGSTOP, a long pause) finds it stale on waking and commits nothing until the coordinator has looked at the group
/// again. The broker's fencing is what guarantees a zombie cannot publish; this only closes the window on a broker that
/// does not fence (librdkafka's mock cluster) and saves a doomed transaction on one that does.
final class ReplicaLease: Sendable {
    let validFor: Duration
    private let renewed = Mutex<ContinuousClock.Instant>(.now)

    init(validFor: Duration) {
        self.validFor = validFor
    }

    func renew() { renewed.withLock { $0 = .now } }

    var isValid: Bool { ContinuousClock.now - renewed.withLock { $0 } < validFor }
}
