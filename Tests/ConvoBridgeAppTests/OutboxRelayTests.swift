import ConvoBridgeCore
import ConvoBridgeStore
import ConvoBridgeTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import ConvoBridgeApp

/// The relay on its own: a real SQLite store, a scripted publisher instead of Kafka, no bridge around it.
@Suite("Outbox relay", .timeLimit(.minutes(1)))
struct OutboxRelayTests {
    static let logger = Logger(label: "relay") { _ in SwiftLogNoOpLogHandler() }
    static let t0 = Timestamp(iso8601: "2026-01-15T10:00:00Z")!

    /// Answers each publish from `verdict`, records what it was given, and can hold every call until released.
    final class ScriptedPublisher: RecordPublisher {
        let calls = Mutex<[[String]]>([])
        let verdict: @Sendable (_ call: Int, _ id: String) -> DeliveryReport.Status
        let holding = Mutex(false)

        init(verdict: @escaping @Sendable (_ call: Int, _ id: String) -> DeliveryReport.Status) { self.verdict = verdict }

        func publish(_ records: [OutboundRecord]) async throws -> [DeliveryReport] {
            let ids = records.map { $0.headers.first { $0.name == "ce_id" }.map { String(decoding: $0.value, as: UTF8.self) } ?? "" }
            let call = calls.withLock { calls in
                calls.append(ids)
                return calls.count
            }
            while holding.withLock({ $0 }) {
                // As the real publisher does when cancelled: what Kafka has not answered may have been persisted.
                if Task.isCancelled { return ids.map { _ in DeliveryReport(status: .possiblyPersisted, error: "cancelled") } }
                try? await Task.sleep(for: .milliseconds(5))
            }
            return ids.map { id in
                let status = verdict(call, id)
                return DeliveryReport(
                    status: status, partition: 0, offset: status == .persisted ? 0 : nil, error: status == .persisted ? nil : "scripted")
            }
        }

        var published: [[String]] { calls.withLock { $0 } }
    }

    static func record(_ key: String, _ n: Int) -> OutboundRecord {
        OutboundRecord(
            topic: "conversation-events", key: Array(key.utf8), value: Array("{\"n\":\(n)}".utf8),
            headers: [.init(name: "ce_id", value: "\(key)/\(n)")])
    }

    /// Writes `records` of each conversation to the outbox, in order, and runs a relay on them until `body` returns.
    static func withRelay(
        _ records: [String: [OutboundRecord]], publisher: ScriptedPublisher, drainDeadline: Duration = .seconds(5),
        _ body: (OutboxRelay, BridgeStore, BridgeMetrics, ServiceGroup) async throws -> Void
    ) async throws {
        let store = try BridgeStore(path: try TemporaryStorePath.make())
        for (conversation, list) in records.sorted(by: { $0.key < $1.key }) {
            try await store.write(source: "s", conversationID: conversation, discoveredBy: .poll, now: t0) { tracked in
                ConversationWrite(tracked: tracked, records: list, poll: .keep)
            }
        }
        let metrics = BridgeMetrics()
        let relay = OutboxRelay(
            store: store, publisher: publisher, batchSize: 100, drainDeadline: drainDeadline,
            spaceGate: StoreSpaceGate(store: store, time: .system), metrics: metrics, now: { t0 }, logger: logger)
        let group = ServiceGroup(services: [relay], gracefulShutdownSignals: [], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            try await body(relay, store, metrics, group)
            await group.triggerGracefulShutdown()
            try await tasks.next()
        }
        try store.close()
    }

    static func waitUntil(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    struct TimedOut: Error { var what: String }

    @Test("A record Kafka does not acknowledge holds back its key's later ones; they go again in order, other keys go on")
    func failedRecordHoldsItsKey() async throws {
        let publisher = ScriptedPublisher { call, id in call == 1 && id == "a/2" ? .notPersisted : .persisted }
        let records = ["a": (1...3).map { Self.record("a", $0) }, "b": (1...2).map { Self.record("b", $0) }]
        try await Self.withRelay(records, publisher: publisher) { _, store, metrics, _ in
            try await Self.waitUntil("the outbox empty") { try await store.outboxCount() == 0 }
            let calls = publisher.published
            #expect(calls.first == ["a/1", "a/2", "a/3", "b/1", "b/2"])
            // a/3 was acknowledged behind a failure, so it goes again after a/2: never a gap in a's order.
            #expect(calls.dropFirst().flatMap { $0 } == ["a/2", "a/3"])
            #expect(metrics.snapshot().value("convobridge_events_published_total") == 5, "a/1, b/1, b/2, then a/2, a/3")
            #expect(metrics.snapshot().value("convobridge_kafka_delivery_errors_total") == 2, "a/2 failed; a/3 was not counted")
        }
    }

    @Test("A record refused for good is quarantined; its key's later records wait behind it, others are published")
    func refusedRecordIsQuarantined() async throws {
        let publisher = ScriptedPublisher { _, id in id == "a/1" ? .refused : .persisted }
        let records = ["a": (1...2).map { Self.record("a", $0) }, "b": [Self.record("b", 1)]]
        try await Self.withRelay(records, publisher: publisher) { relay, store, metrics, _ in
            try await Self.waitUntil("a/1 quarantined") { try await store.quarantineCount() == 1 }
            try await Self.waitUntil("b/1 published") { try await store.outboxCount() == 1 }
            // A later write makes the relay scan the outbox again: c/1 goes, a/2 still waits behind a/1.
            try await store.write(source: "s", conversationID: "c", discoveredBy: .poll, now: Self.t0) { tracked in
                ConversationWrite(tracked: tracked, records: [Self.record("c", 1)], poll: .keep)
            }
            relay.wake.signal()
            try await Self.waitUntil("c/1 published") {
                let left = try await store.outboxCount()
                return publisher.published.contains { $0.contains("c/1") } && left == 1
            }
            #expect(publisher.published.dropFirst().allSatisfy { !$0.contains("a/2") }, "a/2 was published while a/1 is quarantined")
            #expect(metrics.snapshot().value("convobridge_outbox_quarantined_total") == 1)
        }
    }

    @Test("Graceful shutdown with Kafka not answering: the relay stops at the drain deadline, nothing deleted")
    func drainDeadline() async throws {
        let publisher = ScriptedPublisher { _, _ in .persisted }
        publisher.holding.withLock { $0 = true }
        let records = ["a": (1...3).map { Self.record("a", $0) }]
        let asked = Mutex<ContinuousClock.Instant?>(nil)
        try await Self.withRelay(records, publisher: publisher, drainDeadline: .milliseconds(300)) { _, store, _, _ in
            try await Self.waitUntil("a publish in flight") { !publisher.published.isEmpty }
            #expect(try await store.outboxCount() == 3)
            asked.withLock { $0 = .now }
        }
        // Without the deadline the held publish would keep the relay running until the suite's time limit.
        let stoppedAfter = ContinuousClock.now - (asked.withLock { $0 } ?? .now)
        #expect(stoppedAfter < .seconds(5), "stopped \(stoppedAfter) after the shutdown")
    }
}
