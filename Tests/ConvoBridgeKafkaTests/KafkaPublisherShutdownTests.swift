import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
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
            // All handed to librdkafka, none delivered yet (the first answer takes 300 ms).
            #expect(try await PublisherHarness.waitUntil { publisher.recordsInFlight == records.count })
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
            #expect(try await PublisherHarness.waitUntil { publisher.recordsInFlight == records.count - 1 })
            await group.triggerGracefulShutdown()
            return try await reports
        }
        #expect(reports.count == records.count - 1)
        #expect(reports.allSatisfy { $0.status != .persisted && $0.error != nil })
    }
}

@Suite("Publisher cancellation")
struct KafkaPublisherCancellationTests {
    @Test("a cancelled publish with the broker down returns at once; nothing is reported persisted")
    func cancelledWhileWaitingForReports() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 5, perKey: 20)
        let (reports, waited) = try await harness.withPublisher { publisher, _ in
            _ = try await publisher.publish(Array(records.prefix(1)))
            try harness.cluster.setBrokerDown(1)
            let publishing = Task { try await publisher.publish(Array(records.dropFirst())) }
            #expect(try await PublisherHarness.waitUntil { publisher.recordsInFlight == records.count - 1 })
            let cancelledAt = ContinuousClock.now
            publishing.cancel()
            let reports = try await publishing.value
            let waited = ContinuousClock.now - cancelledAt
            try harness.cluster.setBrokerUp(1)
            return (reports, waited)
        }
        #expect(reports.count == records.count - 1)
        #expect(reports.allSatisfy { $0.status == .possiblyPersisted && $0.error != nil })
        #expect(waited < .seconds(10), "publish waited \(waited) after cancellation (the message timeout is 15 minutes)")
    }

    @Test("a cancelled publish waiting for queue space returns; what it never enqueued is not persisted")
    func cancelledWhileQueueFull() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 10, perKey: 10)
        let configuration = harness.configuration(properties: ["queue.buffering.max.messages": "10"])
        let reports = try await harness.withPublisher(configuration) { publisher, _ in
            _ = try await publisher.publish(Array(records.prefix(1)))
            try harness.cluster.setBrokerDown(1)
            let publishing = Task { try await publisher.publish(Array(records.dropFirst())) }
            #expect(try await PublisherHarness.waitUntil { harness.observed.current.queueFullWaits > 0 })
            publishing.cancel()
            let reports = try await publishing.value
            try harness.cluster.setBrokerUp(1)
            return reports
        }
        #expect(reports.count == records.count - 1)
        #expect(reports.allSatisfy { $0.status != .persisted })
        #expect(reports.contains { $0.status == .notPersisted && $0.error == "publish cancelled" })
    }
}
