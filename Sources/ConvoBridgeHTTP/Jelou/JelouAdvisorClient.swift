public import ConvoBridgeCore

/// Jelou's Advisor Conversations list: `POST {apiBaseURL}/v1/metrics/conversations/attended/external?limit=&page=`
/// with `{startAt, endAt, getJson: true}`, walked page by page. Each result is an observation (operator, team,
/// state, end reason…) and the discovery of a conversation to watch.
public struct JelouAdvisorClient: ConversationLister {
    public let apiBaseURL: String
    public let pageSize: Int
    /// A guard against a window so wide, or a paging so broken, that walking it would never end.
    public let maxPages: Int
    private let credentials: JelouCredentials
    private let http: SourceHTTPClient
    private let redactor: SecretRedactor

    public init(
        apiBaseURL: String, credentials: JelouCredentials, pageSize: Int = 50, maxPages: Int = 200,
        http: SourceHTTPClient, redactor: SecretRedactor
    ) {
        self.apiBaseURL = apiBaseURL.trimmingTrailingSlashes
        self.credentials = credentials
        self.pageSize = max(1, pageSize)
        self.maxPages = max(1, maxPages)
        self.http = http
        self.redactor = redactor
    }

    public func url(page: Int) -> String {
        "\(apiBaseURL)/v1/metrics/conversations/attended/external?limit=\(pageSize)&page=\(page)"
    }

    public static func requestBody(_ range: SlidingWindow.Range) -> [UInt8] {
        JSONWriter.encode(
            .object([
                "startAt": .string(range.start.rfc3339),
                "endAt": .string(range.end.rfc3339),
                "getJson": .bool(true),
            ]))
    }

    public func page(_ cursor: ListCursor, of range: SlidingWindow.Range) async throws -> ListPage {
        let result = try await fetchPage(cursor.page, range: range)
        let more = cursor.page < result.totalPages
        guard !more || cursor.page < maxPages else {
            throw SourceError.invalidPayload(
                PayloadError(
                    context: JelouAdvisorPage.context, path: "pagination.totalPages",
                    problem: "\(result.totalPages) pages is more than max_pages (\(maxPages)); shorten the lookback or raise max_pages"))
        }
        return ListPage(conversations: result.conversations, next: more ? ListCursor(page: cursor.page + 1) : nil)
    }

    public var coverage: Set<SnapshotField> { JelouAdvisorPage.coverage }

    public func fetchPage(_ page: Int, range: SlidingWindow.Range) async throws -> JelouAdvisorPage {
        let request = SourceRequest(
            operation: "advisor-conversations", method: .post, url: url(page: page),
            headers: credentials.headers, body: Self.requestBody(range))
        let response = try await http.send(request)
        guard response.status == 200 else { throw JelouResponse.failure(response, redactor: redactor) }
        let body = try response.json(context: JelouAdvisorPage.context)
        do {
            return try JelouAdvisorPage(body: body, requestedPage: page)
        } catch {
            throw SourceError.invalidPayload(error)
        }
    }
}
