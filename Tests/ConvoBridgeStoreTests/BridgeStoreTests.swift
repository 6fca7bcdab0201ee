import ConvoBridgeCore
import ConvoBridgeStore
import ConvoBridgeTestSupport
import Foundation
import Testing

@Suite("The SQLite store: snapshots, schedules, the outbox and group commit")
struct BridgeStoreTests {
    static func temporaryPath() throws -> String { try TemporaryStorePath.make() }

    static let t0 = Timestamp(iso8601: "2026-01-15T10:00:00Z")!
    static func record(_ n: Int, key: String = "s/c-1") -> OutboundRecord {
        OutboundRecord(
            topic: "conversation-events", key: Array(key.utf8), value: Array("{\"n\":\(n)}".utf8),
            headers: [.init(name: "ce_id", value: "\(key)/\(n)"), .init(name: "ce_type", value: "conversation.updated")])
    }

    @Test("A snapshot, its sequence, its schedule and its outbox records survive closing and reopening the file")
    func persistence() async throws {
        let path = try Self.temporaryPath()
        let snapshot = ConversationSnapshot(
            conversationID: "c-1", platform: .jelou, status: .closed, state: "resolved",
            endedReason: "closed_by_user", user: .init(id: "u-1", name: "Ana"), attributes: ["origin": .string("ticket")])
        do {
            let store = try BridgeStore(path: path)
            try await store.write(source: "s", conversationID: "c-1", discoveredBy: .poll, now: Self.t0) { tracked in
                var tracked = tracked
                tracked.snapshot = snapshot
                tracked.lastSequence = 2
                tracked.closedSince = Self.t0
                return ConversationWrite(tracked: tracked, records: [Self.record(1), Self.record(2)], poll: .at(Self.t0.adding(milliseconds: 5000)))
            }
            try store.close()
        }
        let store = try BridgeStore(path: path)
        let tracked = try #require(try await store.conversation(source: "s", conversationID: "c-1"))
        #expect(tracked.snapshot == snapshot && tracked.lastSequence == 2 && tracked.closedSince == Self.t0)
        #expect(try await store.pendingOutbox(limit: 10).entries.map(\.record) == [Self.record(1), Self.record(2)], "byte for byte, in order")
        let schedule = try await store.scheduledConversations(source: "s")
        #expect(
            schedule == [
                ScheduledConversation(
                    conversationID: "c-1", nextPollAt: Self.t0.adding(milliseconds: 5000), hasSnapshot: true,
                    facts: PollFacts(isClosed: true, closedSince: Self.t0), consecutiveFailures: 0)
            ])
        #expect(try await store.nextPollTime(source: "s") == Self.t0.adding(milliseconds: 5000))
    }

    @Test("A write that throws leaves nothing behind: no snapshot, no outbox row")
    func atomicity() async throws {
        struct Refused: Error {}
        let store = try BridgeStore(path: try Self.temporaryPath())
        await #expect(throws: (any Error).self) {
            try await store.write(source: "s", conversationID: "c-1", discoveredBy: .poll, now: Self.t0) { _ in throw Refused() }
        }
        #expect(try await store.conversation(source: "s", conversationID: "c-1") == nil)
        #expect(try await store.outboxCount() == 0)
    }

    @Test("Group commit: writes that arrive together share transactions; one that throws fails alone")
    func groupCommit() async throws {
        struct Refused: Error {}
        let store = try BridgeStore(path: try Self.temporaryPath())
        let results = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<400 {
                group.addTask {
                    do {
                        try await store.write(source: "s", conversationID: "c-\(n)", discoveredBy: .poll, now: Self.t0) { tracked in
                            if n == 123 { throw Refused() }
                            return ConversationWrite(tracked: tracked, records: [Self.record(n, key: "s/c-\(n)")], poll: .at(Self.t0))
                        }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count(where: { !$0 }) == 1, "only the write that threw failed")
        #expect(try await store.outboxCount() == 399)
        #expect(try await store.conversation(source: "s", conversationID: "c-123") == nil)
        let commits = store.commits
        #expect(commits.writes == 400 && commits.transactions < 400, "\(commits.transactions) transactions for 400 writes")
    }

    @Test("A write that changes nothing writes no row; a changed one does")
    func unchangedWritesNothing() async throws {
        let path = try Self.temporaryPath()
        let store = try BridgeStore(path: path)
        try await store.write(source: "s", conversationID: "a", discoveredBy: .poll, now: Self.t0) {
            ConversationWrite(tracked: $0, poll: .at(Self.t0))
        }
        // Only the request time differs: the process keeps it, not the row.
        try await store.write(source: "s", conversationID: "a", discoveredBy: .poll, now: Self.t0) { tracked in
            var tracked = tracked
            tracked.lastObservedAt = Self.t0.adding(milliseconds: 1)
            return ConversationWrite(tracked: tracked, poll: .at(Self.t0))
        }
        #expect(try await store.conversation(source: "s", conversationID: "a")?.lastObservedAt == nil)
        try await store.write(source: "s", conversationID: "a", discoveredBy: .poll, now: Self.t0) { tracked in
            var tracked = tracked
            tracked.lastSequence = 4
            return ConversationWrite(tracked: tracked, poll: .at(Self.t0))
        }
        #expect(try await store.conversation(source: "s", conversationID: "a")?.lastSequence == 4)
    }

    @Test("Schedules: noLaterThan only moves a poll earlier, keep keeps it, retire stops it; persisted lazily; counts by state")
    func schedules() async throws {
        let store = try BridgeStore(path: try Self.temporaryPath())
        func write(_ id: String, _ plan: PollPlan, vanished: Bool = false) async throws {
            try await store.write(source: "s", conversationID: id, discoveredBy: .admin, now: Self.t0) { tracked in
                var tracked = tracked
                tracked.vanished = vanished
                return ConversationWrite(tracked: tracked, poll: plan)
            }
        }
        try await write("a", .at(Self.t0.adding(milliseconds: 10_000)))
        try await write("a", .noLaterThan(Self.t0.adding(milliseconds: 20_000)))
        #expect(try await store.nextPollTime(source: "s") == Self.t0.adding(milliseconds: 10_000))
        try await write("a", .noLaterThan(Self.t0))
        try await write("a", .keep)
        #expect(try await store.nextPollTime(source: "s") == Self.t0)
        try await write("b", .retire)
        try await write("c", .at(Self.t0), vanished: true)
        let counts = try await store.counts(source: "s")
        #expect(counts.watched == 1 && counts.retired == 1 && counts.vanished == 1)
        #expect(try await store.scheduledConversations(source: "s").map(\.conversationID).sorted() == ["a", "b"], "vanished is never loaded")
        try await store.persistSchedule(source: "s", [("a", nil), ("b", Self.t0.adding(milliseconds: 7)), ("c", Self.t0)])
        let loaded = Dictionary(uniqueKeysWithValues: try await store.scheduledConversations(source: "s").map { ($0.conversationID, $0.nextPollAt) })
        #expect(loaded == ["a": nil, "b": Self.t0.adding(milliseconds: 7)], "a vanished conversation is never scheduled again")
    }

    @Test("The outbox keeps write order across conversations and removes only what it is told")
    func outbox() async throws {
        let store = try BridgeStore(path: try Self.temporaryPath())
        for n in 1...3 {
            for key in ["s/a", "s/b"] {
                try await store.write(source: "s", conversationID: key, discoveredBy: .poll, now: Self.t0) { tracked in
                    ConversationWrite(tracked: tracked, records: [Self.record(n, key: key)], poll: .keep)
                }
            }
        }
        let entries = try await store.pendingOutbox(limit: 100).entries
        #expect(entries.map { $0.record.header("ce_id") } == ["s/a/1", "s/b/1", "s/a/2", "s/b/2", "s/a/3", "s/b/3"])
        try await store.removeOutbox(ids: [entries[0].id, entries[2].id])
        #expect(try await store.pendingOutbox(limit: 100).entries.map { $0.record.header("ce_id") } == ["s/b/1", "s/b/2", "s/a/3", "s/b/3"])
        #expect(try await store.pendingOutbox(limit: 2).entries.count == 2)
        try await store.setDiscoveryWindowEnd(source: "s", Self.t0)
        #expect(try await store.discoveryWindowEnd(source: "s") == Self.t0)
    }

    @Test("A new store's files are readable by their owner only (they hold personal data)")
    func fileModes() async throws {
        let path = try Self.temporaryPath()
        let store = try BridgeStore(path: path)
        try await store.write(source: "s", conversationID: "c-1", discoveredBy: .poll, now: Self.t0) {
            ConversationWrite(tracked: $0, poll: .at(Self.t0))
        }
        for file in [path, path + "-wal", path + "-shm"] {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber).intValue
            #expect(mode & 0o077 == 0, "\(file): \(String(mode, radix: 8))")
        }
        try store.close()
    }

    @Test("A store path that cannot be opened is named in the error")
    func badPath() {
        let error = #expect(throws: StoreError.self) { try BridgeStore(path: "/nonexistent-directory/x/store.sqlite") }
        #expect(error?.description.hasPrefix("store /nonexistent-directory/x/store.sqlite: open failed") == true)
    }

    @Test("Positions in a topic of ids: stored with the watch they cause, per partition, never moving back, kept across reopening")
    func topicPositions() async throws {
        let path = try Self.temporaryPath()
        var store = try BridgeStore(path: path)
        #expect(try await store.topicPositions(source: "zild", topic: "ids").isEmpty)
        try await store.write(
            source: "zild", conversationID: "12", discoveredBy: .idsTopic, now: Self.t0,
            position: TopicPosition(topic: "ids", partition: 0, nextOffset: 5)
        ) { ConversationWrite(tracked: $0, poll: .noLaterThan(Self.t0)) }
        try await store.advance(source: "zild", to: TopicPosition(topic: "ids", partition: 1, nextOffset: 2))
        try await store.advance(source: "zild", to: TopicPosition(topic: "ids", partition: 0, nextOffset: 3))
        struct Refused: Error {}
        await #expect(throws: StoreError.self) {
            try await store.write(
                source: "zild", conversationID: "13", discoveredBy: .idsTopic, now: Self.t0,
                position: TopicPosition(topic: "ids", partition: 1, nextOffset: 9)
            ) { _ in throw Refused() }
        }
        try store.close()
        store = try BridgeStore(path: path)
        #expect(try await store.topicPositions(source: "zild", topic: "ids") == [0: 5, 1: 2], "a failed write moves no position; none moves back")
        #expect(try await store.topicPositions(source: "other", topic: "ids").isEmpty)
        #expect(try await store.watchList(source: "zild").map(\.conversationID) == ["12"])
        try store.close()
    }
}
