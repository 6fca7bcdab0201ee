import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import ConvoBridgeSigning
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import ConvoBridgeApp

@Suite("Outbound webhooks end to end: Kafka → deliverer → a signature-checking receiver on loopback", .serialized, .timeLimit(.minutes(3)))
struct WebhookDeliveryTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    static let base = Timestamp(iso8601: "2026-01-15T10:00:00.000Z")!

    /// `perConversation` events (sequences `from`…) of each of `conversations` conversations, interleaved.
    static func events(conversations: Int, perConversation: Int, from first: Int = 1) -> [OutboundRecord] {
        let encoder = CloudEventEncoder()
        var records: [OutboundRecord] = []
        for sequence in first..<(first + perConversation) {
            for index in 0..<conversations {
                let at = base.adding(milliseconds: Int64(sequence * 1000 + index))
                let snapshot = ConversationSnapshot(conversationID: "c-\(index)", platform: .jelou, status: .open, state: "active")
                records.append(
                    encoder.eventRecord(
                        ConversationEvent(
                            source: "jelou-test", platform: .jelou, conversationID: "c-\(index)", sequence: Int64(sequence), type: .updated,
                            observationID: "o-\(index)-\(sequence)", observedAt: at, effectiveAt: at, changedFields: ["priority"],
                            before: snapshot, after: snapshot)))
            }
        }
        return records
    }

    static func subscription(port: Int, allowPrivateNetwork: Bool = true) throws -> BridgeConfiguration.Delivery.Subscription {
        .init(
            name: "crm", url: "http://127.0.0.1:\(port)/hook", signer: try StandardWebhookSigner(secrets: [secret]), secrets: [secret],
            headers: [("X-Tenant", "t1")], timeout: .seconds(10), concurrency: 8, allowPrivateNetwork: allowPrivateNetwork)
    }

    static func settings(_ subscription: BridgeConfiguration.Delivery.Subscription, delays: [Duration]) -> BridgeConfiguration.Delivery {
        .init(subscriptions: [subscription], schedule: DeliveryRetrySchedule(delays: delays), commitInterval: .milliseconds(100))
    }

    /// Runs a publisher and a deliverer in a service group around `body`, then shuts them down gracefully.
    static func withDeliverer(
        _ settings: BridgeConfiguration.Delivery, cluster: EmbeddedKafkaCluster, metrics: BridgeMetrics = BridgeMetrics(),
        _ body: @Sendable (KafkaPublisher, WebhookDeliverer) async throws -> Void
    ) async throws {
        let publisher = try KafkaPublisher(configuration: .init(bootstrapServers: cluster.bootstrapServers), logger: logger)
        // The mock cluster keeps a member that left until its session times out: a short one keeps restarts quick.
        let deliverer = try WebhookDeliverer(
            settings: settings, bootstrapServers: cluster.bootstrapServers,
            kafkaProperties: ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"], eventsTopic: "conversation-events",
            publisher: publisher, metrics: metrics, logger: logger)
        let group = ServiceGroup(services: [publisher, deliverer], gracefulShutdownSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body(publisher, deliverer)
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    static func publish(_ records: [OutboundRecord], _ publisher: KafkaPublisher) async throws {
        let reports = try await publisher.publish(records)
        #expect(reports.allSatisfy { $0.status == .persisted })
    }

    static func waitUntil(_ what: String, _ limit: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    struct TimedOut: Error { var what: String }

    @Test(
        "200 events, 40 conversations, failures and 429s: delivered once each in order, signed; a conversation that always fails is dead-lettered and the rest go on; offsets committed; a restart sends only new events"
    )
    func deliversInOrderWithRetriesAndDeadLetters() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("conversation-events", partitions: 4)
        try cluster.createTopic("conversation-events-dlq", partitions: 1)
        let broken = "jelou-test/c-3"
        // A third of the events fail their first attempt (500), a fifth their second too (429, Retry-After: 0).
        let receiver = try RecordingWebhookReceiver(secret: Self.secret) { attempt, conversation, sequence in
            if conversation == broken { return .init(status: 500) }
            let number = Int(conversation.split(separator: "-").last ?? "0") ?? 0
            if attempt == 1, (number + sequence) % 3 == 0 { return .init(status: 500) }
            if attempt <= 2, (number + sequence) % 5 == 0 { return .init(status: 429, headers: ["Retry-After": "0"]) }
            return .init(status: sequence % 2 == 0 ? 200 : 204)
        }
        let metrics = BridgeMetrics()
        try await receiver.serving { receiver in
            let settings = Self.settings(try Self.subscription(port: receiver.port!), delays: [.milliseconds(20), .milliseconds(40)])
            try await Self.withDeliverer(settings, cluster: cluster, metrics: metrics) { publisher, _ in
                try await Self.publish(Self.events(conversations: 40, perConversation: 5), publisher)
                try await Self.waitUntil("every event delivered or dead-lettered") {
                    let delivered = receiver.deliveredSequences
                    let snapshot = metrics.snapshot()
                    return delivered.count == 39 && delivered.values.allSatisfy { $0 == [1, 2, 3, 4, 5] }
                        && snapshot.value("convobridge_webhook_dead_lettered_total", ["subscription": "crm"]) == 5
                }
            }
            let requests = receiver.received
            #expect(requests.allSatisfy { $0.signatureValid }, "every request carries a valid Standard Webhooks signature")
            #expect(requests.allSatisfy { $0.contentType == "application/cloudevents+json" && $0.extraHeader == "t1" })
            for (conversation, attempts) in Dictionary(grouping: requests, by: \.conversation) {
                let sequences = attempts.sorted { $0.index < $1.index }.map(\.sequence)
                #expect(sequences == sequences.sorted(), "\(conversation): an event is never sent before the one ahead of it is done")
            }
            #expect(requests.filter { $0.conversation == broken }.count == 15, "3 attempts for each of its 5 events")
            let snapshot = metrics.snapshot()
            #expect(snapshot.value("convobridge_webhook_deliveries_total", ["subscription": "crm"]) == 195)
            #expect(snapshot.value("convobridge_webhook_delivery_failed_attempts_total", ["subscription": "crm", "status": "429"]) ?? 0 > 0)

            let deadLetters = try await KafkaTopicReader(bootstrapServers: cluster.bootstrapServers, topic: "conversation-events-dlq")
                .read(count: 6, timeout: .seconds(3))
            #expect(deadLetters.count == 5)
            #expect(deadLetters.allSatisfy { $0.keyString == broken && $0.header("convobridge_attempts") == "3" })
            #expect(deadLetters.allSatisfy { $0.header("convobridge_last_status") == "500" && $0.header("convobridge_subscription") == "crm" })
            #expect(deadLetters.map { $0.header("ce_id") } == (1...5).map { "\(broken)/\($0)" })

            // Everything done was committed: the group's offsets are the topic's ends.
            let ends = try await KafkaTopicReader(bootstrapServers: cluster.bootstrapServers, topic: "conversation-events").endOffsets()
            let committed = try await KafkaGroupConsumer(
                bootstrapServers: cluster.bootstrapServers, groupID: "convobridge-deliver.crm", topic: "conversation-events"
            ).committed(Array(ends.keys))
            #expect(committed.mapValues(\.offset) == ends)

            // A restart reads from there: only the new events arrive.
            let before = receiver.received.count
            try await Self.withDeliverer(settings, cluster: cluster) { publisher, _ in
                try await Self.publish(Self.events(conversations: 2, perConversation: 1, from: 6), publisher)
                try await Self.waitUntil("the new events delivered") { receiver.deliveredSequences["jelou-test/c-1"]?.last == 6 }
            }
            let after = receiver.received.dropFirst(before)
            #expect(after.allSatisfy { $0.sequence == 6 }, "nothing delivered before the restart is sent again")
        }
    }

    @Test("A subscriber URL on loopback is refused unless allow_private_network: no request is sent, the events are dead-lettered")
    func privateNetworkRefused() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("conversation-events", partitions: 1)
        try cluster.createTopic("conversation-events-dlq", partitions: 1)
        let receiver = try RecordingWebhookReceiver(secret: Self.secret) { _, _, _ in .init(status: 200) }
        try await receiver.serving { receiver in
            let settings = Self.settings(try Self.subscription(port: receiver.port!, allowPrivateNetwork: false), delays: [.milliseconds(5)])
            try await Self.withDeliverer(settings, cluster: cluster) { publisher, _ in
                try await Self.publish(Self.events(conversations: 1, perConversation: 3), publisher)
                let deadLetters = try await KafkaTopicReader(bootstrapServers: cluster.bootstrapServers, topic: "conversation-events-dlq")
                    .read(count: 3, timeout: .seconds(30))
                #expect(deadLetters.count == 3)
                #expect(deadLetters.first?.header("convobridge_last_failure")?.contains("allow_private_network") == true)
            }
            #expect(receiver.received.isEmpty)
        }
    }

    @Test("410 Gone disables the subscription (nothing more is sent); resuming sends the event again and the rest after it")
    func goneDisablesUntilResumed() async throws {
        let cluster = try EmbeddedKafkaCluster()
        try cluster.createTopic("conversation-events", partitions: 1)
        let gone = Atomic<Bool>(true)
        let receiver = try RecordingWebhookReceiver(secret: Self.secret) { _, _, _ in .init(status: gone.load(ordering: .relaxed) ? 410 : 200) }
        let metrics = BridgeMetrics()
        try await receiver.serving { receiver in
            let settings = Self.settings(try Self.subscription(port: receiver.port!), delays: [.milliseconds(5)])
            try await Self.withDeliverer(settings, cluster: cluster, metrics: metrics) { publisher, deliverer in
                try await Self.publish(Self.events(conversations: 3, perConversation: 2), publisher)
                let subscription = try #require(deliverer.deliverer("crm"))
                try await Self.waitUntil("disabled") {
                    if case .disabled = subscription.summary().status { return true } else { return false }
                }
                let sent = receiver.received.count
                #expect(sent >= 1 && sent <= 3, "the attempts in flight when the first 410 came, no more")
                #expect(metrics.snapshot().value("convobridge_webhook_subscription_disabled", ["subscription": "crm"]) == 1)
                gone.store(false, ordering: .relaxed)
                subscription.resume()
                try await Self.waitUntil("all delivered after resuming") {
                    return receiver.deliveredSequences.count == 3 && receiver.deliveredSequences.values.allSatisfy { $0 == [1, 2] }
                }
                #expect(subscription.summary().status == .active)
            }
        }
    }
}
