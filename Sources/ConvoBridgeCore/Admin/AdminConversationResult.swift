/// What an admin request did to one conversation: `watching`, `removed` or `polling`.
public struct AdminConversationResult: Codable, Sendable, Hashable {
    public var status: String
    public var conversationID: String

    public init(status: String, conversationID: String) {
        self.status = status
        self.conversationID = conversationID
    }

    enum CodingKeys: String, CodingKey {
        case status
        case conversationID = "conversation_id"
    }
}
