import ConvoBridgeCore
import Synchronization

/// Which conversations this replica polls, with replicas coordinated by Kafka: those whose coordination partition
/// it owns. Shared by the coordinator, which sets it, and the pollers, the webhook sink, the admin API and the ids
/// topic, which hand anything else to its owner: through the watch topic, and a webhook's event through the handoff
/// topic.
final class ReplicaOwnership: Sendable {
    let partitioner: CoordinationPartitioner
    let watchTopic: String
    let handoffTopic: String
    private let owned = Mutex<Set<Int32>>([])
    private let write: @Sendable ([OutboundRecord]) async throws -> Void

    /// - Parameter write: publishes watch and handoff records (durably: it returns once Kafka has them).
    init(
        partitioner: CoordinationPartitioner, watchTopic: String, handoffTopic: String,
        write: @escaping @Sendable ([OutboundRecord]) async throws -> Void
    ) {
        self.partitioner = partitioner
        self.watchTopic = watchTopic
        self.handoffTopic = handoffTopic
        self.write = write
    }

    func partition(source: String, conversationID: String) -> Int32 {
        partitioner.partition(source: source, conversationID: conversationID)
    }

    func owns(source: String, conversationID: String) -> Bool {
        let partition = partition(source: source, conversationID: conversationID)
        return owned.withLock { $0.contains(partition) }
    }

    func owns(partition: Int32) -> Bool { owned.withLock { $0.contains(partition) } }

    /// Discovery of a source runs on one replica: the owner of the partition of the source's name.
    func ownsDiscovery(of source: String) -> Bool { owns(partition: partitioner.partition(key: Array(source.utf8))) }

    var ownedPartitions: Set<Int32> { owned.withLock { $0 } }

    func set(_ partition: Int32, owned isOwned: Bool) {
        _ = owned.withLock { isOwned ? $0.insert(partition).inserted : $0.remove(partition) != nil }
    }

    /// Writes watch records for the owners of these conversations to pick up.
    func handOff(_ watches: [WatchRecord]) async throws {
        guard !watches.isEmpty else { return }
        try await write(watches.map { $0.record(topic: watchTopic, partitioner: partitioner) })
    }

    /// Writes a webhook's event for the owner of its conversation to forward.
    func handOff(_ webhook: WebhookHandoffRecord) async throws {
        try await write([webhook.record(topic: handoffTopic, partitioner: partitioner)])
    }
}
