/// Where a verified webhook event goes: forwarded to Kafka as `{platform}.{name}`, its conversation put on the
/// watch list, and an immediate poll asked for.
public protocol NativeEventSink: Sendable {
    /// Records `event` for `source` durably before returning, unless a delivery with the same body digest was
    /// recorded within the sink's memory of deliveries (a replay, or the platform sending it twice): then nothing is
    /// recorded and no poll is asked for. Throws when it could not record; the receiver then answers 503 so the
    /// platform may send it again.
    func accept(_ event: NativeEvent, source: String, bodyDigest: [UInt8]) async throws -> WebhookAcceptance
}

/// What the sink did with a webhook event.
public enum WebhookAcceptance: Sendable, Hashable {
    case recorded
    /// The same body was recorded recently: answered as a success, nothing new recorded.
    case duplicate
}
