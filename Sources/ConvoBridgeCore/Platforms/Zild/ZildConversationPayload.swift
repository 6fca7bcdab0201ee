/// Normalizes Zild's conversation (`GET /api/Conversation/{id}`): a bare object with an integer `id`.
///
/// | snapshot | Zild |
/// |---|---|
/// | `status` | closed when `active` is false or `finishedAt` is set, else open |
/// | `state` | derived: `ended`; else `live_agent` (`liveAgent`); else `queued` (`queuedAt` set); else `bot` |
/// | `ended_reason` | `conversationEndedReasonId` (0 = none), as its label when configured, else the id as text |
/// | `started_at`, `ended_at`, `updated_at` | `createdAt`, `finishedAt`, `lastConversationUpdateTime` |
/// | `user` | `from` (the channel address), `contactName` |
/// | `bot` | `botId` (or `agentId`), `botName`, `conversationIntegrationType` (integer, passed through) |
/// | `assignee` | `counterpartUserId` (0 = none), `counterpartUserName` |
/// | `queue` | `queueName`, else `queueId` (0 = none) |
/// | `attributes` | `queue_id`, `queued_at`, `duration_ms` (.NET time span), `evaluation_status`, `agent_type`, `conversation_type`, `tags` (names, sorted), `call_status`, `disconnection_reason`, `call_successful`, `user_id`, `user_name` |
///
/// Unlabelled integer enums pass through as numbers. Message-level fields (`messages`, `lastMessageContent`,
/// `totalUnreadedMessagesByUser`, `waterMark`) stay out of the snapshot so a message is not a transition; they are
/// in `raw`.
public enum ZildConversationPayload {
    public static let context = "zild conversation"

    /// Why `id` cannot be a Zild conversation id (they are positive int32s), or nil.
    public static func problem(withConversationID id: String) -> String? {
        ConversationIDRule.problem(id, platform: .zild)
    }

    public static let coverage = Set(SnapshotField.allCases).subtracting([.team, .priority, .userReferenceID])
    public static let coveredAttributes: Set<String> = [
        "queue_id", "queued_at", "duration_ms", "evaluation_status", "agent_type", "conversation_type", "tags",
        "call_status", "disconnection_reason", "call_successful", "user_id", "user_name",
    ]

    /// - Parameter endedReasonLabels: `conversationEndedReasonId` → label, from the configuration (Zild documents no
    ///   catalog).
    public static func observation(from body: JSONValue, endedReasonLabels: [Int64: String] = [:]) throws(PayloadError) -> ObservedConversation {
        guard body.objectValue != nil else { throw PayloadError(context: context, path: "", problem: "expected an object, found \(body.kindName)") }
        let reader = PayloadReader(context: context, root: body)
        guard let id = try reader.integer("id") else { throw reader.failure("id", "missing") }
        let finishedAt = try reader.timestamp("finishedAt")
        let active = try reader.bool("active") ?? true
        let liveAgent = try reader.bool("liveAgent") ?? false
        let queuedAt = try reader.timestamp("queuedAt")
        let ended = !active || finishedAt != nil
        let state = ended ? "ended" : liveAgent ? "live_agent" : queuedAt != nil ? "queued" : "bot"
        // Zild's foreign keys are non-nullable int32s: 0 means "none".
        func nonZero(_ path: String) throws(PayloadError) -> String? {
            guard let value = try reader.integer(path), value != 0 else { return nil }
            return String(value)
        }
        let reasonID = try reader.integer("conversationEndedReasonId").flatMap { $0 == 0 ? nil : $0 }
        let queueID = try nonZero("queueId")
        let counterpartID = try nonZero("counterpartUserId")
        let counterpartName = try reader.string("counterpartUserName")
        let botID = try nonZero("botId")
        let agentID = try nonZero("agentId")

        var attributes = JSONObject()
        func number(_ key: String, _ path: String) throws(PayloadError) {
            if let value = try reader.integer(path) { attributes[key] = .integer(value) }
        }
        if let queueID { attributes["queue_id"] = .number(queueID) }
        if let queuedAt { attributes["queued_at"] = .string(queuedAt.rfc3339) }
        if let duration = try reader.string("duration"), !duration.isEmpty {
            guard let milliseconds = DotNetTimeSpan.milliseconds(duration) else {
                throw reader.failure("duration", "not a .NET time span ([d.]hh:mm:ss[.fffffff]): \(duration)")
            }
            attributes["duration_ms"] = .integer(milliseconds)
        }
        try number("evaluation_status", "conversationEvaluationStatus")
        try number("agent_type", "agentType")
        try number("conversation_type", "conversationType")
        try number("user_id", "userId")
        if let userName = try reader.string("userName") { attributes["user_name"] = .string(userName) }
        let tags = try reader.elements("tags") { (tag) throws(PayloadError) in try tag.string("name") }
        if !tags.isEmpty { attributes["tags"] = .array(tags.sorted().map(JSONValue.string)) }
        if let callStatus = try reader.string("callStatus") { attributes["call_status"] = .string(callStatus) }
        if let reason = try reader.string("disconnectionReason") { attributes["disconnection_reason"] = .string(reason) }
        if let successful = try reader.bool("callSuccessful"), try reader.string("callStatus") != nil {
            // Only meaningful for calls: a chat conversation reports false forever.
            attributes["call_successful"] = .bool(successful)
        }

        let snapshot = ConversationSnapshot(
            conversationID: String(id),
            platform: .zild,
            status: ended ? .closed : .open,
            state: state,
            endedReason: reasonID.map { endedReasonLabels[$0] ?? String($0) },
            startedAt: try reader.timestamp("createdAt"),
            endedAt: finishedAt,
            updatedAt: try reader.timestamp("lastConversationUpdateTime"),
            user: ConversationSnapshot.User(id: try reader.string("from"), name: try reader.string("contactName")).nonEmpty,
            bot: ConversationSnapshot.Bot(
                id: botID ?? agentID,
                name: try reader.string("botName"),
                channel: try reader.integer("conversationIntegrationType").map(String.init)
            ).nonEmpty,
            assignee: counterpartID.map { ConversationSnapshot.Assignee(id: $0, name: counterpartName) },
            queue: try reader.string("queueName") ?? queueID,
            attributes: attributes
        )
        return ObservedConversation(snapshot: snapshot, coverage: coverage, coveredAttributes: coveredAttributes, raw: body)
    }
}
