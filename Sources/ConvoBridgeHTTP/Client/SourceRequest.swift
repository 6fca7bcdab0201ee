public import ConvoBridgeCore

/// One request to a platform, independent of the HTTP library.
public struct SourceRequest: Sendable, Hashable {
    public enum Method: String, Sendable, Hashable {
        case get = "GET"
        case post = "POST"
    }

    /// What the request is for, in logs and errors (`get-conversation`).
    public var operation: String
    public var method: Method
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?

    public init(operation: String, method: Method, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil) {
        self.operation = operation
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    public static func == (lhs: SourceRequest, rhs: SourceRequest) -> Bool {
        lhs.operation == rhs.operation && lhs.method == rhs.method && lhs.url == rhs.url && lhs.body == rhs.body
            && lhs.headers.map(\.name) == rhs.headers.map(\.name) && lhs.headers.map(\.value) == rhs.headers.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(operation)
        hasher.combine(url)
    }
}

/// A platform's answer that the HTTP layer did not retry away: any status, body read in full (within the cap).
public struct SourceResponse: Sendable, Hashable {
    public var status: Int
    public var headers: SourceResponseHeaders
    public var body: [UInt8]

    public init(status: Int, headers: SourceResponseHeaders = [:], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body's first `limit` characters as text for error messages ("empty body" when there is none), redacted
    /// before they are cut, so that a secret straddling the cut cannot leave its first characters behind.
    public func bodyExcerpt(redactedBy redactor: SecretRedactor, limit: Int = 200) -> String {
        guard !body.isEmpty else { return "empty body" }
        let text = redactor.redact(String(decoding: body.prefix(limit + redactor.longestSecretBytes), as: UTF8.self))
        let cut = text.count > limit || body.count > limit + redactor.longestSecretBytes
        return cut ? String(text.prefix(limit)) + "…" : text
    }
}
