/// Chatvolt's conversation `status` (`RESOLVED`, `UNRESOLVED`, `HUMAN_REQUESTED`) in the contract's categories.
///
/// Chatvolt has no "closed" state: a resolved conversation is the closed one, the other two are open (a move
/// between them is a `state_changed`). A value outside the documented enum is kept as the raw state and counted as
/// open: only `RESOLVED` is known to mean the conversation ended.
public enum ChatvoltStatus {
    public static let resolved = "RESOLVED"
    public static let documented: Set<String> = [resolved, "UNRESOLVED", "HUMAN_REQUESTED"]

    public static func status(of state: String) -> ConversationStatus {
        state == resolved ? .closed : .open
    }
}
