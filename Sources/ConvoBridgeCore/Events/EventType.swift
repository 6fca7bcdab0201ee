/// A CloudEvents `type` (`ce_type`) of the contract.
///
/// An open set: the derived transition types are listed here, and platform-native events received by webhook are
/// forwarded as `{platform}.{native event name}`.
public struct EventType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static let discovered = EventType(rawValue: "conversation.discovered")
    public static let closed = EventType(rawValue: "conversation.closed")
    public static let reopened = EventType(rawValue: "conversation.reopened")
    public static let stateChanged = EventType(rawValue: "conversation.state_changed")
    public static let endedReasonChanged = EventType(rawValue: "conversation.ended_reason_changed")
    public static let assignmentChanged = EventType(rawValue: "conversation.assignment_changed")
    public static let updated = EventType(rawValue: "conversation.updated")
    public static let vanished = EventType(rawValue: "conversation.vanished")

    /// The derived types in the order the contract emits them when one observation yields several.
    public static let derivedInContractOrder: [EventType] = [
        .discovered, .closed, .reopened, .stateChanged, .endedReasonChanged, .assignmentChanged, .updated, .vanished,
    ]

    /// The `transition.kind` of a derived type (`closed` for `conversation.closed`); nil for a forwarded event.
    public var transitionKind: String? {
        isDerived ? String(rawValue.dropFirst("conversation.".count)) : nil
    }

    /// Whether the bridge derives this type from snapshots (as opposed to forwarding a platform's own event).
    public var isDerived: Bool { Self.derivedInContractOrder.contains(self) }

    /// The Debezium-style operation of a derived type, for upsert sinks: `c` for a discovery, `d` for a
    /// vanishing, `u` for every other change; nil for a forwarded platform event, which changes no state.
    public var operation: String? {
        switch self {
        case .discovered: "c"
        case .vanished: "d"
        default: isDerived ? "u" : nil
        }
    }

    /// A platform-native event forwarded from a webhook, e.g. `jelou.message`.
    public static func native(platform: Platform, name: String) -> EventType {
        EventType(rawValue: "\(platform.rawValue).\(name)")
    }
}
