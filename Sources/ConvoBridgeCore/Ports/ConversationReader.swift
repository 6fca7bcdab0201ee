/// What one read of one conversation gave.
public enum ConversationFetch: Sendable, Hashable {
    case found(ObservedConversation)
    /// The platform itself said it does not know the conversation (counts towards `conversation.vanished`).
    case notFound
}

/// A platform's "get one conversation" endpoint, as the poller uses it.
public protocol ConversationReader: Sendable {
    /// The snapshot fields a fetched conversation reports.
    var coverage: Set<SnapshotField> { get }

    /// Why `conversationID` can never be a conversation of this platform (Zild's ids are integers), or nil.
    /// Checked where ids come in (configuration, admin API, webhooks, the ids topic) so a typo is refused at once.
    func problem(withConversationID conversationID: String) -> String?

    /// - Throws: ``SourceError`` for any answer that is neither the conversation nor the platform's not-found;
    ///   `CancellationError`.
    func fetch(conversationID: String) async throws -> ConversationFetch
}

extension ConversationReader {
    public func problem(withConversationID conversationID: String) -> String? { nil }
}

/// A platform's list endpoint, for discovering conversations created or attended in a time window.
public protocol ConversationLister: Sendable {
    /// The snapshot fields a listed conversation reports.
    var coverage: Set<SnapshotField> { get }

    /// Every conversation of `range`, each once. A page that fails fails the whole list.
    func list(range: SlidingWindow.Range) async throws -> [ObservedConversation]
}
