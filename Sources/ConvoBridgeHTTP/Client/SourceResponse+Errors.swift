import ConvoBridgeCore

extension SourceResponse {
    /// The JSON body, or the reason it is not JSON (an HTML error page, a truncated body…).
    func json(context: String) throws(SourceError) -> JSONValue {
        do {
            return try JSONParser.parse(body)
        } catch {
            let hint = headers["content-type"].map { " (content-type \($0))" } ?? ""
            throw .invalidPayload(PayloadError(context: context, problem: "not JSON\(hint): \(error)"))
        }
    }

    /// The error to report for a status the endpoint does not expect. `explanation` is the platform's own words
    /// when it sent an error body it documents; otherwise an excerpt of the body. Secrets are redacted.
    func failure(redactor: SecretRedactor, explanation: String? = nil) -> SourceError {
        let detail = explanation.map(redactor.redact) ?? bodyExcerpt(redactedBy: redactor)
        switch status {
        case 401, 403: return .unauthorized(status: status, detail: detail)
        case 429: return .rateLimited(detail: detail, retryAfter: nil)
        default: return .httpStatus(status, detail: detail)
        }
    }

    /// A JSON object body: what an API's own 404 looks like (Chatvolt's `{"error": …}`, ASP.NET's problem details),
    /// as opposed to a proxy's or a wrong base URL's HTML, text or empty page. Only the first may count towards
    /// `conversation.vanished`.
    var isJSONObject: Bool {
        (try? JSONParser.parse(body))?.objectValue != nil
    }

    /// A hash of the body's bytes (process-local): the same body again has the same one.
    var bodyFingerprint: Int {
        var hasher = Hasher()
        body.withUnsafeBytes { hasher.combine(bytes: $0) }
        return hasher.finalize()
    }

    /// `.unchanged` when this is a 200 whose body has `fingerprint`; nil otherwise (read it).
    func unchanged(_ fingerprint: Int?) -> ConversationRead? {
        guard status == 200, let fingerprint, bodyFingerprint == fingerprint else { return nil }
        return ConversationRead(.unchanged, bodyFingerprint: fingerprint)
    }

    /// A "get one conversation" answer of a platform whose own 404s are JSON (Chatvolt, Zild): 200 is the
    /// conversation (`read` from the body, checked to be the one asked for), a JSON 404 is not-found, any other 404
    /// a routing error (so a wrong base URL cannot vanish conversations), anything else ``failure(redactor:explanation:)``.
    func conversationFetch(
        _ conversationID: String, platform: String, context: String, redactor: SecretRedactor, explanation: String?,
        read: (JSONValue) throws(PayloadError) -> ObservedConversation
    ) throws(SourceError) -> ConversationRead {
        switch status {
        case 200:
            let body = try json(context: context)
            let observation: ObservedConversation
            do {
                observation = try read(body)
            } catch {
                throw .invalidPayload(error)
            }
            guard observation.conversationID == conversationID else {
                throw .invalidPayload(
                    PayloadError(context: context, path: "id", problem: "is \(observation.conversationID), asked for \(conversationID)"))
            }
            return ConversationRead(.found(observation), bodyFingerprint: bodyFingerprint)
        case 404 where isJSONObject:
            return ConversationRead(.notFound)
        case 404:
            throw .httpStatus(404, detail: "not \(platform)'s not-found answer (check base_url): " + bodyExcerpt(redactedBy: redactor))
        default:
            throw failure(redactor: redactor, explanation: explanation)
        }
    }
}
