/// Where a platform's webhook payload keeps the event name, the conversation id and the time, and how its event
/// names become the `{platform}.{name}` of the forwarded CloudEvent.
///
/// The platforms document little of their webhook payloads, so each format looks in every place its documented
/// (or observed) payloads use, in order; a configuration can name the conversation id's path instead.
public struct WebhookEventFormat: Sendable, Hashable {
    public var platform: Platform
    public var namePaths: [String]
    public var conversationIDPaths: [String]
    /// Unix milliseconds.
    public var timestampPath: String?

    public init(platform: Platform, namePaths: [String], conversationIDPaths: [String], timestampPath: String? = nil) {
        self.platform = platform
        self.namePaths = namePaths
        self.conversationIDPaths = conversationIDPaths
        self.timestampPath = timestampPath
    }

    /// `conversation.start`, `conversation.close` (in `event`) and `message` (in `event_type`).
    public static let jelou = WebhookEventFormat(
        platform: .jelou, namePaths: ["event", "event_type"],
        conversationIDPaths: ["conversation.id", "conversation_id", "conversationId", "data.conversation.id", "data.conversationId", "data._id"],
        timestampPath: "timestamp")

    /// An agent's outbound webhook: `USER_MESSAGE_RECEIVED`, `AGENT_MESSAGE_SENDED`, … (forwarded lowercased).
    public static let chatvolt = WebhookEventFormat(
        platform: .chatvolt, namePaths: ["eventType", "event", "type"],
        conversationIDPaths: ["conversationId", "conversation.id", "data.conversationId", "data.conversation.id", "payload.conversationId"])

    /// Zild Admin's integrations: "Conversation Ended", "Evaluation Result", … (forwarded as `conversation_ended`…).
    public static let zild = WebhookEventFormat(
        platform: .zild, namePaths: ["event", "eventType", "type", "eventName"],
        conversationIDPaths: ["conversationId", "conversation.id", "data.conversationId", "data.id", "data.conversation.id"])

    public static func `for`(_ platform: Platform) -> WebhookEventFormat {
        switch platform {
        case .jelou: .jelou
        case .chatvolt: .chatvolt
        case .zild: .zild
        }
    }

    /// This format with the conversation id read from `path` only.
    public func withConversationIDPath(_ path: String) -> WebhookEventFormat {
        var format = self
        format.conversationIDPaths = [path]
        return format
    }

    public var context: String { "\(platform.rawValue) webhook" }

    public func nativeEvent(from body: JSONValue) throws(PayloadError) -> NativeEvent {
        let reader = PayloadReader(context: context, root: body)
        guard body.objectValue != nil else { throw reader.failure("", "expected a JSON object, found \(body.kindName)") }
        guard let rawName = try Self.firstString(reader, namePaths) else {
            throw reader.failure("", "no event name at \(namePaths.joined(separator: " or "))")
        }
        let name = Self.normalizedName(rawName)
        guard Self.isEventName(name) else { throw reader.failure(namePaths[0], "not an event name: \(rawName.prefix(64))") }
        guard let conversationID = try Self.firstString(reader, conversationIDPaths) else {
            throw reader.failure("", "no conversation id at \(conversationIDPaths.joined(separator: ", "))")
        }
        if let problem = ConversationIDRule.problem(conversationID, platform: platform) { throw reader.failure("", problem) }
        let occurredAt = try timestampPath.flatMap { (path) throws(PayloadError) -> Timestamp? in
            guard let milliseconds = try reader.integer(path) else { return nil }
            let timestamp = Timestamp(millisecondsSinceEpoch: milliseconds)
            guard timestamp.isWithinContractRange else {
                throw reader.failure(path, "\(milliseconds) ms is outside the years 0001–9999")
            }
            return timestamp
        }
        return NativeEvent(platform: platform, name: name, conversationID: conversationID, occurredAt: occurredAt, payload: body)
    }

    private static func firstString(_ reader: PayloadReader, _ paths: [String]) throws(PayloadError) -> String? {
        for path in paths {
            if let text = try reader.string(path), !text.isEmpty { return text }
        }
        return nil
    }

    /// Lowercase, spaces as `_`: `Conversation Ended` → `conversation_ended`, `USER_MESSAGE_RECEIVED` →
    /// `user_message_received`.
    static func normalizedName(_ name: String) -> String {
        String(name.trimmingASCIISpaces.lowercased().map { $0 == " " ? "_" : $0 })
    }

    /// Lowercase letters, digits, `.`, `_` and `-`: the name becomes part of `ce_type`.
    static func isEventName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
    }
}

extension String {
    fileprivate var trimmingASCIISpaces: Substring {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return text
    }
}
