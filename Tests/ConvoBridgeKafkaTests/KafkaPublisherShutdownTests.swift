import ConvoBridgeCore
import ConvoBridgeKafka
import ServiceLifecycle
import Testing

@Suite("Publisher graceful shutdown")
struct KafkaPublisherShutdownTests {
    @Test("shutdown with records in flight: every record reported, every acknowledged one is in Kafka")
    func shutdownWhileInFlight() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 40, perKey: 50)
        // A slow broker keeps records in flight while shutdown starts.
        try harness.cluster.setRoundTripTime(broker: 1, milliseconds: 300)
        let reports = try await harness.withPublisher { publisher, group in
            async let reports = publisher.publish(records)
            #expect(try await PublisherHarness.waitUntil { publisher.statistics.enqueued == UInt64(records.count) })
            #expect(publisher.statistics.persisted < UInt64(records.count), "everything was delivered before shutdown")
            await group.triggerGracefulShutdown()
            let result = try await reports
            await #expect(throws: KafkaError.self) { try await publisher.publish(Array(records.prefix(1))) }
            return result
        }
        #expect(reports.count == records.count)
        #expect(reports.allSatisfy { $0.status == .persisted }, "the deadline was long enough to deliver everything")
        let consumed = try await harness.read(count: records.count)
        DeliveryCheck.exactlyOnceInOrder(published: records, consumed: consumed)
    }

    @Test("shutdown deadline with the broker down: publish returns, nothing is reported persisted")
    func shutdownDeadlineWithBrokerDown() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 5, perKey: 20)
        let configuration = harness.configuration(shutdownDeadline: .milliseconds(500))
        let reports = try await harness.withPublisher(configuration) { publisher, group in
            _ = try await publisher.publish(Array(records.prefix(1)))
            try harness.cluster.setBrokerDown(1)
            async let reports = publisher.publish(Array(records.dropFirst()))
            #expect(try await PublisherHarness.waitUntil { publisher.statistics.enqueued == UInt64(records.count) })
            await group.triggerGracefulShutdown()
            return try await reports
        }
        #expect(reports.count == records.count - 1)
        #expect(reports.allSatisfy { $0.status != .persisted && $0.error != nil })
    }
}
