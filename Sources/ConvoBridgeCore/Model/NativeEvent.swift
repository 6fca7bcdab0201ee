/// An event a platform pushed by webhook (Jelou `conversation.close`, `message`…), verified and read, to be
/// forwarded as `{platform}.{name}` with its payload unchanged, and to put its conversation on the watch list.
public struct NativeEvent: Sendable, Hashable {
    public var platform: Platform
    /// The platform's own event name, e.g. `conversation.close`.
    public var name: String
    public var conversationID: String
    /// The platform's time for the event when it gives one.
    public var occurredAt: Timestamp?
    public var payload: JSONValue

    public init(platform: Platform, name: String, conversationID: String, occurredAt: Timestamp?, payload: JSONValue) {
        self.platform = platform
        self.name = name
        self.conversationID = conversationID
        self.occurredAt = occurredAt
        self.payload = payload
    }

    public var eventType: EventType { .native(platform: platform, name: name) }
}
