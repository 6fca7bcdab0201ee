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
        let detail = redactor.redact(explanation ?? bodyExcerpt())
        switch status {
        case 401, 403: return .unauthorized(status: status, detail: detail)
        case 429: return .rateLimited(detail: detail)
        default: return .httpStatus(status, detail: detail)
        }
    }

    /// A JSON object body: what an API's own 404 looks like (Chatvolt's `{"error": …}`, ASP.NET's problem details),
    /// as opposed to a proxy's or a wrong base URL's HTML, text or empty page. Only the first may count towards
    /// `conversation.vanished`.
    var isJSONObject: Bool {
        (try? JSONParser.parse(body))?.objectValue != nil
    }
}
