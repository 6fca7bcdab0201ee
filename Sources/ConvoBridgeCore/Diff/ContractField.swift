/// A field of the contract's conversation snapshot, as `transition.field` and `changed_fields` name it: the diff
/// compares and reports these, not JSON keys.
public enum ContractField: Sendable, Hashable {
    case conversationID, platform, status, state, endedReason, startedAt, endedAt, updatedAt
    case user, bot, assignee, team, queue, priority
    /// One entry of `attributes`, reported as `attributes.NAME`.
    case attribute(String)

    /// The snapshot's top-level fields, in the order its JSON lists them (and `changed_fields` reports them).
    public static let topLevel: [ContractField] = [
        .conversationID, .platform, .status, .state, .endedReason, .startedAt, .endedAt, .updatedAt, .user, .bot, .assignee, .team,
        .queue, .priority,
    ]

    /// Who handles the conversation: a change to any of them is one `assignment_changed`.
    public static let assignment: [ContractField] = [.assignee, .team, .queue]

    /// The name in the contract's JSON.
    public var name: String {
        switch self {
        case .conversationID: "conversation_id"
        case .platform: "platform"
        case .status: "status"
        case .state: "state"
        case .endedReason: "ended_reason"
        case .startedAt: "started_at"
        case .endedAt: "ended_at"
        case .updatedAt: "updated_at"
        case .user: "user"
        case .bot: "bot"
        case .assignee: "assignee"
        case .team: "team"
        case .queue: "queue"
        case .priority: "priority"
        case .attribute(let name): "attributes.\(name)"
        }
    }

    /// This field's value in `snapshot`, as the contract writes it.
    public func value(in snapshot: ConversationSnapshot) -> JSONValue {
        switch self {
        case .conversationID: .string(snapshot.conversationID)
        case .platform: .string(snapshot.platform.rawValue)
        case .status: .string(snapshot.status.rawValue)
        case .state: .optional(snapshot.state)
        case .endedReason: .optional(snapshot.endedReason)
        case .startedAt: .optional(snapshot.startedAt?.rfc3339)
        case .endedAt: .optional(snapshot.endedAt?.rfc3339)
        case .updatedAt: .optional(snapshot.updatedAt?.rfc3339)
        case .user:
            snapshot.user.map { .object(["id": .optional($0.id), "name": .optional($0.name), "reference_id": .optional($0.referenceID)]) }
                ?? .null
        case .bot:
            snapshot.bot.map { .object(["id": .optional($0.id), "name": .optional($0.name), "channel": .optional($0.channel)]) } ?? .null
        case .assignee: snapshot.assignee.map { .object(["id": .optional($0.id), "name": .optional($0.name)]) } ?? .null
        case .team: .optional(snapshot.team)
        case .queue: .optional(snapshot.queue)
        case .priority: .optional(snapshot.priority)
        case .attribute(let name): snapshot.attributes[name] ?? .null
        }
    }

    /// Whether the field differs between two snapshots, compared on the typed values (no JSON is built); times as
    /// the contract writes them, so two times it cannot tell apart (clamped to its range) are not a change, and an
    /// absent attribute as null.
    public func differs(_ previous: ConversationSnapshot, _ current: ConversationSnapshot) -> Bool {
        switch self {
        case .conversationID: previous.conversationID != current.conversationID
        case .platform: previous.platform != current.platform
        case .status: previous.status != current.status
        case .state: previous.state != current.state
        case .endedReason: previous.endedReason != current.endedReason
        case .startedAt, .endedAt, .updatedAt: value(in: previous) != value(in: current)
        case .user: previous.user != current.user
        case .bot: previous.bot != current.bot
        case .assignee: previous.assignee != current.assignee
        case .team: previous.team != current.team
        case .queue: previous.queue != current.queue
        case .priority: previous.priority != current.priority
        // An attribute the platform sent as null and one it left out are the same to a consumer: not a change.
        case .attribute(let name): (previous.attributes[name] ?? .null) != (current.attributes[name] ?? .null)
        }
    }
}
