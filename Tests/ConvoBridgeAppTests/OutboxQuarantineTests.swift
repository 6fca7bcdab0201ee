import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import ConvoBridgeStore
import ConvoBridgeTestSupport
import Foundation
import GRDB
import ServiceLifecycle
import Testing

@Suite("Records that cannot be published: quarantine, per-key waits, store errors, bounded shutdown", .serialized)
struct OutboxQuarantineTests {
    static let t0 = Timestamp(iso8601: "2026-01-15T10:00:00Z")!

    /// A contract event of conversation `key` (`source/id`) with `bytes` of padding in its raw payload, never
    /// trimmed, so that one can be larger than Kafka accepts.
    static func record(_ key: String, _ sequence: Int, bytes: Int = 0) -> OutboundRecord {
        let parts = key.split(separator: "/", maxSplits: 1).map(String.init)
        let snapshot = ConversationSnapshot(conversationID: parts[1], platform: .jelou, status: .open, state: "active")
        let event = ConversationEvent(
            source: parts[0], platform: .jelou, conversationID: parts[1], sequence: Int64(sequence), type: .updated,
            observationID: "o-\(sequence)", observedAt: t0, effectiveAt: t0,
            transition: Transition(kind: "updated", field: "priority", from: .null, to: .string("p\(sequence)")),
            changedFields: ["priority"], before: snapshot, after: snapshot, raw: .object(["pad": .string(String(repeating: "x", count: bytes))])
        )
        return CloudEventEncoder(configuration: .init(maxRecordBytes: 1 << 30)).eventRecord(event)
    }

    /// Appends `records` to the outbox, as a poll's write would.
    static func append(_ records: [OutboundRecord], to store: BridgeStore, conversation: String) async throws {
        try await store.write(source: "jelou-demo", conversationID: conversation, discoveredBy: .admin, now: t0) { tracked in
            ConversationWrite(tracked: tracked, records: records, poll: .keep)
        }
    }

