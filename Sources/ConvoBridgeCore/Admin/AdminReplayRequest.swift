/// `POST /admin/subscriptions/{name}/replay`: which events of the topic to deliver again. At least one of them:
/// a conversation (`{source}/{conversation_id}`, the record key), and/or a time range (RFC 3339, the events' time).
public struct AdminReplayRequest: Codable, Sendable, Hashable {
    public var conversation: String?
    public var from: String?
    public var to: String?

    public init(conversation: String? = nil, from: String? = nil, to: String? = nil) {
        self.conversation = conversation
        self.from = from
        self.to = to
    }
}
