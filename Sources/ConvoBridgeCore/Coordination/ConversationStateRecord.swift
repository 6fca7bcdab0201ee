/// A record of the internal state topic: what a new owner of a conversation's partition needs to continue it
/// exactly where the last owner left it (the last snapshot, the last sequence, the schedule's essentials). Written in
/// the same Kafka transaction as the events it follows, so restoring it `read_committed` never gives a sequence
/// that was not published, nor loses one that was.
///
/// Keyed `{source}/{conversation_id}` on the partition ``CoordinationPartitioner`` gives it (co-partitioned with the
/// watch topic); the topic is compacted, so its size follows the number of conversations, not of polls.
public struct ConversationStateRecord: Sendable, Hashable {
    public static let version = 1
    public var tracked: TrackedConversation
    /// When the next poll is due (nil: retired).
    public var nextPollAt: Timestamp?

    public init(tracked: TrackedConversation, nextPollAt: Timestamp?) {
        self.tracked = tracked
        self.nextPollAt = nextPollAt
    }

    public func record(topic: String, partitioner: CoordinationPartitioner, observedAt: Timestamp?) -> OutboundRecord {
        let value: JSONValue = .object([
            "v": .integer(Self.version),
            "source": .string(tracked.source),
            "conversation_id": .string(tracked.conversationID),
            "last_sequence": .integer(tracked.lastSequence),
            "snapshot": tracked.snapshot?.jsonValue ?? .null,
            "consecutive_not_found": .integer(tracked.consecutiveNotFound),
            "consecutive_failures": .integer(tracked.consecutiveFailures),
            "closed_since": tracked.closedSince.map { .integer($0.millisecondsSinceEpoch) } ?? .null,
            "vanished": .bool(tracked.vanished),
            "last_observed_at": tracked.lastObservedAt.map { .integer($0.millisecondsSinceEpoch) } ?? .null,
            "next_poll_at": nextPollAt.map { .integer($0.millisecondsSinceEpoch) } ?? .null,
        ])
        return OutboundRecord(
            topic: topic, key: Array(ConversationEvent.key(source: tracked.source, conversationID: tracked.conversationID).utf8),
            value: JSONWriter.encode(value), headers: [.init(name: "content-type", value: "application/json")],
            timestamp: observedAt?.millisecondsSinceEpoch,
            partition: partitioner.partition(source: tracked.source, conversationID: tracked.conversationID))
    }

    /// Why a record of the state topic cannot be restored.
    public struct Unreadable: Error, Sendable, Hashable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Reads a state record's value. Counters out of range are clamped rather than refused: the topic is the
    /// bridge's own, and a record that restores a little wrong beats a conversation that cannot be taken over.
    public init(value: [UInt8]) throws(Unreadable) {
        guard value.count <= 16 * 1024 * 1024 else { throw Unreadable(reason: "a state record of \(value.count) bytes") }
        let json: JSONValue
        do {
            json = try CoordinationRecordValue.object(value, version: Self.version, kind: "state record")
        } catch {
            throw Unreadable(reason: error.reason)
        }
        guard let source = json["source"]?.stringValue, !source.isEmpty, let conversationID = json["conversation_id"]?.stringValue,
            !conversationID.isEmpty
        else { throw Unreadable(reason: "no source or conversation_id") }
        guard let lastSequence = json["last_sequence"]?.int64Value, lastSequence >= 0 else {
            throw Unreadable(reason: "last_sequence is missing or negative")
        }
        var snapshot: ConversationSnapshot?
        if let snapshotJSON = json["snapshot"], snapshotJSON != .null {
            do {
                snapshot = try ConversationSnapshot(json: snapshotJSON)
            } catch {
                throw Unreadable(reason: "snapshot: \(error)")
            }
        }
        func time(_ name: String) -> Timestamp? { json[name]?.int64Value.map(Timestamp.init(millisecondsSinceEpoch:)) }
        func count(_ name: String) -> Int { Int(clamping: max(0, json[name]?.int64Value ?? 0)) }
        self.init(
            tracked: TrackedConversation(
                source: source, conversationID: conversationID, snapshot: snapshot, lastSequence: lastSequence,
                consecutiveNotFound: count("consecutive_not_found"), consecutiveFailures: count("consecutive_failures"),
                closedSince: time("closed_since"), vanished: json["vanished"]?.boolValue ?? false, lastObservedAt: time("last_observed_at")),
            nextPollAt: time("next_poll_at"))
    }
}
