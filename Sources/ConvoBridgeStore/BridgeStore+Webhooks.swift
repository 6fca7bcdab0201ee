public import ConvoBridgeCore
import Foundation
import GRDB

/// A webhook delivery to remember, so that the same body sent again within `rememberedFor` is recognised.
public struct WebhookDelivery: Sendable, Hashable {
    /// SHA-256 of the raw body.
    public var digest: [UInt8]
    public var receivedAt: Timestamp
    public var rememberedFor: Duration

    public init(digest: [UInt8], receivedAt: Timestamp, rememberedFor: Duration) {
        self.digest = digest
        self.receivedAt = receivedAt
        self.rememberedFor = rememberedFor
    }
}

/// The same webhook body was recorded within its memory: the write it came with is not made.
public struct DuplicateDelivery: Error, Sendable, Hashable {
    public var firstSeenAt: Timestamp
}

extension BridgeStore {
    /// Rows of expired deliveries deleted per delivery recorded: the table stays as large as the memory, with no
    /// sweeping task.
    static let expiredDeliveriesPerWrite = 16

    /// Inside the write's transaction: throws ``DuplicateDelivery`` (rolling the write back) when the body was seen
    /// within its memory, else remembers it and forgets a few expired ones.
    static func remember(_ delivery: WebhookDelivery, source: String, conversationID: String, _ db: Database) throws {
        let received = delivery.receivedAt.millisecondsSinceEpoch
        let oldest = received.subtractingSaturated(delivery.rememberedFor.wholeMilliseconds)
        let seen = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT seen_at FROM webhook_seen WHERE source = ? AND digest = ?"),
            arguments: [source, Data(delivery.digest)])
        if let seen, seen >= oldest { throw DuplicateDelivery(firstSeenAt: Timestamp(millisecondsSinceEpoch: seen)) }
        try db.cachedStatement(
            sql: """
                INSERT INTO webhook_seen (source, digest, seen_at, conversation_id) VALUES (?, ?, ?, ?)
                ON CONFLICT (source, digest) DO UPDATE SET seen_at = excluded.seen_at, conversation_id = excluded.conversation_id
                """
        ).execute(arguments: [source, Data(delivery.digest), received, conversationID])
        try db.cachedStatement(
            sql: """
                DELETE FROM webhook_seen WHERE (source, digest) IN
                    (SELECT source, digest FROM webhook_seen WHERE seen_at < ? ORDER BY seen_at LIMIT ?)
                """
        ).execute(arguments: [oldest, Self.expiredDeliveriesPerWrite])
    }

    /// Deliveries remembered (for tests and the status).
    public func rememberedDeliveries() async throws -> Int {
        try await reading("count webhook deliveries") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhook_seen") ?? 0 }
    }
}
