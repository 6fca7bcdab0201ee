public import ConvoBridgeCore
import Foundation
import GRDB

extension BridgeStore {
    /// The oldest `limit` outbox rows after id `after`, in the order they were written, without the rows of keys
    /// that have a record in quarantine (they wait behind it). A row that cannot be read comes back in
    /// ``OutboxPage/unreadable`` instead of failing the page.
    public func pendingOutbox(after: Int64 = 0, limit: Int) async throws -> OutboxPage {
        try await reading("read outbox") { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, topic, record_key, value, headers, record_time FROM outbox
                    WHERE id > ? AND (record_key IS NULL OR record_key NOT IN (SELECT record_key FROM outbox_quarantine WHERE record_key IS NOT NULL))
                    ORDER BY id LIMIT ?
                    """, arguments: [after, limit])
            var page = OutboxPage(lastID: rows.last.map { $0["id"] })
            for row in rows {
                switch Self.outboxEntry(row) {
                case .success(let entry): page.entries.append(entry)
                case .failure(let problem): page.unreadable.append(problem)
                }
            }
            return page
        }
    }

    /// One outbox row as a record; never traps on a value of the wrong type (a damaged or hand-edited store).
    static func outboxEntry(_ row: Row) -> Result<OutboxEntry, UnreadableOutboxRow> {
        let id: Int64 = row["id"]
        let keyValue: DatabaseValue = row["record_key"]
        let key = Data.fromDatabaseValue(keyValue).map { Array($0) }
        func unreadable(_ reason: String) -> Result<OutboxEntry, UnreadableOutboxRow> {
            .failure(UnreadableOutboxRow(id: id, key: key, reason: reason))
        }
        guard keyValue.isNull || key != nil else { return unreadable("record_key is not bytes") }
        guard let topic = String.fromDatabaseValue(row["topic"]), !topic.isEmpty else { return unreadable("topic is missing or not text") }
        let valueColumn: DatabaseValue = row["value"]
        let value = Data.fromDatabaseValue(valueColumn).map { Array($0) }
        guard valueColumn.isNull || value != nil else { return unreadable("value is not bytes") }
        guard let headerBytes = Data.fromDatabaseValue(row["headers"]) else { return unreadable("headers are missing") }
        let headers: [OutboundRecord.Header]
        do {
            headers = try Self.decodeHeaders(Array(headerBytes))
        } catch {
            return unreadable("headers are not the JSON the bridge writes: \(error)")
        }
        // A time that is not an integer (a hand-edited store) leaves the record to be stamped by the producer.
        let timestamp = Int64.fromDatabaseValue(row["record_time"])
        return .success(OutboxEntry(id: id, record: OutboundRecord(topic: topic, key: key, value: value, headers: headers, timestamp: timestamp)))
    }

    /// Removes entries Kafka acknowledged.
    public func removeOutbox(ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await writing("trim outbox") { db in
            let delete = try db.cachedStatement(sql: "DELETE FROM outbox WHERE id = ?")
            for id in ids { try delete.execute(arguments: [id]) }
        }
    }

    /// When the oldest outbox record was written; nil when the outbox is empty.
    public func oldestOutboxTime() async throws -> Timestamp? {
        try await reading("read outbox age") { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(created_at) FROM outbox").map(Timestamp.init(millisecondsSinceEpoch:))
        }
    }

    public func outboxCount() async throws -> Int {
        try await reading("count outbox") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 }
    }
}
