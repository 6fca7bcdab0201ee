import ConvoBridgeCore
import ConvoBridgeStore
import ConvoBridgeTestSupport
import Testing

@Suite("Partition restore and checkpoints: what a replica keeps of a partition it gave up, and when it may use it")
struct PartitionRestoreTests {
    static let t0 = Timestamp(iso8601: "2026-01-15T10:00:00Z")!
    /// Partition 1 holds the ids that start with "p1-"; partition 2 the others.
    static let inPartition1: BridgeStore.ConversationFilter = { _, id in id.hasPrefix("p1-") }
    static let checkpoint = PartitionCheckpoint(partition: 1, stateTopic: "state", partitions: 4, nextOffset: 120, writtenAt: t0)

    static func state(_ id: String, sequence: Int64) -> ConversationStateRecord {
        let snapshot = ConversationSnapshot(conversationID: id, platform: .jelou, status: .open, state: "open")
        return ConversationStateRecord(
            tracked: TrackedConversation(source: "s", conversationID: id, snapshot: snapshot, lastSequence: sequence), nextPollAt: t0)
    }

    /// A store with p1-a (sequence 3), p1-b (sequence 5) and p2-c (sequence 7), nothing in the outbox.
    static func store() async throws -> BridgeStore {
        let store = try BridgeStore(path: try TemporaryStorePath.make())
        let restored = try await store.restorePartition(
            1, states: [state("p1-a", sequence: 3), state("p1-b", sequence: 5), state("p2-c", sequence: 7)], belongs: { _, _ in true },
            now: t0)
        #expect(restored == (conversations: 0, outbox: 0))
        return store
    }

    static func sequences(_ store: BridgeStore) async throws -> [String: Int64] {
        var sequences: [String: Int64] = [:]
        for id in ["p1-a", "p1-b", "p1-new", "p2-c"] {
            if let tracked = try await store.conversation(source: "s", conversationID: id) { sequences[id] = tracked.lastSequence }
        }
        return sequences
    }

    static func writeEvent(_ store: BridgeStore, _ id: String) async throws {
        try await store.write(source: "s", conversationID: id, discoveredBy: .poll, now: t0) { tracked in
            var tracked = tracked
            tracked.lastSequence += 1
            let record = OutboundRecord(topic: "events", key: Array("s/\(id)".utf8), value: [0x7b, 0x7d], headers: [])
            return ConversationWrite(tracked: tracked, records: [record], poll: .keep)
        }
    }

    @Test("A clean release keeps a checkpoint; taking the partition again updates its rows from it and forgets it")
    func incremental() async throws {
        let store = try await Self.store()
        try await store.beginCheckpoint(partition: 1)
        #expect(try await store.checkpoint(partition: 1) == nil, "a release under way is not a checkpoint yet")
        #expect(try await store.completeCheckpoint(Self.checkpoint))
        #expect(try await store.checkpoint(partition: 1) == Self.checkpoint)
        #expect(try await store.checkpoint(partition: 2) == nil)

        let restored = try await store.restorePartition(
            1, since: Self.checkpoint, states: [Self.state("p1-a", sequence: 9), Self.state("p1-new", sequence: 1)],
            deleted: [(source: "s", conversationID: "p1-b")], belongs: Self.inPartition1, now: Self.t0)
        #expect(restored.map { $0 == (conversations: 3, outbox: 0) } == true)
        // p1-a continues from the newer owner's sequence; p1-b was deleted from the topic; p2-c is another partition's.
        #expect(try await Self.sequences(store) == ["p1-a": 9, "p1-new": 1, "p2-c": 7])
        #expect(try await store.checkpoint(partition: 1) == nil, "the partition is this replica's again")
    }

    @Test("Dropping an unpublished record of the partition voids the release under way: no checkpoint")
    func droppedDuringRelease() async throws {
        let store = try await Self.store()
        try await store.beginCheckpoint(partition: 1)
        try await Self.writeEvent(store, "p1-a")  // a poll that ended after the release began
        let ids = try await store.pendingOutbox(limit: 10).entries.map(\.id)
        try await store.dropUnpublishedOutbox(ids: ids, partitions: [1])
        #expect(try await !store.completeCheckpoint(Self.checkpoint))
        #expect(try await store.checkpoint(partition: 1) == nil)
    }

    @Test("Local rows ahead of Kafka after a checkpoint are never kept: the restore from it refuses, a full one replaces")
    func aheadOfKafka() async throws {
        let store = try await Self.store()
        try await store.beginCheckpoint(partition: 1)
        #expect(try await store.completeCheckpoint(Self.checkpoint))
        // Written after the checkpoint, never published: its record still waits in the outbox.
        try await Self.writeEvent(store, "p1-a")
        let refused = try await store.restorePartition(
            1, since: Self.checkpoint, states: [], deleted: [], belongs: Self.inPartition1, now: Self.t0)
        #expect(refused == nil)
        #expect(try await Self.sequences(store) == ["p1-a": 4, "p1-b": 5, "p2-c": 7], "nothing changed")
        #expect(try await store.checkpoint(partition: 1) == Self.checkpoint)

        let full = try await store.restorePartition(
            1, states: [Self.state("p1-a", sequence: 3)], belongs: Self.inPartition1, now: Self.t0)
        #expect(full == (conversations: 2, outbox: 1))
        #expect(try await Self.sequences(store) == ["p1-a": 3, "p2-c": 7])
        #expect(try await store.outboxCount() == 0)
        #expect(try await store.checkpoint(partition: 1) == nil)
    }

    @Test("Once such a record is dropped, the checkpoint is gone too; a record of unknown partition voids them all")
    func droppedAfterCheckpoint() async throws {
        let store = try await Self.store()
        for partition: Int32 in [1, 2] {
            try await store.beginCheckpoint(partition: partition)
            var checkpoint = Self.checkpoint
            checkpoint.partition = partition
            #expect(try await store.completeCheckpoint(checkpoint))
        }
        try await Self.writeEvent(store, "p1-a")
        try await store.dropUnpublishedOutbox(ids: try await store.pendingOutbox(limit: 10).entries.map(\.id), partitions: [1])
        #expect(try await store.checkpoint(partition: 1) == nil)
        #expect(try await store.checkpoint(partition: 2) != nil)
        let stale = try await store.restorePartition(
            1, since: Self.checkpoint, states: [], deleted: [], belongs: Self.inPartition1, now: Self.t0)
        #expect(stale == nil)

        try await Self.writeEvent(store, "p2-c")
        try await store.dropUnpublishedOutbox(ids: try await store.pendingOutbox(limit: 10).entries.map(\.id), partitions: nil)
        #expect(try await store.checkpoint(partition: 2) == nil)
    }

    @Test("A release that could not publish everything forgets the mark")
    func forgotten() async throws {
        let store = try await Self.store()
        try await store.beginCheckpoint(partition: 1)
        try await store.forgetCheckpoint(partition: 1)
        #expect(try await !store.completeCheckpoint(Self.checkpoint))
        #expect(try await store.checkpoint(partition: 1) == nil)
    }
}
