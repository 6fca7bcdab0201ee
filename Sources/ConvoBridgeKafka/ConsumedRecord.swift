public import ConvoBridgeCore

/// A record read back from Kafka.
public struct ConsumedRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    /// nil for a tombstone.
    public var value: [UInt8]?
    public var headers: [OutboundRecord.Header]
    /// The record's timestamp in milliseconds since the epoch, when it has one.
    public var timestamp: Int64?

    public init(
        topic: String,
        partition: Int32,
        offset: Int64,
        key: [UInt8]?,
        value: [UInt8]?,
        headers: [OutboundRecord.Header],
        timestamp: Int64?
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    public var keyString: String? { key.map { String(decoding: $0, as: UTF8.self) } }

    /// The first header named `name`, as UTF-8 text.
    public func header(_ name: String) -> String? { headers.text(of: name) }
}
