public import ConvoBridgeCore

/// One source's webhook endpoint: `POST {path}`, verified as configured, its payload read in its platform's format.
public struct WebhookEndpoint: Sendable {
    public var source: String
    public var verification: WebhookVerification
    public var format: WebhookEventFormat
    /// Defaults to `/webhooks/{source}`.
    public var path: String
    /// Where the payload carries its own time (Jelou's `timestamp`): one further than this from now is refused as a
    /// replay (or a clock far off); nil accepts any.
    public var replayWindow: Duration?

    public var platform: Platform { format.platform }

    public static let defaultReplayWindow: Duration = .seconds(300)

    public init(
        source: String, verification: WebhookVerification, format: WebhookEventFormat, path: String? = nil,
        replayWindow: Duration? = WebhookEndpoint.defaultReplayWindow
    ) {
        self.source = source
        self.verification = verification
        self.format = format
        self.path = path ?? "/webhooks/\(source)"
        self.replayWindow = replayWindow
    }
}
