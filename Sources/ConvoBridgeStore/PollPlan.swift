public import ConvoBridgeCore

/// What a write does to a conversation's next poll.
public enum PollPlan: Sendable, Hashable {
    /// Leave the schedule as it is.
    case keep
    /// Poll at this time.
    case at(Timestamp)
    /// Poll at this time, or earlier if already scheduled earlier (discovery, webhooks).
    case noLaterThan(Timestamp)
    /// Stop polling (vanished, or closed past its grace period).
    case retire
}

/// What one transaction writes for one conversation.
public struct ConversationWrite: Sendable, Hashable {
    public var tracked: TrackedConversation
    /// Appended to the outbox in this order, in the same transaction.
    public var records: [OutboundRecord]
    public var poll: PollPlan
    /// Set by the store once written: the outbox id of the last record this write added (its state record with
    /// replicas); nil when it added none.
    public var outboxThrough: Int64?

    public init(tracked: TrackedConversation, records: [OutboundRecord] = [], poll: PollPlan) {
        self.tracked = tracked
        self.records = records
        self.poll = poll
    }
}

/// One outbox row: a record already encoded (so a re-publication after a restart carries the original `ce_id`).
public struct OutboxEntry: Sendable, Hashable {
    public var id: Int64
    public var record: OutboundRecord
}

/// A position in a Kafka topic: the partition and the offset to read next.
public struct TopicPosition: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var nextOffset: Int64

    public init(topic: String, partition: Int32, nextOffset: Int64) {
        self.topic = topic
        self.partition = partition
        self.nextOffset = nextOffset
    }
}
