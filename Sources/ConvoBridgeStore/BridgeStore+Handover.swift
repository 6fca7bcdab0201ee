public import ConvoBridgeCore
import Foundation
import GRDB

extension BridgeStore {
    /// Which conversations a partition holds: `(source, conversationID)` → whether it belongs.
    public typealias ConversationFilter = @Sendable (_ source: String, _ conversationID: String) -> Bool

    /// Takes over `partition`: its conversations become exactly `states` (the whole partition of the internal state
    /// topic, read `read_committed` to its end); its checkpoint is forgotten, its unpublished outbox records are
    /// dropped and the webhook deliveries remembered for its conversations are forgotten (`takeOver`). One transaction.
    /// - Returns: how many local rows were replaced, and how many unpublished outbox records dropped.
    @discardableResult
    public func restorePartition(
        _ partition: Int32, states: [ConversationStateRecord], belongs: @escaping ConversationFilter, now: Timestamp
    ) async throws -> (conversations: Int, outbox: Int) {
        try await writing("restore a partition") { db in
            var removed = 0
            let delete = try db.cachedStatement(sql: "DELETE FROM conversations WHERE source = ? AND conversation_id = ?")
            for row in try Row.fetchAll(db, sql: "SELECT source, conversation_id FROM conversations") {
                let source: String = row[0]
                let conversationID: String = row[1]
                guard belongs(source, conversationID) else { continue }
                try delete.execute(arguments: [source, conversationID])
                removed += 1
            }
            return (removed, try Self.takeOver(partition, states: states, belongs: belongs, now: now, db))
        }
    }

    /// Takes over `partition` from this replica's `checkpoint` of it: its local rows are kept, and `states` (the
    /// records written to the state topic since) are written over them; the rows of `deleted` keys (tombstones since)
    /// are removed. Only while `checkpoint` is still the partition's and none of its unpublished outbox records waits
    /// (the local rows would be ahead of Kafka). The rest as a full restore. One transaction.
    /// - Returns: how many local rows were updated or removed, and how many unpublished outbox records dropped; nil
    ///   when the checkpoint no longer holds (nothing was changed: restore in full).
    public func restorePartition(
        _ partition: Int32, since checkpoint: PartitionCheckpoint, states: [ConversationStateRecord],
        deleted: [(source: String, conversationID: String)], belongs: @escaping ConversationFilter, now: Timestamp
    ) async throws -> (conversations: Int, outbox: Int)? {
        try await writing("restore a partition from its checkpoint") { db in
            let current = try Row.fetchOne(db, sql: "SELECT * FROM partition_checkpoints WHERE partition = ?", arguments: [partition])
                .flatMap { Self.checkpoint(partition: partition, $0) }
            guard current == checkpoint, try Self.outboxIDs(belongs, db).isEmpty else { return nil }
            var changed = states.count
            let delete = try db.cachedStatement(sql: "DELETE FROM conversations WHERE source = ? AND conversation_id = ?")
            for key in deleted {
                try delete.execute(arguments: [key.source, key.conversationID])
                changed += db.changesCount
            }
            return (changed, try Self.takeOver(partition, states: states, belongs: belongs, now: now, db))
        }
    }

    /// What both restores do once the rows to replace are gone: the partition's checkpoint is forgotten (it is this
    /// replica's again), its outbox records not published are dropped (no transaction committed them, so no consumer
    /// saw them; polling derives them again from the restored snapshots, and webhook events are read again from the
    /// handoff topic), the webhook deliveries remembered for its conversations are forgotten (so that those events are
    /// not refused as sent twice), and `states` are written. Returns how many outbox records were dropped.
    private static func takeOver(
        _ partition: Int32, states: [ConversationStateRecord], belongs: ConversationFilter, now: Timestamp, _ db: Database
    ) throws -> Int {
        try forgetCheckpoint(partition: partition, db)
        let outbox = try deleteOutbox(belongs, db)
        // The webhook events of that outbox are forwarded again (their handoff records are read again): the
        // deliveries they remembered must not refuse them as sent twice.
        let forget = try db.cachedStatement(sql: "DELETE FROM webhook_seen WHERE source = ? AND digest = ?")
        for row in try Row.fetchAll(db, sql: "SELECT source, digest, conversation_id FROM webhook_seen WHERE conversation_id IS NOT NULL") {
            let source: String = row[0]
            let conversationID: String = row[2]
            guard belongs(source, conversationID) else { continue }
            try forget.execute(arguments: [source, row[1] as DatabaseValue])
        }
        let upsert = try db.cachedStatement(sql: upsertConversation)
        for state in states {
            let tracked = state.tracked
            try upsert.execute(arguments: [
                tracked.source, tracked.conversationID, tracked.snapshot.map { JSONWriter.string($0.jsonValue) }, tracked.lastSequence,
                tracked.consecutiveNotFound, tracked.consecutiveFailures, tracked.closedSince?.millisecondsSinceEpoch,
                tracked.vanished, tracked.vanished ? nil : state.nextPollAt?.millisecondsSinceEpoch, DiscoveredBy.handover.rawValue,
                now.millisecondsSinceEpoch, tracked.lastObservedAt?.millisecondsSinceEpoch,
            ])
        }
        return outbox
    }

    /// Drops the outbox records of conversations that `belongs` selects (a partition whose producer was fenced:
    /// what it did not publish, the new owner derives again). Returns how many.
    @discardableResult
    public func discardOutbox(belongs: @escaping ConversationFilter) async throws -> Int {
        try await writing("discard a partition's outbox") { db in try Self.deleteOutbox(belongs, db) }
    }

    private static func deleteOutbox(_ belongs: ConversationFilter, _ db: Database) throws -> Int {
        let ids = try outboxIDs(belongs, db)
        let delete = try db.cachedStatement(sql: "DELETE FROM outbox WHERE id = ?")
        for id in ids { try delete.execute(arguments: [id]) }
        return ids.count
    }

    private static func outboxIDs(_ belongs: ConversationFilter, _ db: Database) throws -> [Int64] {
        var ids: [Int64] = []
        for row in try Row.fetchAll(db, sql: "SELECT id, record_key FROM outbox") {
            guard let key = Data.fromDatabaseValue(row["record_key"]), let (source, conversationID) = Self.conversation(ofKey: Array(key))
            else { continue }
            if belongs(source, conversationID) { ids.append(row["id"]) }
        }
        return ids
    }

    /// `{source}/{conversation_id}` split at its last `/` (ids never hold one).
    public static func conversation(ofKey key: [UInt8]) -> (source: String, conversationID: String)? {
        guard let slash = key.lastIndex(of: UInt8(ascii: "/")), slash > 0, slash < key.count - 1 else { return nil }
        return (String(decoding: key[..<slash], as: UTF8.self), String(decoding: key[(slash + 1)...], as: UTF8.self))
    }
}
