/// `Authorization: Bearer <token>`, as Chatvolt (API key) and Zild (JWT) take it. Never printed.
public struct BearerToken: Sendable, Hashable, CustomStringConvertible {
    public let token: String

    public init(_ token: String) {
        self.token = token
    }

    public var headers: [(name: String, value: String)] { [("Authorization", "Bearer \(token)")] }

    /// Every form in which the token could appear in a text, for the redactor.
    public var secrets: [String] { [token] }

    public var description: String { "Bearer [REDACTED]" }
}
