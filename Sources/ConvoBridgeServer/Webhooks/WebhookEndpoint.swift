public import ConvoBridgeCore
public import ConvoBridgeSigning

/// One source's webhook endpoint: `POST {path}`, signed with the source's signing secret.
public struct WebhookEndpoint: Sendable {
    public var source: String
    public var platform: Platform
    public var signature: WebhookSignature
    /// Defaults to `/webhooks/{source}`.
    public var path: String

    public init(source: String, platform: Platform, signature: WebhookSignature, path: String? = nil) {
        self.source = source
        self.platform = platform
        self.signature = signature
        self.path = path ?? "/webhooks/\(source)"
    }
}
