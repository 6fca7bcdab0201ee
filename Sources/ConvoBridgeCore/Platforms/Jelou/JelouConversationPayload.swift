/// Normalizes Jelou's Get Conversation response (`GET …/v1/external-support/{projectId}/conversations/{id}`).
///
/// Envelope: `{message: [string] | string, statusMessage, status: 1, data: {_id, roomId, state, startAt, endAt?,
/// endedReason?, User{id, names, referenceId}, Bot{id, name, type}}}`. `endAt` is present only once closed. The
/// response has no operator or team: those fields are not covered and keep what the Advisor list last said.
public enum JelouConversationPayload {
    public static let context = "jelou get-conversation"

    public static let coverage: Set<SnapshotField> = [
        .state, .endedReason, .startedAt, .endedAt,
        .userID, .userName, .userReferenceID, .botID, .botName, .botChannel,
    ]
    public static let coveredAttributes: Set<String> = ["room_id"]

    public static func observation(from body: JSONValue) throws(PayloadError) -> ObservedConversation {
        let reader = PayloadReader(context: context, root: body)
        let data = try reader.requiredObject("data")
        let conversation = PayloadReader(context: context + " data", root: data)
        let state = try conversation.requiredString("state")
        let endedAt = try conversation.timestamp("endAt")
        var attributes = JSONObject()
        if let room = try conversation.string("roomId") { attributes["room_id"] = .string(room) }
        let snapshot = ConversationSnapshot(
            conversationID: try conversation.requiredString("_id"),
            platform: .jelou,
            status: JelouState.status(state: state, endedAt: endedAt),
            state: state,
            endedReason: try conversation.string("endedReason"),
            startedAt: try conversation.timestamp("startAt"),
            endedAt: endedAt,
            user: ConversationSnapshot.User(
                id: try conversation.string("User.id"),
                name: try conversation.string("User.names"),
                referenceID: try conversation.string("User.referenceId")
            ).nonEmpty,
            bot: ConversationSnapshot.Bot(
                id: try conversation.string("Bot.id"),
                name: try conversation.string("Bot.name"),
                channel: try conversation.string("Bot.type")
            ).nonEmpty,
            attributes: attributes
        )
        return ObservedConversation(snapshot: snapshot, coverage: coverage, coveredAttributes: coveredAttributes, raw: data)
    }
}
