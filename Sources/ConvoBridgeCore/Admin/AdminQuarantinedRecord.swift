/// `GET /admin/quarantine`: one record Kafka refused for good, or whose outbox row could not be read.
public struct AdminQuarantinedRecord: Codable, Sendable, Hashable {
    public var id: Int64
    public var key: String?
    public var topic: String?
    public var sizeBytes: Int
    public var reason: String
    /// RFC 3339.
    public var writtenAt: String
    /// RFC 3339.
    public var quarantinedAt: String

    public init(id: Int64, key: String?, topic: String?, sizeBytes: Int, reason: String, writtenAt: String, quarantinedAt: String) {
        self.id = id
        self.key = key
        self.topic = topic
        self.sizeBytes = sizeBytes
        self.reason = reason
        self.writtenAt = writtenAt
        self.quarantinedAt = quarantinedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, key, topic, reason
        case sizeBytes = "size_bytes"
        case writtenAt = "written_at"
        case quarantinedAt = "quarantined_at"
    }

    /// An unreadable row's missing key or topic is written as null, not left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(key, forKey: .key)
        try container.encode(topic, forKey: .topic)
        try container.encode(sizeBytes, forKey: .sizeBytes)
        try container.encode(reason, forKey: .reason)
        try container.encode(writtenAt, forKey: .writtenAt)
        try container.encode(quarantinedAt, forKey: .quarantinedAt)
    }
}
