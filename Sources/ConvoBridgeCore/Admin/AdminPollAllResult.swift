/// `POST /admin/sources/{source}/poll`: how many conversations are polled now.
public struct AdminPollAllResult: Codable, Sendable, Hashable {
    public var status: String
    public var conversations: Int

    public init(conversations: Int) {
        status = "polling"
        self.conversations = conversations
    }
}
