/// The normalized state of one conversation at one observation, as the event contract defines it.
///
/// Every platform's payload is mapped into this shape; fields a platform lacks stay nil (JSON `null`), and the
/// platform's own values (state, end reason, enum integers) pass through as strings, never coerced.
public struct ConversationSnapshot: Sendable, Hashable {
    /// The end user of the conversation.
    public struct User: Sendable, Hashable {
        public var id: String?
        public var name: String?
        public var referenceID: String?

        public init(id: String? = nil, name: String? = nil, referenceID: String? = nil) {
            self.id = id
            self.name = name
            self.referenceID = referenceID
        }
    }

    /// The bot (or AI agent) and the channel it speaks on.
    public struct Bot: Sendable, Hashable {
        public var id: String?
        public var name: String?
        public var channel: String?

        public init(id: String? = nil, name: String? = nil, channel: String? = nil) {
            self.id = id
            self.name = name
            self.channel = channel
        }
    }

    /// The human operator the conversation is assigned to.
    public struct Assignee: Sendable, Hashable {
        public var id: String?
        public var name: String?

        public init(id: String? = nil, name: String? = nil) {
            self.id = id
            self.name = name
        }
    }

    public var conversationID: String
    public var platform: Platform
    public var status: ConversationStatus
    /// The platform's raw state (`active`, `RESOLVED`, …).
    public var state: String?
    public var endedReason: String?
    public var startedAt: Timestamp?
    public var endedAt: Timestamp?
    public var updatedAt: Timestamp?
    public var user: User?
    public var bot: Bot?
    public var assignee: Assignee?
    public var team: String?
    public var queue: String?
    public var priority: String?
    /// Platform extras that are tracked for `conversation.updated` but have no normalized field.
    public var attributes: JSONObject

    public init(
        conversationID: String,
        platform: Platform,
        status: ConversationStatus,
        state: String? = nil,
        endedReason: String? = nil,
        startedAt: Timestamp? = nil,
        endedAt: Timestamp? = nil,
        updatedAt: Timestamp? = nil,
        user: User? = nil,
        bot: Bot? = nil,
        assignee: Assignee? = nil,
        team: String? = nil,
        queue: String? = nil,
        priority: String? = nil,
        attributes: JSONObject = JSONObject()
    ) {
        self.conversationID = conversationID
        self.platform = platform
        self.status = status
        self.state = state
        self.endedReason = endedReason
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.updatedAt = updatedAt
        self.user = user
        self.bot = bot
        self.assignee = assignee
        self.team = team
        self.queue = queue
        self.priority = priority
        self.attributes = attributes
    }
}
