public import ConvoBridgeCore
import Foundation
import GRDB

extension BridgeStore {
    /// The oldest `limit` outbox entries, in the order they were written.
    public func pendingOutbox(limit: Int) async throws -> [OutboxEntry] {
        try await reading("read outbox") { db in
            try Row.fetchAll(db, sql: "SELECT id, topic, record_key, value, headers FROM outbox ORDER BY id LIMIT ?", arguments: [limit])
                .map { row in
                    let key: Data? = row["record_key"]
                    let value: Data? = row["value"]
                    let headers: Data = row["headers"]
                    return OutboxEntry(id: row["id"], record: OutboundRecord(
                        topic: row["topic"], key: key.map { Array($0) }, value: value.map { Array($0) },
                        headers: try Self.decodeHeaders(Array(headers))))
                }
        }
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
