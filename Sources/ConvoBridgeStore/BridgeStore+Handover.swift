public import ConvoBridgeCore
import Foundation
import GRDB

extension BridgeStore {
    /// Which conversations a partition holds: `(source, conversationID)` → whether it belongs.
    public typealias ConversationFilter = @Sendable (_ source: String, _ conversationID: String) -> Bool

    /// Takes over a partition: its conversations become exactly `states` (the internal state topic, read
    /// `read_committed` to its end), and its outbox records not published are dropped (no transaction committed
    /// them, so no consumer saw them; polling derives them again from the restored snapshots, and webhook events are
    /// read again from the handoff topic). The webhook deliveries remembered for its conversations are forgotten, so
    /// that those events are not refused as sent twice. One transaction.
    /// - Returns: how many local rows and outbox records were replaced.
    @discardableResult
    public func restorePartition(
        _ states: [ConversationStateRecord], belongs: @escaping ConversationFilter, now: Timestamp
    ) async throws -> (conversations: Int, outbox: Int) {
        try await writing("restore a partition") { db in
            let outbox = try Self.deleteOutbox(belongs, db)
            // The webhook events of that outbox are forwarded again (their handoff records are read again): the
            // deliveries they remembered must not refuse them as sent twice.
            let forget = try db.cachedStatement(sql: "DELETE FROM webhook_seen WHERE source = ? AND digest = ?")
            for row in try Row.fetchAll(db, sql: "SELECT source, digest, conversation_id FROM webhook_seen WHERE conversation_id IS NOT NULL") {
                let source: String = row[0]
                let conversationID: String = row[2]
                guard belongs(source, conversationID) else { continue }
                try forget.execute(arguments: [source, row[1] as DatabaseValue])
            }
            var removed = 0
            let delete = try db.cachedStatement(sql: "DELETE FROM conversations WHERE source = ? AND conversation_id = ?")
            for row in try Row.fetchAll(db, sql: "SELECT source, conversation_id FROM conversations") {
                let source: String = row[0]
                let conversationID: String = row[1]
                guard belongs(source, conversationID) else { continue }
                try delete.execute(arguments: [source, conversationID])
                removed += 1
            }
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO conversations (source, conversation_id, snapshot, last_sequence, consecutive_not_found,
                        consecutive_failures, closed_since, vanished, next_poll_at, discovered_by, first_seen_at, last_observed_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (source, conversation_id) DO NOTHING
                    """)
            for state in states {
                let tracked = state.tracked
                try insert.execute(arguments: [
                    tracked.source, tracked.conversationID, tracked.snapshot.map { JSONWriter.string($0.jsonValue) }, tracked.lastSequence,
                    tracked.consecutiveNotFound, tracked.consecutiveFailures, tracked.closedSince?.millisecondsSinceEpoch,
                    tracked.vanished, tracked.vanished ? nil : state.nextPollAt?.millisecondsSinceEpoch, DiscoveredBy.handover.rawValue,
                    now.millisecondsSinceEpoch, tracked.lastObservedAt?.millisecondsSinceEpoch,
                ])
            }
            return (removed, outbox)
        }
    }

    /// Drops the outbox records of conversations that `belongs` selects (a partition whose producer was fenced:
    /// what it did not publish, the new owner derives again). Returns how many.
    @discardableResult
    public func discardOutbox(belongs: @escaping ConversationFilter) async throws -> Int {
        try await writing("discard a partition's outbox") { db in try Self.deleteOutbox(belongs, db) }
    }

    private static func deleteOutbox(_ belongs: ConversationFilter, _ db: Database) throws -> Int {
        var ids: [Int64] = []
        for row in try Row.fetchAll(db, sql: "SELECT id, record_key FROM outbox") {
            guard let key = Data.fromDatabaseValue(row["record_key"]), let (source, conversationID) = Self.conversation(ofKey: Array(key))
            else { continue }
            if belongs(source, conversationID) { ids.append(row["id"]) }
        }
        let delete = try db.cachedStatement(sql: "DELETE FROM outbox WHERE id = ?")
        for id in ids { try delete.execute(arguments: [id]) }
        return ids.count
    }

    /// `{source}/{conversation_id}` split at its last `/` (ids never hold one).
    public static func conversation(ofKey key: [UInt8]) -> (source: String, conversationID: String)? {
        guard let slash = key.lastIndex(of: UInt8(ascii: "/")), slash > 0, slash < key.count - 1 else { return nil }
        return (String(decoding: key[..<slash], as: UTF8.self), String(decoding: key[(slash + 1)...], as: UTF8.self))
    }
}
