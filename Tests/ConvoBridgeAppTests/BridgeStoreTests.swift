import ConvoBridgeCore
import ConvoBridgeStore
import Foundation
import Testing

@Suite("The SQLite store: snapshots, schedules and the outbox")
struct BridgeStoreTests {
    static func temporaryPath() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent("store.sqlite").path
    }

    static let t0 = Timestamp(iso8601: "2026-01-15T10:00:00Z")!
    static func record(_ n: Int, key: String = "s/c-1") -> OutboundRecord {
        OutboundRecord(topic: "conversation-events", key: Array(key.utf8), value: Array("{\"n\":\(n)}".utf8),
                       headers: [.init(name: "ce_id", value: "\(key)/\(n)"), .init(name: "ce_type", value: "conversation.updated")])
    }

    @Test("A snapshot, its sequence, its schedule and its outbox records survive closing and reopening the file")
    func persistence() throws {
        let path = try Self.temporaryPath()
        let snapshot = ConversationSnapshot(conversationID: "c-1", platform: .jelou, status: .closed, state: "resolved",
                                            endedReason: "closed_by_user", user: .init(id: "u-1", name: "Ana"), attributes: ["origin": .string("ticket")])
        do {
            let store = try BridgeStore(path: path)
            try store.write(source: "s", conversationID: "c-1", discoveredBy: "test", now: Self.t0) { tracked in
                var tracked = tracked
                tracked.snapshot = snapshot
                tracked.lastSequence = 2
                tracked.closedSince = Self.t0
                return ConversationWrite(tracked: tracked, records: [Self.record(1), Self.record(2)], poll: .at(Self.t0.adding(milliseconds: 5000)))
            }
            try store.close()
        }
        let store = try BridgeStore(path: path)
        let tracked = try #require(try store.conversation(source: "s", conversationID: "c-1"))
        #expect(tracked.snapshot == snapshot && tracked.lastSequence == 2 && tracked.closedSince == Self.t0)
        #expect(try store.pendingOutbox(limit: 10).map(\.record) == [Self.record(1), Self.record(2)], "byte for byte, in order")
        #expect(try store.duePolls(source: "s", now: Self.t0, limit: 10).isEmpty)
        #expect(try store.duePolls(source: "s", now: Self.t0.adding(milliseconds: 5000), limit: 10) == ["c-1"])
        #expect(try store.nextPollTime(source: "s") == Self.t0.adding(milliseconds: 5000))
    }

    @Test("A write that throws leaves nothing behind: no snapshot, no outbox row")
    func atomicity() throws {
        struct Refused: Error {}
        let store = try BridgeStore(path: try Self.temporaryPath())
        #expect(throws: (any Error).self) {
            try store.write(source: "s", conversationID: "c-1", discoveredBy: "test", now: Self.t0) { _ in throw Refused() }
        }
        #expect(try store.conversation(source: "s", conversationID: "c-1") == nil)
        #expect(try store.outboxCount() == 0)
    }

    @Test("Schedules: noLaterThan only moves a poll earlier, keep keeps it, retire stops it; counts by state")
    func schedules() throws {
        let store = try BridgeStore(path: try Self.temporaryPath())
        func write(_ id: String, _ plan: PollPlan, vanished: Bool = false) throws {
            try store.write(source: "s", conversationID: id, discoveredBy: "test", now: Self.t0) { tracked in
                var tracked = tracked
                tracked.vanished = vanished
                return ConversationWrite(tracked: tracked, poll: plan)
            }
        }
        try write("a", .at(Self.t0.adding(milliseconds: 10_000)))
        try write("a", .noLaterThan(Self.t0.adding(milliseconds: 20_000)))
        #expect(try store.nextPollTime(source: "s") == Self.t0.adding(milliseconds: 10_000))
        try write("a", .noLaterThan(Self.t0))
        try write("a", .keep)
        #expect(try store.duePolls(source: "s", now: Self.t0, limit: 10) == ["a"])
        try write("b", .retire)
        try write("c", .at(Self.t0), vanished: true)
        let counts = try store.counts(source: "s")
        #expect(counts.watched == 1 && counts.retired == 1 && counts.vanished == 1)
        #expect(try store.duePolls(source: "s", now: Self.t0.adding(milliseconds: 99_000), limit: 10) == ["a"], "vanished is never polled")
    }

    @Test("The outbox keeps write order across conversations and removes only what it is told")
    func outbox() throws {
        let store = try BridgeStore(path: try Self.temporaryPath())
        for n in 1...3 {
            for key in ["s/a", "s/b"] {
                try store.write(source: "s", conversationID: key, discoveredBy: "test", now: Self.t0) { tracked in
                    ConversationWrite(tracked: tracked, records: [Self.record(n, key: key)], poll: .keep)
                }
            }
        }
        let entries = try store.pendingOutbox(limit: 100)
        #expect(entries.map { $0.record.header("ce_id") } == ["s/a/1", "s/b/1", "s/a/2", "s/b/2", "s/a/3", "s/b/3"])
        try store.removeOutbox(ids: [entries[0].id, entries[2].id])
        #expect(try store.pendingOutbox(limit: 100).map { $0.record.header("ce_id") } == ["s/b/1", "s/b/2", "s/a/3", "s/b/3"])
        #expect(try store.pendingOutbox(limit: 2).count == 2)
        try store.setDiscoveryWindowEnd(source: "s", Self.t0)
        #expect(try store.discoveryWindowEnd(source: "s") == Self.t0)
    }

    @Test("A store path that cannot be opened is named in the error")
    func badPath() {
        let error = #expect(throws: StoreError.self) { try BridgeStore(path: "/nonexistent-directory/x/store.sqlite") }
        #expect(error?.description.hasPrefix("store /nonexistent-directory/x/store.sqlite: open failed") == true)
    }

    @Test("Positions in a topic of ids: stored with the watch they cause, per partition, never moving back, kept across reopening")
    func topicPositions() throws {
        let path = try Self.temporaryPath()
        var store = try BridgeStore(path: path)
        #expect(try store.topicPositions(source: "zild", topic: "ids").isEmpty)
        try store.write(source: "zild", conversationID: "12", discoveredBy: "ids_topic", now: Self.t0,
                        position: TopicPosition(topic: "ids", partition: 0, nextOffset: 5)) { ConversationWrite(tracked: $0, poll: .noLaterThan(Self.t0)) }
        try store.advance(source: "zild", to: TopicPosition(topic: "ids", partition: 1, nextOffset: 2))
        try store.advance(source: "zild", to: TopicPosition(topic: "ids", partition: 0, nextOffset: 3))
        struct Refused: Error {}
        #expect(throws: StoreError.self) {
            try store.write(source: "zild", conversationID: "13", discoveredBy: "ids_topic", now: Self.t0,
                            position: TopicPosition(topic: "ids", partition: 1, nextOffset: 9)) { _ in throw Refused() }
        }
        try store.close()
        store = try BridgeStore(path: path)
        #expect(try store.topicPositions(source: "zild", topic: "ids") == [0: 5, 1: 2], "a failed write moves no position; none moves back")
        #expect(try store.topicPositions(source: "other", topic: "ids").isEmpty)
        #expect(try store.watchList(source: "zild").map(\.conversationID) == ["12"])
        try store.close()
    }
}
