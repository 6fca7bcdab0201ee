/// One page of Jelou's Advisor Conversations list (`POST /v1/metrics/conversations/attended/external`).
///
/// `{message: [string], status, results: [{_id, operator{names}, user{id}, bot{name}, company{id},
/// assignationMethod{teamName}, state, endedReason, startAt, endAt, origin, timeRepliedOperator,
/// conversationDuration}], pagination{limit, page, total, offset, totalPages}, links}`.
/// Each result is an observation of the operator and team, which Get Conversation lacks, and a discovery.
public struct JelouAdvisorPage: Sendable, Hashable {
    public static let context = "jelou advisor-conversations"

    public static let coverage: Set<SnapshotField> = [
        .state, .endedReason, .startedAt, .endedAt, .userID, .botName, .assigneeName, .team,
    ]
    public static let coveredAttributes: Set<String> = [
        "company_id", "origin", "time_replied_operator_ms", "conversation_duration_ms",
    ]

    public var conversations: [ObservedConversation]
    public var page: Int
    public var totalPages: Int
    public var total: Int

    public init(conversations: [ObservedConversation], page: Int, totalPages: Int, total: Int) {
        self.conversations = conversations
        self.page = page
        self.totalPages = totalPages
        self.total = total
    }

    /// Reads a page; `requestedPage` stands in when the response leaves `pagination.page` out (the docs' table does).
    public init(body: JSONValue, requestedPage: Int) throws(PayloadError) {
        let reader = PayloadReader(context: Self.context, root: body)
        guard let results = try reader.array("results") else { throw reader.failure("results", "missing") }
        var conversations: [ObservedConversation] = []
        conversations.reserveCapacity(results.count)
        for (index, result) in results.enumerated() {
            conversations.append(try Self.observation(from: result, index: index))
        }
        self.conversations = conversations
        self.page = Int(try reader.integer("pagination.page") ?? Int64(requestedPage))
        self.totalPages = Int(try reader.integer("pagination.totalPages") ?? 1)
        self.total = Int(try reader.integer("pagination.total") ?? Int64(results.count))
    }

    static func observation(from result: JSONValue, index: Int) throws(PayloadError) -> ObservedConversation {
        let reader = PayloadReader(context: "\(context) results[\(index)]", root: result)
        let state = try reader.requiredString("state")
        let endedAt = try reader.timestamp("endAt")
        var attributes = JSONObject()
        if let company = try reader.string("company.id") { attributes["company_id"] = .string(company) }
        if let origin = try reader.string("origin") { attributes["origin"] = .string(origin) }
        if let replied = try reader.integer("timeRepliedOperator") { attributes["time_replied_operator_ms"] = .integer(replied) }
        if let duration = try reader.integer("conversationDuration") { attributes["conversation_duration_ms"] = .integer(duration) }
        let snapshot = ConversationSnapshot(
            conversationID: try reader.requiredString("_id"),
            platform: .jelou,
            status: JelouState.status(state: state, endedAt: endedAt),
            state: state,
            endedReason: try reader.string("endedReason"),
            startedAt: try reader.timestamp("startAt"),
            endedAt: endedAt,
            user: ConversationSnapshot.User(id: try reader.string("user.id")).nonEmpty,
            bot: ConversationSnapshot.Bot(name: try reader.string("bot.name")).nonEmpty,
            assignee: ConversationSnapshot.Assignee(name: try reader.string("operator.names")).nonEmpty,
            team: try reader.string("assignationMethod.teamName"),
            attributes: attributes
        )
        return ObservedConversation(snapshot: snapshot, coverage: coverage, coveredAttributes: coveredAttributes, raw: result)
    }
}
