/// The status category of a conversation; the platform's own state is kept beside it, uncoerced.
public enum ConversationStatus: String, Sendable, Hashable, CaseIterable {
    case open
    case closed
}
