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

    @Test("A partition read from an offset gives the committed records from there; an offset its log does not have fails when asked")
    func readFromOffset() async throws {
        let broker = try await NoidaBroker.start()
        defer { broker.stop() }
        _ = try await KafkaTopicAdmin.ensure(bootstrapServers: broker.bootstrapServers, topic: "state", partitions: 2, compacted: true)
        #expect(try await KafkaPartitionReader.bounds(bootstrapServers: broker.bootstrapServers, topic: "state", partition: 1) == (0, 0))
        let producer = try KafkaTransactionalProducer(bootstrapServers: broker.bootstrapServers, transactionalID: "convobridge-test-p1")
        try await producer.initialize()
        for value in ["1", "2", "3"] { try await producer.commit([Self.record("state", "s/\(value)", value, partition: 1)]) }
        let all = try await KafkaPartitionReader.readToEnd(bootstrapServers: broker.bootstrapServers, topic: "state", partition: 1)
        #expect(all.map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["1", "2", "3"])
        let bounds = try await KafkaPartitionReader.bounds(bootstrapServers: broker.bootstrapServers, topic: "state", partition: 1)
        #expect(bounds.start == 0 && bounds.end > all[2].offset, "the end is past the last record (and its commit marker)")

        let rest = try await KafkaPartitionReader.readToEnd(
            bootstrapServers: broker.bootstrapServers, topic: "state", partition: 1, from: all[1].offset, exactlyFrom: true)
        #expect(rest.map(\.offset) == [all[1].offset, all[2].offset])
        let atEnd = try await KafkaPartitionReader.readToEnd(
            bootstrapServers: broker.bootstrapServers, topic: "state", partition: 1, from: bounds.end, exactlyFrom: true)
        #expect(atEnd.isEmpty)
        await #expect {
            try await KafkaPartitionReader.readToEnd(
                bootstrapServers: broker.bootstrapServers, topic: "state", partition: 1, from: bounds.end + 100, exactlyFrom: true,
                timeout: .seconds(20))
        } throws: { error in
            (error as? KafkaError)?.code == .offsetOutOfRange
        }
        let fromStart = try await KafkaPartitionReader.readToEnd(
            bootstrapServers: broker.bootstrapServers, topic: "state", partition: 1, from: bounds.end + 100)
        #expect(fromStart.count == 3, "without exactlyFrom, an offset the log does not have reads it from its start")
    }
}
