public import ConvoBridgeCore
import Foundation
import GRDB

extension BridgeStore {
    /// Moves outbox rows to the quarantine, each with why; their keys' later records stay in the outbox, held back
    /// by ``pendingOutbox(after:limit:)`` until the quarantined one is retried or dropped.
    /// - Returns: how many rows were moved (a row already gone is skipped).
    @discardableResult
    public func quarantineOutbox(_ rows: [(id: Int64, reason: String)], at time: Timestamp) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        return try await writing("quarantine outbox records") { db in
            let copy = try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO outbox_quarantine (id, topic, record_key, value, headers, created_at, record_time, reason, quarantined_at)
                    SELECT id, topic, record_key, value, headers, created_at, record_time, ?, ? FROM outbox WHERE id = ?
                    """)
            let delete = try db.cachedStatement(sql: "DELETE FROM outbox WHERE id = ?")
            var moved = 0
            for row in rows {
                try copy.execute(arguments: [row.reason, time.millisecondsSinceEpoch, row.id])
                guard db.changesCount > 0 else { continue }
                try delete.execute(arguments: [row.id])
                moved += 1
            }
            return moved
        }
    }

    /// The quarantined records, oldest first.
    public func quarantinedRecords(limit: Int = 1000) async throws -> [QuarantinedRecord] {
        try await reading("read quarantine") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, topic, record_key, length(value) + length(headers) + coalesce(length(record_key), 0) AS size,
                           reason, created_at, quarantined_at
                    FROM outbox_quarantine ORDER BY id LIMIT ?
                    """, arguments: [limit]
            ).map { row in
                let key = Data.fromDatabaseValue(row["record_key"]).map { String(decoding: $0, as: UTF8.self) }
                return QuarantinedRecord(
                    id: row["id"], topic: String.fromDatabaseValue(row["topic"]), key: key,
                    sizeBytes: Int.fromDatabaseValue(row["size"]) ?? 0, reason: String.fromDatabaseValue(row["reason"]) ?? "",
                    writtenAt: Timestamp(millisecondsSinceEpoch: Int64.fromDatabaseValue(row["created_at"]) ?? 0),
                    quarantinedAt: Timestamp(millisecondsSinceEpoch: Int64.fromDatabaseValue(row["quarantined_at"]) ?? 0))
            }
        }
    }

    public func quarantineCount() async throws -> Int {
        try await reading("count quarantine") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox_quarantine") ?? 0 }
    }

    /// Puts quarantined records back in the outbox at their old place (so before their keys' later records), to
    /// be published again; all of them when `ids` is nil.
    /// - Returns: how many went back.
    public func retryQuarantined(ids: [Int64]?) async throws -> Int {
        try await writing("retry quarantined records") { db in
            try Self.forEachQuarantined(db, ids: ids) { id in
                try db.execute(
                    sql: """
                        INSERT INTO outbox (id, topic, record_key, value, headers, created_at, record_time)
                        SELECT id, topic, record_key, value, headers, created_at, record_time FROM outbox_quarantine WHERE id = ?
                        """, arguments: [id])
                try db.execute(sql: "DELETE FROM outbox_quarantine WHERE id = ?", arguments: [id])
            }
        }
    }

    /// Deletes quarantined records for good; all of them when `ids` is nil. Their conversations' later records are
    /// then published, with a gap in their sequence where the dropped one was.
    /// - Returns: how many were deleted.
    public func dropQuarantined(ids: [Int64]?) async throws -> Int {
        try await writing("drop quarantined records") { db in
            try Self.forEachQuarantined(db, ids: ids) { id in
                try db.execute(sql: "DELETE FROM outbox_quarantine WHERE id = ?", arguments: [id])
            }
        }
    }

    private static func forEachQuarantined(_ db: Database, ids: [Int64]?, _ body: (Int64) throws -> Void) throws -> Int {
        let present = try Int64.fetchAll(db, sql: "SELECT id FROM outbox_quarantine ORDER BY id")
        let chosen = ids.map { Set($0) }.map { wanted in present.filter(wanted.contains) } ?? present
        for id in chosen { try body(id) }
        return chosen.count
    }
}
