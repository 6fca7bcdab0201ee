/// How the receiver answered one webhook request; the metric label value is the raw value.
public enum WebhookOutcome: String, Sendable, CaseIterable {
    /// 202: recorded.
    case accepted
    /// 200: the same body was recorded recently; nothing new recorded.
    case duplicate
    /// 401: signature missing, malformed or wrong.
    case badSignature = "bad_signature"
    /// 400: not JSON, or not an event the platform documents.
    case malformed
    /// 413: larger than the limit.
    case tooLarge = "too_large"
    /// 400: its payload time is outside the replay window.
    case outsideReplayWindow = "outside_replay_window"
    /// 503: the sink could not record it.
    case unrecorded
}

/// Told how every webhook request was answered, for metrics: the receiver counts nothing itself.
public protocol WebhookObserver: Sendable {
    func webhookAnswered(source: String, outcome: WebhookOutcome)
}
