import ConvoBridgeKafka
import ConvoBridgeStore
import ServiceLifecycle
import Synchronization

/// What the readiness probe needs from the store and Kafka, checked in the background every `interval`: `/readyz`
/// answers from memory, so a flood of probes with Kafka down costs no thread and no wait each.
final class ReadinessCache: Service, Sendable {
    struct Checks: Sendable, Hashable {
        var storeReadable: Bool
        var kafkaConnected: Bool
        /// False until the first check has finished.
        var checked: Bool
    }

    /// nil for `convobridge deliver`, which has no store.
    private let store: BridgeStore?
    private let publisher: KafkaPublisher
    private let interval: Duration
    private let state = Mutex(Checks(storeReadable: false, kafkaConnected: false, checked: false))

    init(store: BridgeStore?, publisher: KafkaPublisher, interval: Duration = .seconds(2)) {
        self.store = store
        self.publisher = publisher
        self.interval = interval
    }

    var checks: Checks { state.withLock { $0 } }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let storeReadable = await store?.isReadable() ?? true
            // One probe at a time, bounded by the interval: librdkafka's metadata call blocks a thread of its own.
            let kafkaConnected = await publisher.isConnected(timeout: interval)
            state.withLock { $0 = Checks(storeReadable: storeReadable, kafkaConnected: kafkaConnected, checked: true) }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }
}
