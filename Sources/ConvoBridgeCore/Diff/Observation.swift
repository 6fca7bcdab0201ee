/// One look at a conversation: where it came from, when, and what the platform sent.
public struct Observation: Sendable, Hashable {
    public var source: String
    /// Shared by every event this observation yields.
    public var id: String
    public var observedAt: Timestamp
    /// The platform payload the snapshot was normalized from, carried as `data.raw`.
    public var raw: JSONValue?

    public init(source: String, id: String, observedAt: Timestamp, raw: JSONValue? = nil) {
        self.source = source
        self.id = id
        self.observedAt = observedAt
        self.raw = raw
    }
}
