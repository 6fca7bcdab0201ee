public import ConvoBridgeCore

/// Jelou's Get Conversation endpoint: `GET {baseURL}/v1/external-support/{projectId}/conversations/{id}`.
///
/// `baseURL` carries the path prefix, `https://gateway.jelou.ai/jelouapi` or `…/platform` (the docs give both).
public struct JelouConversationClient: ConversationReader {

    public let baseURL: String
    public let projectID: String
    private let credentials: JelouCredentials
    private let http: SourceHTTPClient
    private let redactor: SecretRedactor
    // Made once, not for each of thousands of polls a second (the Basic token is a base64 encoding).
    private let conversationsURL: String
    private let authentication: [(name: String, value: String)]

    public init(baseURL: String, projectID: String, credentials: JelouCredentials, http: SourceHTTPClient, redactor: SecretRedactor) {
        self.baseURL = baseURL.trimmingTrailingSlashes
        self.projectID = projectID
        self.credentials = credentials
        self.http = http
        self.redactor = redactor
        conversationsURL = "\(self.baseURL)/v1/external-support/\(projectID.pathSegmentEncoded)/conversations/"
        authentication = credentials.headers
    }

    public func url(conversationID: String) -> String {
        conversationsURL + conversationID.pathSegmentEncoded
    }

    public var coverage: Set<SnapshotField> { JelouConversationPayload.coverage }

    public func problem(withConversationID conversationID: String) -> String? {
        ConversationIDRule.problem(conversationID, platform: .jelou)
    }

    /// - Throws: ``SourceError`` for every answer that is neither the conversation nor Jelou's 404;
    ///   `CancellationError`.
    public func read(conversationID: String, unlessFingerprint: Int?) async throws -> ConversationRead {
        let request = SourceRequest(
            operation: "get-conversation", method: .get, url: url(conversationID: conversationID),
            headers: authentication)
        let response = try await http.send(request)
        if let unchanged = response.unchanged(unlessFingerprint) { return unchanged }
        switch response.status {
        case 200:
            let body = try response.json(context: JelouConversationPayload.context)
            let observation: ObservedConversation
            do {
                observation = try JelouConversationPayload.observation(from: body)
            } catch {
                throw SourceError.invalidPayload(error)
            }
            guard observation.conversationID == conversationID else {
                throw SourceError.invalidPayload(
                    PayloadError(
                        context: JelouConversationPayload.context, path: "data._id",
                        problem: "is \(observation.conversationID), asked for \(conversationID)"))
            }
            return ConversationRead(.found(observation), bodyFingerprint: response.bodyFingerprint)
        case 404 where JelouResponse.isJelouNotFound(response):
            return ConversationRead(.notFound)
        case 404:
            throw SourceError.httpStatus(
                404,
                detail: "not Jelou's not-found answer (check base_url and project_id): "
                    + response.bodyExcerpt(redactedBy: redactor))
        default:
            throw JelouResponse.failure(response, redactor: redactor)
        }
    }
}
