import ConvoBridgeCore
import ConvoBridgeKafka
import Testing

@Suite("Publisher round trip through the embedded cluster")
struct KafkaPublisherRoundTripTests {
    @Test("10,000 events across 100 keys come back exact, in order per key, with contiguous sequences")
    func tenThousandEvents() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 100, perKey: 100)
        let reports = try await harness.withPublisher { publisher, _ in
            var reports: [DeliveryReport] = []
            // Several ordered batches, as the outbox relay sends them.
            for start in stride(from: 0, to: records.count, by: 2500) {
                reports += try await publisher.publish(Array(records[start..<min(start + 2500, records.count)]))
            }
            return reports
        }
        #expect(reports.count == records.count)
        #expect(reports.allSatisfy { $0.status == .persisted && $0.offset != nil && $0.partition != nil })
        let consumed = try await harness.read(count: records.count)
        DeliveryCheck.exactlyOnceInOrder(published: records, consumed: consumed)
        // The reported offsets are where the records really are.
        let located = Set(consumed.map { "\($0.partition)/\($0.offset)" })
        #expect(Set(reports.map { "\($0.partition!)/\($0.offset!)" }) == located)
    }

    @Test("binary mode carries the contract's headers and the data alone as the value")
    func binaryModeHeaders() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 1, perKey: 1)
        _ = try await harness.withPublisher { publisher, _ in try await publisher.publish(records) }
        let record = try #require(try await harness.read(count: 1).first)
        #expect(record.keyString == "jelou-test/c-0")
        #expect(
            record.headers.map(\.name) == [
                "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_dataschema", "ce_subject", "ce_time", "ce_sequence",
                "ce_partitionkey", "content-type",
            ])
        #expect(record.timestamp != nil && record.timestamp == records[0].timestamp, "the record time is the event's observation time")
        #expect(record.header("ce_id") == "jelou-test/c-0/1")
        #expect(record.header("ce_source") == "/sources/jelou-test")
        #expect(record.header("ce_type") == "conversation.updated")
        #expect(record.header("ce_time") == "2026-01-15T10:00:01.000Z")
        #expect(record.header("content-type") == "application/json")
        let data = try JSONParser.parse(try #require(record.value))
        #expect(data["conversation_id"] == .string("c-0"))
        #expect(data["sequence"] == .number("1"))
    }

    @Test("a record librdkafka refuses (too large) is reported refused; its key's later records are not sent, other keys are")
    func refusedRecord() async throws {
        let harness = try PublisherHarness()
        var oversized = PublisherHarness.events(keys: 1, perKey: 3)
        oversized[1].value = [UInt8](repeating: 0x20, count: 20_000)
        let records = oversized + PublisherHarness.events(keys: 2, perKey: 1).suffix(1)
        #expect(records[3].key != records[0].key)
        let configuration = harness.configuration(properties: ["message.max.bytes": "10000"])
        let (reports, inFlight) = try await harness.withPublisher(configuration) { publisher, _ in
            (try await publisher.publish(records), publisher.recordsInFlight)
        }
        #expect(
            reports.map(\.status) == [.persisted, .refused, .notPersisted, .persisted],
            "the third would land in its partition before the second: held back")
        #expect(reports[1].error?.isEmpty == false && reports[2].error?.contains("earlier record") == true)
        #expect(inFlight == 0)
    }

    @Test("tombstones and empty values stay distinct")
    func tombstoneAndEmptyValue() async throws {
        let harness = try PublisherHarness(topics: ["conversation-state": 1])
        let records = [
            OutboundRecord(topic: "conversation-state", key: Array("s/a".utf8), value: nil),
            OutboundRecord(topic: "conversation-state", key: Array("s/b".utf8), value: []),
        ]
        let reports = try await harness.withPublisher { publisher, _ in try await publisher.publish(records) }
        #expect(reports.map(\.status) == [.persisted, .persisted])
        let consumed = try await harness.read(topic: "conversation-state", count: 2)
        #expect(consumed.map(\.value) == [nil, []])
    }
}
