/// Derives the contract's typed events from two successive snapshots of one conversation. Pure.
///
/// Rules, in the contract's order:
/// - no previous snapshot: `conversation.discovered`, and nothing else;
/// - `status` open → closed: `closed`; closed → open: `reopened`;
/// - `state` changed while `status` did not: `state_changed`;
/// - `ended_reason` changed (null → value included): `ended_reason_changed`;
/// - `assignee`, `team` or `queue` changed: `assignment_changed`;
/// - any other tracked field changed (`started_at`, `ended_at` outside a close or reopen, `user`, `bot`,
///   `priority`, an attribute): `updated`.
///
/// `updated_at` alone yields nothing: it is the platform's watermark, not a change a consumer can act on. It is
/// still listed in `changed_fields` when something else changed. Every event of one observation carries the full
/// `changed_fields` list, the same `observation_id`, and consecutive sequence numbers from `nextSequence`.
public enum SnapshotDiff {
    /// The events that take a conversation from `previous` to `current`; empty when nothing tracked changed.
    public static func events(
        from previous: ConversationSnapshot?,
        to current: ConversationSnapshot,
        observation: Observation,
        nextSequence: Int64
    ) -> [ConversationEvent] {
        var builder = Builder(observation: observation, nextSequence: nextSequence, before: previous, after: current)
        guard let previous else {
            builder.emit(
                .discovered, field: .status,
                effectiveAt: current.startedAt ?? current.updatedAt ?? observation.observedAt, changedFields: [])
            return builder.events
        }
        // The common case when polling: nothing changed, and comparing the values is much cheaper than their JSON.
        guard previous != current else { return [] }
        let changed = changedFields(previous, current)
        guard changed.contains(where: { $0 != .updatedAt }) else { return [] }
        let changeTime = current.updatedAt ?? observation.observedAt
        var covered: Set<ContractField> = [.updatedAt]

        if previous.status != current.status {
            let closing = current.status == .closed
            builder.emit(
                closing ? .closed : .reopened, field: .status,
                effectiveAt: closing ? (current.endedAt ?? changeTime) : changeTime, changedFields: changed)
            covered.formUnion([.status, .state, .endedAt])
        } else if previous.state != current.state {
            builder.emit(.stateChanged, field: .state, effectiveAt: changeTime, changedFields: changed)
            covered.insert(.state)
        }
        if previous.endedReason != current.endedReason {
            builder.emit(.endedReasonChanged, field: .endedReason, effectiveAt: current.endedAt ?? changeTime, changedFields: changed)
            covered.insert(.endedReason)
        }
        if let field = ContractField.assignment.first(where: changed.contains) {
            builder.emit(.assignmentChanged, field: field, effectiveAt: changeTime, changedFields: changed)
            covered.formUnion(ContractField.assignment)
        }
        if let field = changed.first(where: { !covered.contains($0) }) {
            builder.emit(.updated, field: field, effectiveAt: changeTime, changedFields: changed)
        }
        return builder.events
    }

    /// The event of a conversation the platform no longer knows (after the configured 404 confirmations).
    public static func vanished(
        previous: ConversationSnapshot,
        observation: Observation,
        nextSequence: Int64
    ) -> ConversationEvent {
        var builder = Builder(observation: observation, nextSequence: nextSequence, before: previous, after: nil)
        builder.emit(
            .vanished, field: .status,
            effectiveAt: observation.observedAt, changedFields: [])
        return builder.events[0]
    }

    /// The snapshot's fields that differ, top-level ones in the snapshot's order, then attributes one by one (those
    /// of `previous` in its order, then new ones).
    public static func changedFields(_ previous: ConversationSnapshot, _ current: ConversationSnapshot) -> [ContractField] {
        var changed = ContractField.topLevel.filter { $0.differs(previous, current) }
        var attributeNames = previous.attributes.keys
        for name in current.attributes.keys where !attributeNames.contains(name) { attributeNames.append(name) }
        for name in attributeNames where ContractField.attribute(name).differs(previous, current) {
            changed.append(.attribute(name))
        }
        return changed
    }

    private struct Builder {
        let observation: Observation
        var nextSequence: Int64
        let before: ConversationSnapshot?
        let after: ConversationSnapshot?
        var events: [ConversationEvent] = []

        init(observation: Observation, nextSequence: Int64, before: ConversationSnapshot?, after: ConversationSnapshot?) {
            self.observation = observation
            self.nextSequence = nextSequence
            self.before = before
            self.after = after
        }

        /// One event of `type`, its transition `field`'s value before and after (null on the side with no snapshot).
        mutating func emit(_ type: EventType, field: ContractField, effectiveAt: Timestamp, changedFields: [ContractField]) {
            let subject = after ?? before!
            let transition = Transition(
                type, field: field, from: before.map { field.value(in: $0) } ?? .null, to: after.map { field.value(in: $0) } ?? .null)
            events.append(
                ConversationEvent(
                    source: observation.source, platform: subject.platform, conversationID: subject.conversationID,
                    sequence: nextSequence, type: type, observationID: observation.id, observedAt: observation.observedAt,
                    effectiveAt: effectiveAt, transition: transition, changedFields: changedFields.map(\.name),
                    before: before, after: after, raw: observation.raw
                ))
            nextSequence += 1
        }
    }
}
