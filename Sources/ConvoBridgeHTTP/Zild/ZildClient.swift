public import ConvoBridgeCore

/// Zild's `GET {baseURL}/api/Conversation/{id}` (`Authorization: Bearer <JWT>`). The docs give no base URL (it
/// comes from the configuration) and no list endpoint: ids come from the configuration, the admin API, webhooks or
/// a Kafka topic of ids.
public struct ZildClient: ConversationReader {
    public let baseURL: String
    /// `conversationEndedReasonId` → label (Zild documents no catalog).
    public let endedReasonLabels: [Int64: String]
    private let token: BearerToken
    private let http: SourceHTTPClient
    private let redactor: SecretRedactor

    public init(baseURL: String, token: BearerToken, endedReasonLabels: [Int64: String] = [:], http: SourceHTTPClient, redactor: SecretRedactor) {
        self.baseURL = baseURL.trimmingTrailingSlashes
        self.token = token
        self.endedReasonLabels = endedReasonLabels
        self.http = http
        self.redactor = redactor
    }

    public var coverage: Set<SnapshotField> { ZildConversationPayload.coverage }

    public func problem(withConversationID conversationID: String) -> String? {
        ZildConversationPayload.problem(withConversationID: conversationID)
    }

    public func url(conversationID: String) -> String {
        "\(baseURL)/api/Conversation/\(conversationID.pathSegmentEncoded)"
    }

    public func read(conversationID: String, unlessFingerprint: Int?) async throws -> ConversationRead {
        if let problem = problem(withConversationID: conversationID) { throw SourceError.httpStatus(400, detail: problem) }
        let response = try await http.send(
            SourceRequest(
                operation: "get-conversation", method: .get,
                url: url(conversationID: conversationID), headers: token.headers))
        if let unchanged = response.unchanged(unlessFingerprint) { return unchanged }
        // ASP.NET problem details: {"title": …, "detail": …}.
        let problem = try? JSONParser.parse(response.body)
        return try response.conversationFetch(
            conversationID, platform: "Zild", context: ZildConversationPayload.context, redactor: redactor,
            explanation: problem?["detail"]?.stringValue ?? problem?["title"]?.stringValue
        ) { (body) throws(PayloadError) in
            try ZildConversationPayload.observation(from: body, endedReasonLabels: endedReasonLabels)
        }
    }
}
