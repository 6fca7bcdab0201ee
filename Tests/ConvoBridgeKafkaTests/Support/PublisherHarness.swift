import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import Logging
import ServiceLifecycle

/// Runs a real publisher inside a real `ServiceGroup` against an embedded cluster.
struct PublisherHarness {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    let cluster: EmbeddedKafkaCluster
    /// What the publishers of `withPublisher` told their observer.
    let observed = RecordedPublisherEvents()

    init(brokers: Int = 1, topics: [String: Int] = ["conversation-events": 6]) throws {
        cluster = try EmbeddedKafkaCluster(brokers: brokers)
        for (topic, partitions) in topics {
            try cluster.createTopic(topic, partitions: partitions, replicationFactor: brokers)
        }
    }

    func configuration(
        properties: [String: String] = [:],
        shutdownDeadline: Duration = .seconds(30)
    ) -> KafkaPublisherConfiguration {
        KafkaPublisherConfiguration(
            bootstrapServers: cluster.bootstrapServers,
            shutdownDeadline: shutdownDeadline,
            properties: properties
        )
    }

    /// Runs `body` with a running publisher, then shuts it down gracefully and waits for `run()` to return.
    func withPublisher<T: Sendable>(
        _ configuration: KafkaPublisherConfiguration? = nil,
        logger: Logger = PublisherHarness.logger,
        _ body: @Sendable (KafkaPublisher, ServiceGroup) async throws -> T
    ) async throws -> T {
        let publisher = try KafkaPublisher(configuration: configuration ?? self.configuration(), logger: logger, observer: observed)
        let group = ServiceGroup(services: [publisher], gracefulShutdownSignals: [], logger: Self.logger)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                let result = try await body(publisher, group)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    func read(topic: String = "conversation-events", count: Int, timeout: Duration = .seconds(30)) async throws -> [ConsumedRecord] {
        let reader = try KafkaTopicReader(bootstrapServers: cluster.bootstrapServers, topic: topic)
        return try await reader.read(count: count, timeout: timeout)
    }

    /// Contract events for `keys` conversations with `perKey` events each, interleaved across keys and in sequence
    /// order within each key, encoded as the bridge would.
    static func events(keys: Int, perKey: Int, encoder: CloudEventEncoder = CloudEventEncoder()) -> [OutboundRecord] {
        var records: [OutboundRecord] = []
        records.reserveCapacity(keys * perKey)
        let base = Timestamp(iso8601: "2026-01-15T10:00:00.000Z")!
        for sequence in 1...perKey {
            for key in 0..<keys {
                let observedAt = base.adding(milliseconds: Int64(sequence * 1000 + key))
                let before = ConversationSnapshot(conversationID: "c-\(key)", platform: .jelou, status: .open, state: "active")
                var after = before
                after.attributes["poll"] = .integer(sequence)
                let event = ConversationEvent(
                    source: "jelou-test",
                    platform: .jelou,
                    conversationID: "c-\(key)",
                    sequence: Int64(sequence),
                    type: .updated,
                    observationID: "obs-\(key)-\(sequence)",
                    observedAt: observedAt,
                    effectiveAt: observedAt,
                    changedFields: ["attributes.poll"],
                    before: before,
                    after: after
                )
                records.append(encoder.eventRecord(event))
            }
        }
        return records
    }

    /// Polls `condition` until it holds, for at most `limit`; the waits are bounded, the condition is the sync.
    static func waitUntil(_ limit: Duration = .seconds(20), _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}
