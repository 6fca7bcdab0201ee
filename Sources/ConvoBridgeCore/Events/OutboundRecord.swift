/// A record ready for Kafka: topic, key, value (nil for a tombstone) and headers, already encoded.
///
/// The outbox stores records in this form, so a re-delivery sends exactly the original bytes.
public struct OutboundRecord: Sendable, Hashable {
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: [UInt8]

        public init(name: String, value: [UInt8]) {
            self.name = name
            self.value = value
        }

        public init(name: String, value: String) {
            self.init(name: name, value: Array(value.utf8))
        }
    }

    public var topic: String
    public var key: [UInt8]?
    /// The value; nil makes a tombstone on a compacted topic.
    public var value: [UInt8]?
    public var headers: [Header]
    /// The record's timestamp (Kafka `CreateTime`), milliseconds since the epoch: the observation time of what it
    /// reports, so that a re-delivery carries the same time and time-partitioned sinks land it in the same place.
    /// nil lets the producer stamp it with the time of sending.
    public var timestamp: Int64?
    /// The partition to write to; nil leaves it to the producer's partitioner. Set for the coordination topics,
    /// whose partition every replica must compute alike (``CoordinationPartitioner``); never stored in the outbox.
    public var partition: Int32?

    public init(topic: String, key: [UInt8]?, value: [UInt8]?, headers: [Header] = [], timestamp: Int64? = nil, partition: Int32? = nil) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
        self.partition = partition
    }

    /// The first header named `name`, as UTF-8 text.
    public func header(_ name: String) -> String? { headers.text(of: name) }

    /// The bytes Kafka counts against `message.max.bytes`, without the record's framing: key, value, headers.
    public var encodedSize: Int {
        (key?.count ?? 0) + (value?.count ?? 0) + headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.count }
    }
}

extension Array where Element == OutboundRecord.Header {
    /// The value of the first header named `name`, as UTF-8 text.
    public func text(of name: String) -> String? {
        first(where: { $0.name == name }).map { String(decoding: $0.value, as: UTF8.self) }
    }
}
