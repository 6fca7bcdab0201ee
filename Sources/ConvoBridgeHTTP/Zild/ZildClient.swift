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
        Int32(conversationID).map { $0 > 0 } == true ? nil : "Zild conversation ids are positive integers, found \(conversationID)"
    }

    public func url(conversationID: String) -> String {
        "\(baseURL)/api/Conversation/\(conversationID.pathSegmentEncoded)"
    }

    public func fetch(conversationID: String) async throws -> ConversationFetch {
        if let problem = problem(withConversationID: conversationID) { throw SourceError.httpStatus(400, detail: problem) }
        let response = try await http.send(SourceRequest(operation: "get-conversation", method: .get,
                                                         url: url(conversationID: conversationID), headers: token.headers))
        switch response.status {
        case 200:
            let body = try response.json(context: ZildConversationPayload.context)
            let observation: ObservedConversation
            do {
                observation = try ZildConversationPayload.observation(from: body, endedReasonLabels: endedReasonLabels)
            } catch {
                throw SourceError.invalidPayload(error)
            }
            guard observation.conversationID == conversationID else {
                throw SourceError.invalidPayload(PayloadError(context: ZildConversationPayload.context, path: "id",
                                                              problem: "is \(observation.conversationID), asked for \(conversationID)"))
            }
            return .found(observation)
        case 404 where response.isJSONObject:
            return .notFound
        case 404:
            throw SourceError.httpStatus(404, detail: "not Zild's not-found answer (check base_url): " + redactor.redact(response.bodyExcerpt()))
        default:
            // ASP.NET problem details: {"title": …, "detail": …}.
            let body = try? JSONParser.parse(response.body)
            throw response.failure(redactor: redactor, explanation: body?["detail"]?.stringValue ?? body?["title"]?.stringValue)
        }
    }
}
