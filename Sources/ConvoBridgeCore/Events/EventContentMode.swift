/// How a CloudEvent is laid out in a Kafka record (CloudEvents Kafka protocol binding).
public enum EventContentMode: String, Sendable, Hashable, CaseIterable {
    /// Attributes in `ce_*` headers, the value is `data` alone, `content-type: application/json`. The default.
    case binary
    /// The whole event as JSON in the value, `content-type: application/cloudevents+json`.
    case structured
}
