/// Applies what a poll or a webhook said of a conversation to what the bridge remembers of it, and yields the
/// records to publish. Pure: the store runs it inside the transaction that saves its result, so the snapshot and
/// its events are written together or not at all.
public struct ConversationTracker: Sendable {
    /// What one poll of one conversation said.
    public enum Outcome: Sendable, Hashable {
        case observed(ObservedConversation)
        /// The platform's own 404.
        case notFound
    }

    /// The new state and what to publish for it, in order.
    public struct Result: Sendable, Hashable {
        public var tracked: TrackedConversation
        public var events: [ConversationEvent]
        /// Event records, then the state record (latest snapshot, or tombstone) when the snapshot changed.
        public var records: [OutboundRecord]
    }

    public let encoder: CloudEventEncoder
    /// Consecutive 404s before `conversation.vanished`.
    public let vanishAfterNotFound: Int

    public init(encoder: CloudEventEncoder, vanishAfterNotFound: Int = 3) {
        self.encoder = encoder
        self.vanishAfterNotFound = max(1, vanishAfterNotFound)
    }

    public func apply(_ outcome: Outcome, to previous: TrackedConversation, observation: Observation) -> Result {
        var tracked = previous
        tracked.consecutiveFailures = 0
        guard !previous.vanished else { return Result(tracked: tracked, events: [], records: []) }
        switch outcome {
        case .observed(let observed):
            tracked.consecutiveNotFound = 0
            let current = observed.merged(onto: previous.snapshot)
            let events = SnapshotDiff.events(
                from: previous.snapshot, to: current, observation: observation,
                nextSequence: previous.lastSequence + 1)
            tracked.snapshot = current
            tracked.lastSequence += Int64(events.count)
            if current.status == .closed {
                if previous.snapshot?.status != .closed || tracked.closedSince == nil { tracked.closedSince = observation.observedAt }
            } else {
                tracked.closedSince = nil
            }
            let records = encoder.records(for: events, state: events.isEmpty ? nil : (previous.source, previous.conversationID, current))
            return Result(tracked: tracked, events: events, records: records)
        case .notFound:
            tracked.consecutiveNotFound += 1
            guard tracked.consecutiveNotFound >= vanishAfterNotFound else { return Result(tracked: tracked, events: [], records: []) }
            tracked.vanished = true
            // Never observed (known from a webhook or the config only): retired without an event.
            guard let last = previous.snapshot else { return Result(tracked: tracked, events: [], records: []) }
            let event = SnapshotDiff.vanished(previous: last, observation: observation, nextSequence: previous.lastSequence + 1)
            tracked.lastSequence += 1
            return Result(
                tracked: tracked, events: [event],
                records: [
                    encoder.eventRecord(event),
                    encoder.stateRecord(
                        source: previous.source, conversationID: previous.conversationID, snapshot: nil,
                        observedAt: observation.observedAt),
                ])
        }
    }

    /// A platform-native webhook event: forwarded as `{platform}.{name}` with the conversation's next sequence.
    public func forward(_ native: NativeEvent, to previous: TrackedConversation, observation: Observation) -> Result {
        var tracked = previous
        let sequence = previous.lastSequence + 1
        let event = ConversationEvent(
            source: previous.source, platform: native.platform, conversationID: native.conversationID, sequence: sequence,
            type: native.eventType, observationID: observation.id, observedAt: observation.observedAt,
            effectiveAt: native.occurredAt ?? observation.observedAt, transition: nil, changedFields: [],
            before: previous.snapshot, after: previous.snapshot, raw: nil, native: native.payload
        )
        tracked.lastSequence = sequence
        return Result(tracked: tracked, events: [event], records: [encoder.eventRecord(event)])
    }
}
