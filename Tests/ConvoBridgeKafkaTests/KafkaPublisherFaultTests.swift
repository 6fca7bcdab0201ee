import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import Testing

@Suite("Publisher under broker faults")
struct KafkaPublisherFaultTests {
    @Test("a broker down for a few seconds: every event delivered exactly once, in order")
    func brokerDown() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 20, perKey: 50)
        // Let the producer learn the cluster first, so the outage hits an established connection.
        let reports = try await harness.withPublisher { publisher, _ in
            _ = try await publisher.publish(Array(records.prefix(20)))
            try harness.cluster.setBrokerDown(1)
            async let pending = publisher.publish(Array(records.dropFirst(20)))
            #expect(try await PublisherHarness.waitUntil { publisher.recordsInFlight == records.count - 20 })
            // The outage itself: nothing can be delivered while the broker is down.
            try await Task.sleep(for: .seconds(3))
            #expect(publisher.recordsInFlight == records.count - 20)
            try harness.cluster.setBrokerUp(1)
            return try await pending
        }
        #expect(reports.allSatisfy { $0.status == .persisted })
        DeliveryCheck.exactlyOnceInOrder(published: records, consumed: try await harness.read(count: records.count))
    }

    /// A dropped connection can lose a produce response after the broker appended the batch; the idempotent
    /// producer's retry is then usually recognized, but not always (librdkafka issue 4953, seen here once in about
    /// ten CI runs). The contract allows that: a duplicate is identical, `ce_id` included, and comes after its original.
    @Test("injected produce errors (NOT_LEADER, timeouts) and a dropped connection: every record, in order, duplicates identical")
    func injectedProduceErrors() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 30, perKey: 40)
        harness.cluster.pushRequestErrors(
            .produce,
            [.notLeaderForPartition, .requestTimedOut, .notLeaderForPartition, .notEnoughReplicas, .requestTimedOut]
        )
        let reports = try await harness.withPublisher { publisher, _ in
            async let reports = publisher.publish(records)
            // A transport failure: the broker drops every connection mid-stream and takes new ones again.
            #expect(try await PublisherHarness.waitUntil { publisher.recordsInFlight > 0 })
            try harness.cluster.setBrokerDown(1)
            try harness.cluster.setBrokerUp(1)
            return try await reports
        }
        let failures = reports.filter { $0.status != .persisted }
        #expect(failures.isEmpty, "\(failures.count) not persisted, e.g. \(failures.first.map(String.init(describing:)) ?? "")")
        // Read past the count, so that duplicates, if any, are read too.
        let consumed = try await harness.read(count: records.count + 400, timeout: .seconds(6))
        DeliveryCheck.exactlyOnceInOrder(published: records, consumed: DeliveryCheck.firstCopies(consumed))
    }

    @Test("a batch failing for good (NETWORK_EXCEPTION): nothing after it persisted; republishing restores order")
    func permanentBatchFailureLeavesNoGap() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 30, perKey: 40)
        harness.cluster.pushRequestErrors(.produce, [.notLeaderForPartition, .networkException])
        let (first, retried, retryReports) = try await harness.withPublisher { publisher, _ in
            let first = try await publisher.publish(records)
            // What the outbox relay does: publish again from each key's first unacknowledged record on.
            var failedKeys = Set<[UInt8]>()
            var retry: [OutboundRecord] = []
            for (record, report) in zip(records, first) {
                if report.status != .persisted || failedKeys.contains(record.key!) {
                    failedKeys.insert(record.key!)
                    retry.append(record)
                }
            }
            return (first, retry, try await publisher.publish(retry))
        }
        #expect(first.contains { $0.status != .persisted }, "the injected error did not fail any batch")
        // The gapless guarantee: per key, no record is persisted after one that failed.
        var failed = Set<[UInt8]>()
        for (record, report) in zip(records, first) {
            if report.status != .persisted { failed.insert(record.key!) }
            #expect(!(failed.contains(record.key!) && report.status == .persisted), "a gap: persisted after a failure")
        }
        #expect(retryReports.allSatisfy { $0.status == .persisted })
        // Possibly-persisted records may now be in Kafka twice: identical, and the first copies are in order.
        let consumed = try await harness.read(count: records.count + retried.count, timeout: .seconds(10))
        DeliveryCheck.exactlyOnceInOrder(published: records, consumed: DeliveryCheck.firstCopies(consumed))
    }

    @Test("a fatal producer error: reported, producer recreated, every record reported once, later ones delivered")
    func fatalErrorRecreatesProducer() async throws {
        let harness = try PublisherHarness()
        let records = PublisherHarness.events(keys: 10, perKey: 20)
        let (first, second) = try await harness.withPublisher { publisher, _ in
            let first = try await publisher.publish(Array(records.prefix(100)))
            publisher.injectFatalErrorForTesting()
            #expect(try await PublisherHarness.waitUntil { harness.observed.current.fatalErrors == 1 })
            let second = try await publisher.publish(Array(records.dropFirst(100)))
            return (first, second)
        }
        #expect(first.count == 100 && first.allSatisfy { $0.status == .persisted })
        #expect(second.count == 100 && second.allSatisfy { $0.status == .persisted })
        #expect(harness.observed.current.fatalErrors == 1)
        #expect(harness.observed.current.replacements == 1)
        DeliveryCheck.exactlyOnceInOrder(published: records, consumed: try await harness.read(count: records.count))
    }
}
