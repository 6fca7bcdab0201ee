import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import Testing

@Suite("Topic reader")
struct KafkaTopicReaderTests {
    @Test("a consumer that stops taking records holds the reader back: the buffer stays bounded, nothing is skipped")
    func backPressure() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 20, perKey: 250)
        _ = try await harness.withPublisher { publisher, _ in try await publisher.publish(records) }
        let reader = try KafkaTopicReader(bootstrapServers: harness.cluster.bootstrapServers, topic: "conversation-events")
        let stream = reader.records(bufferLimit: 100)
        var iterator = stream.makeAsyncIterator()
        var taken = [try await iterator.next()]
        // The consumer is stuck (e.g. the store's disk is full) while the reader could read the whole topic.
        var peak = 0
        for _ in 0..<20 {
            try await Task.sleep(for: .milliseconds(50))
            peak = max(peak, stream.buffered)
        }
        #expect(peak > 0, "the reader read nothing ahead: the test did not exercise the buffer")
        #expect(peak <= 100, "\(peak) records buffered for a consumer that takes none")
        while taken.count < records.count, let record = try await iterator.next() { taken.append(record) }
        #expect(Set(taken.compactMap { $0?.header("ce_id") }).count == records.count, "every record arrives once the consumer goes on")
    }
}
