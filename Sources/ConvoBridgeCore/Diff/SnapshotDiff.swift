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
                .discovered, Transition(kind: "discovered", field: "status", from: .null, to: .string(current.status.rawValue)),
                effectiveAt: current.startedAt ?? current.updatedAt ?? observation.observedAt, changedFields: [])
            return builder.events
        }
        // The common case when polling: nothing changed, and comparing the values is much cheaper than their JSON.
        guard previous != current else { return [] }
        let changed = changedFields(previous, current)
        guard changed.contains(where: { $0 != "updated_at" }) else { return [] }
        let changeTime = current.updatedAt ?? observation.observedAt
        var covered: Set<String> = ["updated_at"]

        if previous.status != current.status {
            let closing = current.status == .closed
            builder.emit(
                closing ? .closed : .reopened,
                Transition(
                    kind: closing ? "closed" : "reopened", field: "status",
                    from: .string(previous.status.rawValue), to: .string(current.status.rawValue)),
                effectiveAt: closing ? (current.endedAt ?? changeTime) : changeTime,
                changedFields: changed
            )
            covered.formUnion(["status", "state", "ended_at"])
        } else if previous.state != current.state {
            builder.emit(
                .stateChanged,
                Transition(
                    kind: "state_changed", field: "state",
                    from: .optional(previous.state), to: .optional(current.state)),
                effectiveAt: changeTime, changedFields: changed)
            covered.insert("state")
        }
        if previous.endedReason != current.endedReason {
            builder.emit(
                .endedReasonChanged,
                Transition(
                    kind: "ended_reason_changed", field: "ended_reason",
                    from: .optional(previous.endedReason), to: .optional(current.endedReason)),
                effectiveAt: current.endedAt ?? changeTime, changedFields: changed)
            covered.insert("ended_reason")
        }
        let assignmentFields = ["assignee", "team", "queue"]
        if let field = assignmentFields.first(where: changed.contains) {
            let values = { (snapshot: ConversationSnapshot) in snapshot.jsonValue[field] ?? .null }
            builder.emit(
                .assignmentChanged,
                Transition(
                    kind: "assignment_changed", field: field,
                    from: values(previous), to: values(current)),
                effectiveAt: changeTime, changedFields: changed)
            covered.formUnion(assignmentFields)
        }
        let rest = changed.filter { !covered.contains($0) }
        if let field = rest.first {
            let values = { (snapshot: ConversationSnapshot) -> JSONValue in
                if field.hasPrefix("attributes.") { return snapshot.attributes[String(field.dropFirst(11))] ?? .null }
                return snapshot.jsonValue[field] ?? .null
            }
            builder.emit(
                .updated, Transition(kind: "updated", field: field, from: values(previous), to: values(current)),
                effectiveAt: changeTime, changedFields: changed)
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
            .vanished, Transition(kind: "vanished", field: "status", from: .string(previous.status.rawValue), to: .null),
            effectiveAt: observation.observedAt, changedFields: [])
        return builder.events[0]
    }

    /// The snapshot's top-level fields that differ, attributes one by one as `attributes.NAME`, in snapshot order.
    public static func changedFields(_ previous: ConversationSnapshot, _ current: ConversationSnapshot) -> [String] {
        guard let before = previous.jsonValue.objectValue, let after = current.jsonValue.objectValue else { return [] }
        var changed: [String] = []
        for member in after.members where member.key != "attributes" && before[member.key] != member.value {
            changed.append(member.key)
        }
        var attributeNames = previous.attributes.keys
        for name in current.attributes.keys where !attributeNames.contains(name) { attributeNames.append(name) }
        for name in attributeNames where previous.attributes[name] != current.attributes[name] {
            changed.append("attributes.\(name)")
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

        mutating func emit(_ type: EventType, _ transition: Transition, effectiveAt: Timestamp, changedFields: [String]) {
            let subject = after ?? before!
            events.append(
                ConversationEvent(
                    source: observation.source, platform: subject.platform, conversationID: subject.conversationID,
                    sequence: nextSequence, type: type, observationID: observation.id, observedAt: observation.observedAt,
                    effectiveAt: effectiveAt, transition: transition, changedFields: changedFields,
                    before: before, after: after, raw: observation.raw
                ))
            nextSequence += 1
        }
    }
}
