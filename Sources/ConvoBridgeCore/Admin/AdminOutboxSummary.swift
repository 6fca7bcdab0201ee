/// `GET /admin/outbox`: records waiting for Kafka.
public struct AdminOutboxSummary: Codable, Sendable, Hashable {
    public var depth: Int
    public var quarantined: Int
    /// 0 when nothing waits.
    public var oldestAgeSeconds: Double

    public init(depth: Int, quarantined: Int, oldestAgeSeconds: Double) {
        self.depth = depth
        self.quarantined = quarantined
        self.oldestAgeSeconds = oldestAgeSeconds
    }

    enum CodingKeys: String, CodingKey {
        case depth, quarantined
        case oldestAgeSeconds = "oldest_age_seconds"
    }
}
