/// One endpoint's view of one conversation: the normalized snapshot it implies, which fields it actually reports,
/// and the platform's payload as received.
public struct ObservedConversation: Sendable, Hashable {
    public var snapshot: ConversationSnapshot
    /// The snapshot fields this endpoint reports. `status` follows `state`.
    public var coverage: Set<SnapshotField>
    /// The `attributes` keys this endpoint reports.
    public var coveredAttributes: Set<String>
    /// The platform's payload for this conversation, unchanged (the `raw` of the events it causes).
    public var raw: JSONValue

    public init(snapshot: ConversationSnapshot, coverage: Set<SnapshotField>, coveredAttributes: Set<String>, raw: JSONValue) {
        self.snapshot = snapshot
        self.coverage = coverage
        self.coveredAttributes = coveredAttributes
        self.raw = raw
    }

    public var conversationID: String { snapshot.conversationID }

    /// The snapshot after this observation: the fields it covers from it, the others from `previous`.
    public func merged(onto previous: ConversationSnapshot?) -> ConversationSnapshot {
        guard let previous else { return snapshot }
        let observed = snapshot
        func pick<Value>(_ field: SnapshotField, _ read: (ConversationSnapshot) -> Value) -> Value {
            coverage.contains(field) ? read(observed) : read(previous)
        }
        var merged = observed
        merged.status = pick(.state) { $0.status }
        merged.state = pick(.state) { $0.state }
        merged.endedReason = pick(.endedReason) { $0.endedReason }
        merged.startedAt = pick(.startedAt) { $0.startedAt }
        merged.endedAt = pick(.endedAt) { $0.endedAt }
        merged.updatedAt = pick(.updatedAt) { $0.updatedAt }
        merged.user =
            ConversationSnapshot.User(
                id: pick(.userID) { $0.user?.id },
                name: pick(.userName) { $0.user?.name },
                referenceID: pick(.userReferenceID) { $0.user?.referenceID }
            ).nonEmpty
        merged.bot =
            ConversationSnapshot.Bot(
                id: pick(.botID) { $0.bot?.id },
                name: pick(.botName) { $0.bot?.name },
                channel: pick(.botChannel) { $0.bot?.channel }
            ).nonEmpty
        merged.assignee =
            ConversationSnapshot.Assignee(
                id: pick(.assigneeID) { $0.assignee?.id },
                name: pick(.assigneeName) { $0.assignee?.name }
            ).nonEmpty
        merged.team = pick(.team) { $0.team }
        merged.queue = pick(.queue) { $0.queue }
        merged.priority = pick(.priority) { $0.priority }
        var attributes = previous.attributes
        for key in coveredAttributes { attributes[key] = observed.attributes[key] }
        merged.attributes = attributes
        return merged
    }
}

extension ConversationSnapshot.User {
    /// nil when no field is known, so that "no user" has one spelling.
    public var nonEmpty: Self? { id == nil && name == nil && referenceID == nil ? nil : self }
}

extension ConversationSnapshot.Bot {
    public var nonEmpty: Self? { id == nil && name == nil && channel == nil ? nil : self }
}

extension ConversationSnapshot.Assignee {
    public var nonEmpty: Self? { id == nil && name == nil ? nil : self }
}

extension ObservedConversation {
    /// One observation made of two endpoints' answers read together: `other` wins where both report a field.
    /// The raw payload is `other`'s (the fuller one, by the caller's choice).
    public func combined(with other: ObservedConversation) -> ObservedConversation {
        ObservedConversation(
            snapshot: other.merged(onto: snapshot), coverage: coverage.union(other.coverage),
            coveredAttributes: coveredAttributes.union(other.coveredAttributes), raw: other.raw)
    }

    /// The same observation reporting only the fields outside `fields`: what is still news in an answer that
    /// another, newer answer overtook.
    public func excluding(_ fields: Set<SnapshotField>) -> ObservedConversation {
        var copy = self
        copy.coverage.subtract(fields)
        return copy
    }
}
