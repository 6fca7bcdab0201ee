public import ConvoBridgeCore

/// A page of the outbox in write order.
public struct OutboxPage: Sendable, Hashable {
    /// The id of the page's last row, readable or not; nil when the page is empty. The next page starts after it.
    public var lastID: Int64?
    public var entries: [OutboxEntry] = []
    /// Rows that cannot be made into a record: the relay quarantines them.
    public var unreadable: [UnreadableOutboxRow] = []
}

/// An outbox row the store cannot read back as a record (damaged, or edited by hand).
public struct UnreadableOutboxRow: Error, Sendable, Hashable {
    public var id: Int64
    /// Its key when that much is readable: the key's later records wait behind it.
    public var key: [UInt8]?
    public var reason: String
}

/// A record moved out of the outbox because it cannot be published as it is: Kafka refused it for good, or its row
/// cannot be read. Its conversation's later records wait behind it until an operator retries or drops it.
public struct QuarantinedRecord: Sendable, Hashable {
    /// Its outbox id; a retry puts it back in that place.
    public var id: Int64
    public var topic: String?
    /// The record key as text (`{source}/{conversation_id}`), when readable.
    public var key: String?
    public var sizeBytes: Int
    public var reason: String
    public var writtenAt: Timestamp
    public var quarantinedAt: Timestamp
}
