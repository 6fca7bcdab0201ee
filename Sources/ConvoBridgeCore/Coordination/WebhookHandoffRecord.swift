/// A record of the handoff topic: a verified webhook event that reached a replica which does not own its
/// conversation. Keyed `{source}/{conversation_id}` on the partition ``CoordinationPartitioner`` gives it
/// (co-partitioned with the watch and state topics), so the owner reads it and forwards the event itself, with the
/// conversation's next sequence, in the same transaction as the record's consumed offset: once, even across a
/// handover.
public struct WebhookHandoffRecord: Sendable, Hashable {
    public static let version = 1
    /// The largest value read back: the webhook receiver's body limit is far below it.
    public static let maxValueBytes = 4 * 1024 * 1024
    /// The largest webhook body a replica group accepts: its record (the payload, escaped, and a few fields) stays
    /// under the producer's and the broker's default `message.max.bytes` (1,000,000 bytes).
    public static let maxBodyBytes = 512 * 1024

    public var source: String
    public var event: NativeEvent
    /// The body's digest, so the owner recognises a body it already forwarded.
    public var bodyDigest: [UInt8]
    public var receivedAt: Timestamp

    public init(source: String, event: NativeEvent, bodyDigest: [UInt8], receivedAt: Timestamp) {
        self.source = source
        self.event = event
        self.bodyDigest = bodyDigest
        self.receivedAt = receivedAt
    }

    public func record(topic: String, partitioner: CoordinationPartitioner) -> OutboundRecord {
        let value: JSONValue = .object([
            "v": .integer(Self.version),
            "source": .string(source),
            "platform": .string(event.platform.rawValue),
            "name": .string(event.name),
            "conversation_id": .string(event.conversationID),
            "occurred_at": event.occurredAt.map { .integer($0.millisecondsSinceEpoch) } ?? .null,
            "payload": event.payload,
            "body_digest": .string(Self.hex(bodyDigest)),
            "received_at": .integer(receivedAt.millisecondsSinceEpoch),
        ])
        return OutboundRecord(
            topic: topic, key: Array(ConversationEvent.key(source: source, conversationID: event.conversationID).utf8),
            value: JSONWriter.encode(value), headers: [.init(name: "content-type", value: "application/json")],
            timestamp: receivedAt.millisecondsSinceEpoch, partition: partitioner.partition(source: source, conversationID: event.conversationID))
    }

    /// Why a record of the handoff topic cannot be forwarded.
    public struct Unreadable: Error, Sendable, Hashable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Reads a handoff record's value. The topic is the bridge's own, but a record some other writer put there must
    /// only be skipped: every field is checked, and the conversation id against its platform's rule by the owner.
    public init(value: [UInt8]?) throws(Unreadable) {
        guard let value else { throw Unreadable(reason: "a tombstone") }
        guard value.count <= Self.maxValueBytes else { throw Unreadable(reason: "a handoff record of \(value.count) bytes") }
        let json: JSONValue
        do {
            json = try CoordinationRecordValue.object(value, version: Self.version, kind: "handoff record")
        } catch {
            throw Unreadable(reason: error.reason)
        }
        guard let source = json["source"]?.stringValue, !source.isEmpty, let conversationID = json["conversation_id"]?.stringValue,
            !conversationID.isEmpty, conversationID.utf8.count <= ConversationIDRule.maxBytes
        else { throw Unreadable(reason: "no source or conversation_id, or a conversation_id too long") }
        guard let platform = json["platform"]?.stringValue.flatMap(Platform.init(rawValue:)) else {
            throw Unreadable(reason: "no known platform")
        }
        guard let name = json["name"]?.stringValue, !name.isEmpty, name.utf8.count <= 200 else {
            throw Unreadable(reason: "no event name, or one over 200 bytes")
        }
        guard let receivedAt = json["received_at"]?.int64Value.flatMap(Self.timestamp) else {
            throw Unreadable(reason: "received_at is missing or out of range")
        }
        guard let digest = json["body_digest"]?.stringValue.flatMap(Self.bytes(hex:)), digest.count <= 64 else {
            throw Unreadable(reason: "body_digest is missing or not hexadecimal")
        }
        self.init(
            source: source,
            event: NativeEvent(
                platform: platform, name: name, conversationID: conversationID,
                occurredAt: json["occurred_at"]?.int64Value.flatMap(Self.timestamp), payload: json["payload"] ?? .null),
            bodyDigest: digest, receivedAt: receivedAt)
    }

    /// A time within the contract's range (four-digit years), as every other time the bridge reads.
    private static func timestamp(_ milliseconds: Int64) -> Timestamp? {
        Timestamp.contractRange.contains(milliseconds) ? Timestamp(millisecondsSinceEpoch: milliseconds) : nil
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count.isMultiple(of: 2) else { return nil }
        func nibble(_ character: UInt8) -> UInt8? {
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: utf8.count, by: 2) {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}
