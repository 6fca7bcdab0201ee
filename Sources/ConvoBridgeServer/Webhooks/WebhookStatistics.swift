/// What the webhook receiver did with what it was sent.
public struct WebhookStatistics: Sendable, Hashable {
    public var accepted = 0
    /// 401: signature missing, malformed or wrong.
    public var badSignature = 0
    /// 400: not JSON, or not an event the platform documents.
    public var malformed = 0
    /// 413: larger than the limit.
    public var tooLarge = 0
    /// 503: the sink could not record it.
    public var sinkFailures = 0
    /// 400: its payload time is outside the replay window.
    public var outsideReplayWindow = 0
    /// 200: the same body was recorded recently; nothing new recorded.
    public var duplicates = 0

    public init() {}
}
