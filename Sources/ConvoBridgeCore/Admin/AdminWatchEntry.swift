/// `GET /admin/sources/{source}/conversations`: one conversation of the watch list.
public struct AdminWatchEntry: Codable, Sendable, Hashable {
    public var conversationID: String
    /// RFC 3339; null when it is no longer polled.
    public var nextPollAt: String?
    public var status: String?
    public var state: String?
    public var lastSequence: Int64
    public var vanished: Bool

    public init(conversationID: String, nextPollAt: String?, status: String?, state: String?, lastSequence: Int64, vanished: Bool) {
        self.conversationID = conversationID
        self.nextPollAt = nextPollAt
        self.status = status
        self.state = state
        self.lastSequence = lastSequence
        self.vanished = vanished
    }

    enum CodingKeys: String, CodingKey {
        case status, state, vanished
        case conversationID = "conversation_id"
        case nextPollAt = "next_poll_at"
        case lastSequence = "last_sequence"
    }

    /// What is unknown is written as null, not left out.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(conversationID, forKey: .conversationID)
        try container.encode(nextPollAt, forKey: .nextPollAt)
        try container.encode(status, forKey: .status)
        try container.encode(state, forKey: .state)
        try container.encode(lastSequence, forKey: .lastSequence)
        try container.encode(vanished, forKey: .vanished)
    }
}
