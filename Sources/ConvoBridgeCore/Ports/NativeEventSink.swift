/// Where a verified webhook event goes: forwarded to Kafka as `{platform}.{name}`, its conversation put on the
/// watch list, and an immediate poll asked for.
public protocol NativeEventSink: Sendable {
    /// Records `event` for `source` durably before returning. Throws when it could not; the receiver then answers
    /// 503 so the platform may send it again.
    func accept(_ event: NativeEvent, source: String) async throws
}
