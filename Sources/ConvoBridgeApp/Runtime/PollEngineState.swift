import ConvoBridgeCore

/// What a source's poll engine holds in memory beside its schedule: per owned conversation, what lets an
/// unchanged answer cost no store access (the fingerprint of the last answer applied, the facts its next poll
/// depends on), and which schedules changed without a row being written (persisted lazily, in one transaction).
struct PollEngineState: Sendable {
    /// A conversation seen in a list page for the first time, waiting for its full read (Jelou's Advisor rows lack
    /// fields Get Conversation has): the row, and when its page was asked and answered.
    struct PendingListing: Sendable {
        var observation: ObservedConversation
        var requestedAt: Timestamp
        var answeredAt: Timestamp
    }

    struct Memo: Sendable {
        var facts = PollFacts()
        var hasSnapshot = false
        /// The hash of the platform payload behind the stored snapshot, when a poll applied it and nothing else
        /// changed the snapshot since: the same payload again means no change, without reading the store.
        var fingerprint: Int?

        /// Whether an answer with ``fingerprint`` may be taken as unchanged: the snapshot it made is the stored one,
        /// and no list row waits to be combined with the next full read.
        var canSkipUnchanged: Bool { pendingListing == nil && hasSnapshot && fingerprint != nil }
        /// When the request behind the last applied answer was sent (the store keeps it only with a change).
        var lastObservedAt: Timestamp?
        var consecutiveFailures = 0
        var pendingListing: PendingListing?
    }

    var scheduler = PollScheduler()
    var memos: [String: Memo] = [:]
    /// Conversations whose stored next poll differs from the scheduler's.
    var dirty: Set<String> = []

    /// Records that a poll of `conversationID` ended, next due at `nextDueAt`. Unless the row was just written with
    /// that due time (`saved`) and nothing asked during the poll changed it, the next flush saves it.
    mutating func finished(_ conversationID: String, nextDueAt: Timestamp?, saved: Bool = false) {
        scheduler.finished(conversationID, nextDueAt: nextDueAt)
        if saved, scheduler.dueAt(conversationID) == nextDueAt { return }
        dirty.insert(conversationID)
    }

    /// Takes the dirty schedule entries to persist. One in flight has no due time until its poll ends (it must not
    /// be saved as retired): it stays dirty.
    mutating func takeDirty() -> [(conversationID: String, nextPollAt: Timestamp?)] {
        var taken: [(conversationID: String, nextPollAt: Timestamp?)] = []
        for id in dirty where !scheduler.isInFlight(id) {
            dirty.remove(id)
            if scheduler.owns(id) { taken.append((id, scheduler.dueAt(id))) }
        }
        return taken
    }
}
