public import ConvoBridgeCore
import Foundation

/// Chatvolt's conversation endpoints (`Authorization: Bearer <API key>`, base `https://api.chatvolt.ai`):
/// `GET /conversation/{id}` to poll one, and `GET /conversation` to discover and observe by creation window
/// (`createdAt` ≥, `endDate` ≤), `limit` up to 100 per page, the next page asked with a cursor built from the last
/// item (`{"lastCreatedAt": …, "lastId": …}`), since the response carries none.
public struct ChatvoltClient: ConversationReader, ConversationLister {
    public let baseURL: String
    /// Only conversations in this status (`RESOLVED`, `UNRESOLVED`, `HUMAN_REQUESTED`); nil lists every status.
    public let statusFilter: String?
    public let pageSize: Int
    /// A guard against a window so wide, or paging so broken, that walking it would never end.
    public let maxPages: Int
    private let token: BearerToken
    private let http: SourceHTTPClient
    private let redactor: SecretRedactor

    public init(
        baseURL: String, token: BearerToken, statusFilter: String? = nil, pageSize: Int = 100, maxPages: Int = 200,
        http: SourceHTTPClient, redactor: SecretRedactor
    ) {
        self.baseURL = baseURL.trimmingTrailingSlashes
        self.token = token
        self.statusFilter = statusFilter
        self.pageSize = min(100, max(1, pageSize))
        self.maxPages = max(1, maxPages)
        self.http = http
        self.redactor = redactor
    }

    public var coverage: Set<SnapshotField> { ChatvoltConversationPayload.coverage }

    public func url(conversationID: String) -> String {
        "\(baseURL)/conversation/\(conversationID.pathSegmentEncoded)"
    }

    public func problem(withConversationID conversationID: String) -> String? {
        ConversationIDRule.problem(conversationID, platform: .chatvolt)
    }

    public func read(conversationID: String, unlessFingerprint: Int?) async throws -> ConversationRead {
        let response = try await http.send(
            SourceRequest(
                operation: "get-conversation", method: .get,
                url: url(conversationID: conversationID), headers: token.headers))
        if let unchanged = response.unchanged(unlessFingerprint) { return unchanged }
        return try response.conversationFetch(
            conversationID, platform: "Chatvolt", context: ChatvoltConversationPayload.context, redactor: redactor,
            explanation: Self.explanation(response), read: ChatvoltConversationPayload.observation(from:))
    }

    /// The URL of one page of `GET /conversation`.
    public func listURL(range: SlidingWindow.Range, cursor: String?) -> String {
        var query = [("createdAt", range.start.rfc3339), ("endDate", range.end.rfc3339), ("limit", String(pageSize))]
        if let statusFilter { query.append(("status", statusFilter)) }
        if let cursor { query.append(("cursor", cursor)) }
        return "\(baseURL)/conversation?" + query.map { "\($0.0)=\($0.1.pathSegmentEncoded)" }.joined(separator: "&")
    }

    /// The cursor for the page after the one ending with `last`: URL-safe JSON of its `createdAt` and `id`.
    public static func cursor(after last: JSONValue) -> String? {
        guard let id = last["id"]?.scalarText, let createdAt = last["createdAt"]?.scalarText else { return nil }
        return JSONWriter.string(.object(["lastCreatedAt": .string(createdAt), "lastId": .string(id)]))
    }

    public func page(_ cursor: ListCursor, of range: SlidingWindow.Range) async throws -> ListPage {
        guard cursor.page <= maxPages else {
            throw SourceError.invalidPayload(
                PayloadError(
                    context: "chatvolt list-conversations", path: "",
                    problem: "more than max_pages (\(maxPages)) pages of \(pageSize); shorten the lookback or raise max_pages"))
        }
        let response = try await http.send(
            SourceRequest(
                operation: "list-conversations", method: .get,
                url: listURL(range: range, cursor: cursor.token), headers: token.headers))
        guard response.status == 200 else { throw response.failure(redactor: redactor, explanation: Self.explanation(response)) }
        let body = try response.json(context: "chatvolt list-conversations")
        guard let items = body.arrayValue else {
            throw SourceError.invalidPayload(
                PayloadError(context: "chatvolt list-conversations", problem: "expected an array, found \(body.kindName)"))
        }
        var conversations: [ObservedConversation] = []
        for (index, item) in items.enumerated() {
            do {
                conversations.append(try ChatvoltConversationPayload.observation(from: item))
            } catch {
                throw SourceError.invalidPayload(
                    PayloadError(
                        context: "chatvolt list-conversations page \(cursor.page)", path: "[\(index)].\(error.path)",
                        problem: error.problem))
            }
        }
        guard items.count == pageSize, let last = items.last else { return ListPage(conversations: conversations, next: nil) }
        guard let next = Self.cursor(after: last) else {
            throw SourceError.invalidPayload(
                PayloadError(
                    context: "chatvolt list-conversations", path: "[\(items.count - 1)]",
                    problem: "the last item has no id or createdAt to page on"))
        }
        return ListPage(conversations: conversations, next: ListCursor(page: cursor.page + 1, token: next))
    }

    /// Chatvolt's `{"error": "…"}` body, when it sent one.
    static func explanation(_ response: SourceResponse) -> String? {
        (try? JSONParser.parse(response.body))?["error"]?.stringValue
    }
}
