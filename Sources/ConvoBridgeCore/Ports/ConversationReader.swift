/// What one read of one conversation gave.
public enum ConversationFetch: Sendable, Hashable {
    case found(ObservedConversation)
    /// The platform itself said it does not know the conversation (counts towards `conversation.vanished`).
    case notFound
    /// A 200 whose body is byte for byte the one the caller's fingerprint names: not parsed again.
    case unchanged
}

/// A read, with the fingerprint of the body it came from (a 200's), so that the next read of the same body can be
/// recognised before it is parsed. The fingerprint is a process-local hash: kept in memory, never stored.
public struct ConversationRead: Sendable, Hashable {
    public var fetch: ConversationFetch
    public var bodyFingerprint: Int?

    public init(_ fetch: ConversationFetch, bodyFingerprint: Int? = nil) {
        self.fetch = fetch
        self.bodyFingerprint = bodyFingerprint
    }
}

/// A platform's "get one conversation" endpoint, as the poller uses it.
public protocol ConversationReader: Sendable {
    /// The snapshot fields a fetched conversation reports.
    var coverage: Set<SnapshotField> { get }

    /// Why `conversationID` can never be a conversation of this platform (Zild's ids are integers), or nil.
    /// Checked where ids come in (configuration, admin API, webhooks, the ids topic) so a typo is refused at once.
    func problem(withConversationID conversationID: String) -> String?

    /// Reads the conversation; a 200 whose body has `unlessFingerprint` is answered ``ConversationFetch/unchanged``
    /// without being parsed (the poll engine's unchanged answers cost no JSON).
    /// - Throws: ``SourceError`` for any answer that is neither the conversation nor the platform's not-found;
    ///   `CancellationError`.
    func read(conversationID: String, unlessFingerprint: Int?) async throws -> ConversationRead
}

extension ConversationReader {
    public func problem(withConversationID conversationID: String) -> String? { nil }

    /// The conversation, read in full.
    public func fetch(conversationID: String) async throws -> ConversationFetch {
        try await read(conversationID: conversationID, unlessFingerprint: nil).fetch
    }
}

/// Where a walk of a list endpoint stands: the page to ask next, and the platform's cursor for it where the
/// platform pages by cursor (Chatvolt) rather than by number (Jelou's Advisor list).
public struct ListCursor: Sendable, Hashable {
    /// 1 for the first page.
    public var page: Int
    public var token: String?

    public init(page: Int = 1, token: String? = nil) {
        self.page = page
        self.token = token
    }

    public static let first = ListCursor()
}

/// One page of a list endpoint: its conversations, and where the next page is (nil after the last).
public struct ListPage: Sendable, Hashable {
    public var conversations: [ObservedConversation]
    public var next: ListCursor?

    public init(conversations: [ObservedConversation], next: ListCursor?) {
        self.conversations = conversations
        self.next = next
    }
}

/// A platform's list endpoint, for discovering conversations created or attended in a time window.
public protocol ConversationLister: Sendable {
    /// The snapshot fields a listed conversation reports.
    var coverage: Set<SnapshotField> { get }

    /// One page of `range`. A failed page can be asked again with the same cursor: a walk resumes where it failed.
    /// - Throws: ``SourceError``; `.invalidPayload` past the lister's page limit.
    func page(_ cursor: ListCursor, of range: SlidingWindow.Range) async throws -> ListPage
}

extension ConversationLister {
    /// Every conversation of `range`, each once (the last page's version wins if paging shifted it). A page that
    /// fails fails the whole list: for tools and tests; the poll engine walks page by page.
    public func list(range: SlidingWindow.Range) async throws -> [ObservedConversation] {
        var conversations: [ObservedConversation] = []
        var cursor: ListCursor? = .first
        while let current = cursor {
            let page = try await page(current, of: range)
            conversations += page.conversations
            cursor = page.next
        }
        return conversations.keepingLastOfEachConversation()
    }
}
