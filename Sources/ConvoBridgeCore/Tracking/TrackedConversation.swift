/// What the bridge remembers of one conversation between observations: the last snapshot, the last sequence number
/// used, and what its schedule needs.
public struct TrackedConversation: Sendable, Hashable {
    public var source: String
    public var conversationID: String
    /// nil until the first successful observation (a conversation known only from a webhook or the config).
    public var snapshot: ConversationSnapshot?
    /// The sequence number of the last event published for this conversation (0: none yet).
    public var lastSequence: Int64
    /// Consecutive 404s from the platform; `conversation.vanished` comes after the configured number.
    public var consecutiveNotFound: Int
    /// Consecutive failed polls (errors, unreadable answers), for the error backoff.
    public var consecutiveFailures: Int
    /// When the bridge first saw the conversation closed (the start of the closed grace period).
    public var closedSince: Timestamp?
    /// Gone from the platform: no more polls, no more events.
    public var vanished: Bool
    /// When the request behind the last applied answer was sent. An answer to an older request (a poll and a
    /// discovery walk racing) is stale and must not be applied over a newer one, or it would invent a transition.
    public var lastObservedAt: Timestamp?
    /// Whether a next poll is scheduled (read from the store; a write sets the schedule through its plan).
    public var isScheduled: Bool = false

    public init(
        source: String, conversationID: String, snapshot: ConversationSnapshot? = nil, lastSequence: Int64 = 0,
        consecutiveNotFound: Int = 0, consecutiveFailures: Int = 0, closedSince: Timestamp? = nil, vanished: Bool = false,
        lastObservedAt: Timestamp? = nil
    ) {
        self.source = source
        self.conversationID = conversationID
        self.snapshot = snapshot
        self.lastSequence = lastSequence
        self.consecutiveNotFound = consecutiveNotFound
        self.consecutiveFailures = consecutiveFailures
        self.closedSince = closedSince
        self.vanished = vanished
        self.lastObservedAt = lastObservedAt
    }

    /// Whether an answer to a request sent at `requestedAt` is older than the one already applied.
    public func isStale(requestedAt: Timestamp) -> Bool {
        lastObservedAt.map { requestedAt < $0 } ?? false
    }
}
