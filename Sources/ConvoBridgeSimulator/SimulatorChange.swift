public import ConvoBridgeCore
public import Logging

/// One change the simulator made to its population, numbered, so that a test can compute the events a bridge
/// must publish for it.
public struct SimulatorChange: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case created, assigned, closed
        case endedReasonChanged = "ended_reason_changed"
        case stateChanged = "state_changed"
        case reopened, deleted
    }

    public var number: Int
    public var at: Timestamp
    public var conversationID: String
    public var kind: Kind
    /// The conversation after the change.
    public var conversation: SimulatedConversation

    public var jsonValue: JSONValue {
        .object([
            "number": .integer(number),
            "at": .string(at.rfc3339),
            "conversation_id": .string(conversationID),
            "conversation_number": .integer(Int64(conversation.number)),
            "kind": .string(kind.rawValue),
            "state": .string(conversation.state),
            "ended_reason": .optional(conversation.endedReason),
            "operator": .optional(conversation.operatorName),
            "team": .optional(conversation.teamName),
            "deleted": .bool(conversation.deleted),
        ])
    }

    /// What a log line says of the change: enough to replay a run and compute the events it must cause.
    public var logMetadata: Logger.Metadata {
        [
            "number": "\(number)", "at": "\(at.rfc3339)", "conversation_id": "\(conversationID)", "kind": "\(kind.rawValue)",
            "assigned": "\(conversation.operatorName != nil)",
            "state": "\(conversation.state)", "ended_reason": "\(conversation.endedReason ?? "null")",
        ]
    }
}
