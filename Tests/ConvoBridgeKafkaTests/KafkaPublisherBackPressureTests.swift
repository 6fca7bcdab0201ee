import ConvoBridgeCore
import ConvoBridgeKafka
import Testing

@Suite("Publisher back-pressure")
struct KafkaPublisherBackPressureTests {
    @Test("a tiny librdkafka queue makes publish wait, never drop")
    func tinyQueue() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 50, perKey: 100)
        let configuration = harness.configuration(properties: ["queue.buffering.max.messages": "10"])
        let reports = try await harness.withPublisher(configuration) { publisher, _ in
            // Two concurrent callers compete for the ten slots.
            async let first = publisher.publish(Array(records.prefix(2500)))
            async let second = publisher.publish(Array(records.dropFirst(2500)))
            return try await first + second
        }
        #expect(reports.count == records.count)
        #expect(reports.allSatisfy { $0.status == .persisted })
        #expect(harness.observed.current.queueFullWaits > 0, "the queue never filled: the test did not exercise back-pressure")
        let consumed = try await harness.read(count: records.count)
        #expect(consumed.count == records.count)
        #expect(Set(consumed.compactMap { $0.header("ce_id") }).count == records.count)
    }
}
