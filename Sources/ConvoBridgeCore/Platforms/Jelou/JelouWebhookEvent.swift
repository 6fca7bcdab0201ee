/// Reads the events Jelou's external-support panel pushes: `conversation.start`, `conversation.close` (named by
/// `event`) and `message` (named by `event_type`, conversation in `conversation.id`), `timestamp` in Unix ms.
///
/// Only part of the start/close payloads is documented, so the conversation id is looked for in each place the
/// documented payloads use for it.
public enum JelouWebhookEvent {
    public static let context = "jelou webhook"
    static let namePaths = ["event", "event_type"]
    static let conversationIDPaths = ["conversation.id", "conversation_id", "conversationId", "data.conversation.id", "data.conversationId", "data._id"]

    public static func nativeEvent(from body: JSONValue) throws(PayloadError) -> NativeEvent {
        let reader = PayloadReader(context: context, root: body)
        guard body.objectValue != nil else { throw reader.failure("", "expected a JSON object, found \(body.kindName)") }
        guard let name = try firstString(reader, namePaths) else {
            throw reader.failure("", "no event name at \(namePaths.joined(separator: " or "))")
        }
        guard isEventName(name) else { throw reader.failure("event", "not an event name: \(name.prefix(64))") }
        guard let conversationID = try firstString(reader, conversationIDPaths) else {
            throw reader.failure("", "no conversation id at \(conversationIDPaths.joined(separator: ", "))")
        }
        let occurredAt = try reader.integer("timestamp").map(Timestamp.init(millisecondsSinceEpoch:))
        return NativeEvent(platform: .jelou, name: name, conversationID: conversationID, occurredAt: occurredAt, payload: body)
    }

    private static func firstString(_ reader: PayloadReader, _ paths: [String]) throws(PayloadError) -> String? {
        for path in paths {
            if let text = try reader.string(path), !text.isEmpty { return text }
        }
        return nil
    }

    /// Lowercase letters, digits, `.`, `_` and `-`: the name becomes part of `ce_type`.
    static func isEventName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }
}
