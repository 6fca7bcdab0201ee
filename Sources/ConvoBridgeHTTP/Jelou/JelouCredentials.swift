import Foundation

/// How a Jelou tenant authenticates. Its docs disagree: the prose says `x-api-key`, the OpenAPI and the Advisor
/// endpoint say Basic `clientId:clientSecret`; each source chooses in its configuration.
public enum JelouCredentials: Sendable, Hashable, CustomStringConvertible {
    case apiKey(String)
    case basic(clientID: String, clientSecret: String)

    /// The headers that authenticate a request.
    public var headers: [(name: String, value: String)] {
        switch self {
        case .apiKey(let key): [("x-api-key", key)]
        case .basic: [("Authorization", "Basic " + basicToken)]
        }
    }

    /// Every form in which these credentials could appear in a text, for the redactor.
    public var secrets: [String] {
        switch self {
        case .apiKey(let key): [key]
        case .basic(_, let secret): [secret, basicToken]
        }
    }

    private var basicToken: String {
        guard case .basic(let id, let secret) = self else { return "" }
        return Data("\(id):\(secret)".utf8).base64EncodedString()
    }

    /// Never shows a secret.
    public var description: String {
        switch self {
        case .apiKey: "x-api-key [REDACTED]"
        case .basic(let id, _): "basic \(id):[REDACTED]"
        }
    }
}
