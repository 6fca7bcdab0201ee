import Crdkafka

/// A consumer group member's metadata (group id, generation, member id) at one moment, for
/// ``KafkaTransactionalProducer/commit(_:offsets:)``: offsets committed with it are refused once the member's
/// generation is no longer the group's, so a member that lost its partitions cannot move their position.
public final class KafkaGroupMetadata: @unchecked Sendable {
    // Immutable after creation and only read by librdkafka: safe to share.
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { rd_kafka_consumer_group_metadata_destroy(handle) }
}
