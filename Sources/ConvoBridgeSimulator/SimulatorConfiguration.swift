public import ConvoBridgeCore

/// What the simulator serves and to whom.
public struct SimulatorConfiguration: Sendable {
    /// Loopback by default: the simulator is for tests, demos and benchmarks.
    public var host: String
    /// 0 picks a free port (read it from ``PlatformSimulator/port()``).
    public var port: Int
    public var projectID: String
    /// Accepted in `x-api-key` on Get Conversation.
    public var apiKey: String
    /// Accepted as Basic credentials on both endpoints.
    public var clientID: String
    public var clientSecret: String
    /// Accepted as `Authorization: Bearer …` by the Chatvolt (API key) and Zild (JWT) endpoints.
    public var bearerToken: String
    /// Signs the webhooks the simulator sends.
    public var signingSecret: String
    /// Where webhooks go when a control request names no URL.
    public var webhookURL: String?

    public init(
        host: String = "127.0.0.1", port: Int = 0, projectID: String = "sim-project", apiKey: String = "sim-api-key",
        clientID: String = "sim-client", clientSecret: String = "sim-client-secret",
        bearerToken: String = "sim-bearer-token", signingSecret: String = "sim-signing-secret", webhookURL: String? = nil
    ) {
        self.bearerToken = bearerToken
        self.host = host
        self.port = port
        self.projectID = projectID
        self.apiKey = apiKey
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.signingSecret = signingSecret
        self.webhookURL = webhookURL
    }
}
