import ConvoBridgeKafka
import Synchronization

/// Counts what a publisher tells its observer, as the bridge's metrics do.
final class RecordedPublisherEvents: KafkaPublisherObserver {
    struct Counts: Sendable {
        var queueFullWaits = 0
        var fatalErrors = 0
        var replacements = 0
    }

    private let counts = Mutex(Counts())

    var current: Counts { counts.withLock { $0 } }

    func publisherWaitedForQueueSpace() { counts.withLock { $0.queueFullWaits += 1 } }
    func publisherFatalError() { counts.withLock { $0.fatalErrors += 1 } }
    func publisherReplacedProducer() { counts.withLock { $0.replacements += 1 } }
}
