/// Jelou's conversation states and how they map to the normalized open/closed status.
///
/// Documented values: `active`, `closed` (Get Conversation); `active`, `closed`, `resolved`, `expired` (Advisor
/// Conversations). An undocumented value passes through as the raw state; its status follows `endAt`: a
/// conversation with an end time is closed.
public enum JelouState {
    public static let open: Set<String> = ["active"]
    public static let closed: Set<String> = ["closed", "resolved", "expired"]

    public static func status(state: String, endedAt: Timestamp?) -> ConversationStatus {
        let folded = state.lowercased()
        if open.contains(folded) { return .open }
        if closed.contains(folded) { return .closed }
        return endedAt == nil ? .open : .closed
    }
}
