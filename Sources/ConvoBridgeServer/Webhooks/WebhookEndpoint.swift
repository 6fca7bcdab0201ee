public import ConvoBridgeCore

/// One source's webhook endpoint: `POST {path}`, verified as configured, its payload read in its platform's format.
public struct WebhookEndpoint: Sendable {
    public var source: String
    public var verification: WebhookVerification
    public var format: WebhookEventFormat
    /// Defaults to `/webhooks/{source}`.
    public var path: String

    public var platform: Platform { format.platform }

    public init(source: String, verification: WebhookVerification, format: WebhookEventFormat, path: String? = nil) {
        self.source = source
        self.verification = verification
        self.format = format
        self.path = path ?? "/webhooks/\(source)"
    }
}
