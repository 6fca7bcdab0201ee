/// The change an event reports: which field moved, from what, to what.
public struct Transition: Sendable, Hashable {
    /// The event's short kind (`closed`, `reopened`, `state_changed`, …).
    public var kind: String
    public var field: String
    public var from: JSONValue
    public var to: JSONValue

    /// The transition of a derived event: its kind is the type's, its field the contract's name for `field`.
    public init(_ type: EventType, field: ContractField, from: JSONValue, to: JSONValue) {
        precondition(type.isDerived, "only derived events carry a transition")
        self.init(kind: type.transitionKind ?? type.rawValue, field: field.name, from: from, to: to)
    }

    public init(kind: String, field: String, from: JSONValue, to: JSONValue) {
        self.kind = kind
        self.field = field
        self.from = from
        self.to = to
    }

    public var jsonValue: JSONValue {
        .object(["kind": .string(kind), "field": .string(field), "from": from, "to": to])
    }
}
