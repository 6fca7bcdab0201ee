/// A record of the watch topic: "watch this conversation". Keyed `{source}/{conversation_id}` on the partition
/// ``CoordinationPartitioner`` gives it, so the replica that owns that partition picks it up and polls the
/// conversation. Everything that adds a watch (the configuration, discovery, webhooks, the admin API, a topic of ids)
/// writes one; the topic is compacted, so writing one again costs nothing but a record.
public struct WatchRecord: Sendable, Hashable {
    public var source: String
    public var conversationID: String
    /// How the conversation came to be watched (`config`, `discovery`, `webhook`, `admin`, `ids_topic`).
    public var origin: String
    /// Poll as soon as the owner reads it (a webhook said something changed), not only when new to it.
    public var pollNow: Bool

    public init(source: String, conversationID: String, origin: String, pollNow: Bool = false) {
        self.source = source
        self.conversationID = conversationID
        self.origin = origin
        self.pollNow = pollNow
    }

    public var key: String { ConversationEvent.key(source: source, conversationID: conversationID) }

    public func record(topic: String, partitioner: CoordinationPartitioner) -> OutboundRecord {
        let value: JSONValue = .object([
            "v": .integer(1), "source": .string(source), "conversation_id": .string(conversationID), "origin": .string(origin),
            "poll_now": .bool(pollNow),
        ])
        return OutboundRecord(
            topic: topic, key: Array(key.utf8), value: JSONWriter.encode(value), headers: [],
            partition: partitioner.partition(source: source, conversationID: conversationID))
    }

    /// Reads a watch record's value; nil for anything else (a record some other writer put there). The id is
    /// checked against its platform's rule (``ConversationIDRule``) by whoever knows the source.
    public init?(value: [UInt8]?) {
        guard let value, value.count <= 64 * 1024, let json = try? JSONParser.parse(value),
            let source = json["source"]?.stringValue, let conversationID = json["conversation_id"]?.stringValue,
            !source.isEmpty, !conversationID.isEmpty, conversationID.utf8.count <= ConversationIDRule.maxBytes
        else { return nil }
        self.init(
            source: source, conversationID: conversationID, origin: json["origin"]?.stringValue ?? "unknown",
            pollNow: json["poll_now"]?.boolValue ?? false)
    }
}
