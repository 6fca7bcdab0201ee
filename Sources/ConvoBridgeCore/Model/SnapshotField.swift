/// A normalized snapshot field one platform endpoint reports. Endpoints see different parts of a conversation
/// (Jelou's Get Conversation has no operator; its Advisor list has no user name), so each observation says which
/// fields it covers and the rest is carried over from the last snapshot instead of being read as "now null".
public enum SnapshotField: String, Sendable, Hashable, CaseIterable {
    case state, endedReason, startedAt, endedAt, updatedAt
    case userID, userName, userReferenceID
    case botID, botName, botChannel
    case assigneeID, assigneeName
    case team, queue, priority
}
