/// One event of the contract: a transition derived by the diff, or a platform-native event forwarded from a
/// webhook. Its JSON is the CloudEvent's `data`.
public struct ConversationEvent: Sendable, Hashable {
    /// The operator-chosen name of the configured source (e.g. `jelou-prod`).
    public var source: String
    public var platform: Platform
    public var conversationID: String
    /// Per-conversation sequence number: starts at 1, +1 per event, no gaps.
    public var sequence: Int64
    public var type: EventType
    /// Shared by all events derived from one observation.
    public var observationID: String
    /// When the bridge observed the change.
    public var observedAt: Timestamp
    /// The platform's own time for the change when it gives one, else ``observedAt``.
    public var effectiveAt: Timestamp
    public var transition: Transition?
    public var changedFields: [String]
    public var before: ConversationSnapshot?
    public var after: ConversationSnapshot?
    /// The platform payload the observation came from (optional in the contract, on by default).
    public var raw: JSONValue?
    /// A forwarded native event's payload, unchanged.
    public var native: JSONValue?

    public init(
        source: String,
        platform: Platform,
        conversationID: String,
        sequence: Int64,
        type: EventType,
        observationID: String,
        observedAt: Timestamp,
        effectiveAt: Timestamp,
        transition: Transition? = nil,
        changedFields: [String] = [],
        before: ConversationSnapshot? = nil,
        after: ConversationSnapshot? = nil,
        raw: JSONValue? = nil,
        native: JSONValue? = nil
    ) {
        self.source = source
        self.platform = platform
        self.conversationID = conversationID
        self.sequence = sequence
        self.type = type
        self.observationID = observationID
        self.observedAt = observedAt
        self.effectiveAt = effectiveAt
        self.transition = transition
        self.changedFields = changedFields
        self.before = before
        self.after = after
        self.raw = raw
        self.native = native
    }

    /// The Kafka key on both topics: `{source}/{conversation_id}`.
    public var key: String { Self.key(source: source, conversationID: conversationID) }

    /// The deterministic CloudEvents id `{source}/{conversation_id}/{sequence}`: a re-delivery has the same id.
    public var id: String { "\(key)/\(sequence)" }

    public static func key(source: String, conversationID: String) -> String { "\(source)/\(conversationID)" }

    /// The contract's `data` object.
    /// - Parameter includeRaw: whether to carry the platform payload under `raw`.
    public func dataJSON(includeRaw: Bool) -> JSONValue {
        dataJSON(includeRaw: includeRaw, before: before?.jsonValue ?? .null, after: after?.jsonValue ?? .null)
    }

    /// `data` with the snapshots' JSON given: the events of one observation share them, so they are built once.
    func dataJSON(includeRaw: Bool, before beforeJSON: @autoclosure () -> JSONValue, after afterJSON: @autoclosure () -> JSONValue) -> JSONValue {
        var object = JSONObject()
        object.append("source", .string(source))
        object.append("platform", .string(platform.rawValue))
        object.append("conversation_id", .string(conversationID))
        object.append("sequence", .integer(sequence))
        object.append("observation_id", .string(observationID))
        object.append("observed_at", .string(observedAt.rfc3339))
        object.append("effective_at", .string(effectiveAt.rfc3339))
        if let operation = type.operation { object.append("op", .string(operation)) }
        if let native {
            object.append("native", native)
            return .object(object)
        }
        object.append("transition", transition?.jsonValue ?? .null)
        object.append("changed_fields", .array(changedFields.map(JSONValue.string)))
        object.append("before", beforeJSON())
        object.append("after", afterJSON())
        if includeRaw, let raw { object.append("raw", raw) }
        return .object(object)
    }
}
