import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeTestSupport
import Testing

/// On a real broker (noida-db): librdkafka's mock cluster writes no transaction markers and fences nobody.
@Suite("Transactions on a real broker: fencing a zombie, read_committed restore, the coordination topics")
struct KafkaTransactionsTests {
    static func record(_ topic: String, _ key: String, _ value: String, partition: Int32) -> OutboundRecord {
        OutboundRecord(topic: topic, key: Array(key.utf8), value: Array(value.utf8), partition: partition)
    }

    @Test("A topic is created once with its partition count, compacted; asking again finds it")
    func topicAdmin() async throws {
        let broker = try await NoidaBroker.start()
        defer { broker.stop() }
        let first = try await KafkaTopicAdmin.ensure(bootstrapServers: broker.bootstrapServers, topic: "watch", partitions: 6, compacted: true)
        #expect(first == .init(partitions: 6, created: true))
        let again = try await KafkaTopicAdmin.ensure(bootstrapServers: broker.bootstrapServers, topic: "watch", partitions: 12, compacted: true)
        #expect(again == .init(partitions: 6, created: false), "an existing topic keeps its count; the caller compares")
    }

    @Test("A second producer with the same transactional.id fences the first: its commit fails and nothing of it is read")
    func zombieIsFenced() async throws {
        let broker = try await NoidaBroker.start()
        defer { broker.stop() }
        _ = try await KafkaTopicAdmin.ensure(bootstrapServers: broker.bootstrapServers, topic: "state", partitions: 3, compacted: true)
        let zombie = try KafkaTransactionalProducer(bootstrapServers: broker.bootstrapServers, transactionalID: "convobridge-test-p1")
        try await zombie.initialize()
        try await zombie.commit([Self.record("state", "s/a", "1", partition: 1), Self.record("state", "s/b", "1", partition: 1)])

        let owner = try KafkaTransactionalProducer(bootstrapServers: broker.bootstrapServers, transactionalID: "convobridge-test-p1")
        try await owner.initialize()
        await #expect {
            try await zombie.commit([Self.record("state", "s/a", "zombie", partition: 1)])
        } throws: { error in
            (error as? KafkaError)?.code == .fenced
        }
        #expect(zombie.isFailed)
        try await owner.commit([Self.record("state", "s/a", "2", partition: 1)])

        let restored = try await KafkaPartitionReader.readToEnd(bootstrapServers: broker.bootstrapServers, topic: "state", partition: 1)
        #expect(restored.map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["1", "1", "2"])
        #expect(restored.allSatisfy { $0.partition == 1 })
        let other = try await KafkaPartitionReader.readToEnd(bootstrapServers: broker.bootstrapServers, topic: "state", partition: 0)
        #expect(other.isEmpty)
    }
}