    /// Damages the headers of one outbox row (what a bad disk or a hand edit leaves), through a connection of its own.
    static func damageHeaders(ofRowWithID id: Int64, path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: "UPDATE outbox SET headers = 'not json', value = 42 WHERE id = ?", arguments: [id]) }
        try queue.close()
    }

    @Test("The store: a quarantined record holds back its key; retry puts it back in its place, drop lets the rest go")
    func storeQuarantine() async throws {
        let path = try TemporaryStorePath.make()
        let store = try BridgeStore(path: path)
        try await Self.append([Self.record("s/a", 1), Self.record("s/a", 2)], to: store, conversation: "a")
        try await Self.append([Self.record("s/b", 1)], to: store, conversation: "b")
        try await Self.append([Self.record("s/a", 3)], to: store, conversation: "a")
        let ids = try await store.pendingOutbox(limit: 10).entries.map(\.id)
        #expect(ids.count == 4)

        #expect(try await store.quarantineOutbox([(ids[0], "refused")], at: Self.t0) == 1)
        #expect(try await store.pendingOutbox(limit: 10).entries.map { $0.record.header("ce_id") } == ["s/b/1"], "s/a waits behind its first record")
        let quarantined = try await store.quarantinedRecords()
        #expect(quarantined.map(\.id) == [ids[0]] && quarantined.first?.key == "s/a" && quarantined.first?.reason == "refused")

        #expect(try await store.retryQuarantined(ids: [ids[0]]) == 1)
        #expect(
            try await store.pendingOutbox(limit: 10).entries.map { $0.record.header("ce_id") } == ["s/a/1", "s/a/2", "s/b/1", "s/a/3"],
            "back at its old place, ahead of its key's later records")

        #expect(try await store.quarantineOutbox([(ids[0], "refused")], at: Self.t0) == 1)
        #expect(try await store.dropQuarantined(ids: nil) == 1)
        #expect(try await store.quarantineCount() == 0)
        #expect(try await store.pendingOutbox(limit: 10).entries.map { $0.record.header("ce_id") } == ["s/a/2", "s/b/1", "s/a/3"])
        #expect(try await store.retryQuarantined(ids: [999]) == 0, "an unknown id changes nothing")
    }

    @Test("An outbox row that cannot be read comes back as unreadable, with its key; the page goes on")
    func unreadableRow() async throws {
        let path = try TemporaryStorePath.make()
        let store = try BridgeStore(path: path)
        try await Self.append([Self.record("s/a", 1), Self.record("s/b", 1)], to: store, conversation: "a")
        let ids = try await store.pendingOutbox(limit: 10).entries.map(\.id)
        try Self.damageHeaders(ofRowWithID: ids[0], path: path)
        let page = try await store.pendingOutbox(limit: 10)
        #expect(page.entries.map(\.id) == [ids[1]])
        #expect(page.unreadable.map(\.id) == [ids[0]] && page.unreadable.first?.key == Array("s/a".utf8))
        #expect(page.lastID == ids[1])
    }

    @Test(
        "A record Kafka refuses and an unreadable row are quarantined; their keys wait, every other key is published at once",
        .timeLimit(.minutes(2)))
    func refusedAndUnreadableQuarantined() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        var configuration = harness.configuration(listen: false)
        configuration.sources[0].discovery = nil
        do {
            let store = try BridgeStore(path: harness.storePath)
            // Over librdkafka's default message.max.bytes (1,000,000): refused before it is sent, every time.
            try await Self.append(
                [Self.record("jelou-demo/big", 1, bytes: 1_200_000), Self.record("jelou-demo/big", 2)], to: store, conversation: "big")
            try await Self.append([Self.record("jelou-demo/bad", 1), Self.record("jelou-demo/bad", 2)], to: store, conversation: "bad")
            try await Self.append([Self.record("jelou-demo/ok", 1), Self.record("jelou-demo/ok", 2)], to: store, conversation: "ok")
            let damaged = try await store.pendingOutbox(limit: 10).entries[2].id
            try store.close()
            try Self.damageHeaders(ofRowWithID: damaged, path: harness.storePath)
        }
        try await harness.withBridge(configuration) { bridge in
            let started = ContinuousClock.now
            try await events.waitUntil("the other key's records") { $0.filter { $0.keyString == "jelou-demo/ok" }.count == 2 }
            #expect(ContinuousClock.now - started < .seconds(5), "the other key was held up")
            let deadline = ContinuousClock.now + .seconds(10)
            while try await bridge.store.quarantineCount() < 2 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            let quarantined = try await bridge.store.quarantinedRecords()
            #expect(quarantined.map(\.key) == ["jelou-demo/big", "jelou-demo/bad"])
            #expect(quarantined[0].reason.contains("refused it for good"), "\(quarantined[0].reason)")
            #expect(quarantined[1].reason.contains("unreadable"), "\(quarantined[1].reason)")
            #expect(try await bridge.store.outboxCount() == 2, "each quarantined record's later record waits in the outbox")
            #expect(String(decoding: bridge.metrics.render(), as: UTF8.self).contains("convobridge_outbox_quarantined_total 2"))

            // The operator drops them: the waiting records follow.
            #expect(try await bridge.store.dropQuarantined(ids: nil) == 2)
            try await events.waitUntil("the waiting records after the drop") { records in
                records.contains { $0.header("ce_id") == "jelou-demo/big/2" } && records.contains { $0.header("ce_id") == "jelou-demo/bad/2" }
            }
        }
        #expect(!events.records.contains { $0.header("ce_id") == "jelou-demo/big/1" || $0.header("ce_id") == "jelou-demo/bad/1" })
        #expect(events.records.filter { $0.header("ce_id") == "jelou-demo/big/2" }.count == 1, "published once, not every cycle")
    }

    @Test("A store error in the relay is retried, not thrown out of the service group", .timeLimit(.minutes(2)))
    func storeErrorRetried() async throws {
        let harness = try await BridgeHarness()
        let events = try TopicCollector(harness)
        var configuration = harness.configuration(listen: false)
        configuration.sources[0].discovery = nil
        try await harness.withBridge(configuration) { bridge in
            // The outbox table disappears under the running bridge, then comes back.
            let queue = try DatabaseQueue(path: harness.storePath)
            try await queue.write { db in try db.execute(sql: "ALTER TABLE outbox RENAME TO outbox_away") }
            try await Task.sleep(for: .seconds(1))
            try await queue.write { db in try db.execute(sql: "ALTER TABLE outbox_away RENAME TO outbox") }
            try queue.close()
            try await Self.append([Self.record("jelou-demo/after", 1)], to: bridge.store, conversation: "after")
            try await events.waitUntil("a record written after the store came back") { $0.contains { $0.header("ce_id") == "jelou-demo/after/1" } }
        }
    }

    @Test(
        "SIGTERM with Kafka down ends within the drain and shutdown deadlines, not the 15-minute message timeout",
        .timeLimit(.minutes(2)))
    func boundedShutdownWithKafkaDown() async throws {
        let harness = try await BridgeHarness()
        var configuration = harness.configuration(drainDeadline: .seconds(1), listen: false)
        configuration.sources[0].discovery = nil
        configuration.kafka.publisher.shutdownDeadline = .seconds(2)
        #expect(configuration.kafka.publisher.messageTimeout >= .seconds(900))
        let bridge = try Bridge(configuration: configuration, logger: BridgeHarness.quiet)
        let group = ServiceGroup(configuration: .init(services: bridge.services, logger: BridgeHarness.quiet))
        let running = Task { try await group.run() }
        try harness.cluster.setBrokerDown(1)
        try await Self.append((1...20).map { Self.record("jelou-demo/c", $0) }, to: bridge.store, conversation: "c")
        try await Task.sleep(for: .seconds(1))
        let asked = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running.value
        let elapsed = ContinuousClock.now - asked
        try await bridge.close()
        #expect(elapsed < .seconds(8), "shutdown took \(elapsed) (drain 1 s + publisher 2 s + purge grace 5 s at most)")
        try harness.cluster.setBrokerUp(1)
        #expect(try await BridgeStore(path: harness.storePath).outboxCount() == 20, "nothing was acknowledged: everything stays for the next start")
    }
}
