public import ConvoBridgeCore

/// One synthetic conversation, rendered exactly as Jelou's two endpoints render theirs (and, in extensions, as
/// Chatvolt and Zild render theirs).
public struct SimulatedConversation: Sendable, Hashable {
    public var id: String
    public var roomID: String
    /// `active`, `closed`, `resolved` or `expired`.
    public var state: String
    public var startAt: Timestamp
    public var endAt: Timestamp?
    public var endedReason: String?
    public var userID: String
    public var userName: String
    public var userReferenceID: String
    public var botID: String
    public var botName: String
    public var channel: String
    /// The human agent (Advisor Conversations lists only conversations that have one).
    public var operatorName: String?
    public var teamName: String?
    public var companyID: String
    public var origin: String
    public var timeRepliedOperator: Int64?
    /// Deleted conversations answer 404 and leave the Advisor list.
    public var deleted = false
    /// How far along its scripted lifecycle the conversation is.
    public var scriptStep = 0
    /// Its number in the population (1, 2, …): Zild's integer id.
    public var number = 0
    /// When it last changed: Chatvolt's `updatedAt`, Zild's `lastConversationUpdateTime`.
    public var changedAt = Timestamp(millisecondsSinceEpoch: 0)

    public var isOpen: Bool { state == "active" }

    /// The Get Conversation success envelope.
    public func getConversationBody() -> JSONValue {
        var data: JSONObject = [
            "_id": .string(id),
            "roomId": .string(roomID),
            "state": .string(state),
            "startAt": .string(startAt.rfc3339),
        ]
        if let endAt { data["endAt"] = .string(endAt.rfc3339) }
        if let endedReason { data["endedReason"] = .string(endedReason) }
        data["User"] = .object([
            "id": .string(userID), "names": .string(userName), "referenceId": .string(userReferenceID),
            "createdAt": .string(startAt.adding(milliseconds: -86_400_000).rfc3339),
        ])
        data["Bot"] = .object(["id": .string(botID), "name": .string(botName), "type": .string(channel)])
        return .object([
            "message": .array([.string("Conversation retrieved successfully")]),
            "statusMessage": .string("success"),
            "status": .integer(1),
            "data": .object(data),
        ])
    }

    /// One `results[]` item of Advisor Conversations.
    public func advisorResult(now: Timestamp) -> JSONValue {
        let duration = (endAt ?? now).millisecondsSinceEpoch - startAt.millisecondsSinceEpoch
        return .object([
            "_id": .string(id),
            "operator": .object(["names": .optional(operatorName)]),
            "user": .object(["id": .string(userID)]),
            "bot": .object(["name": .string(botName)]),
            "company": .object(["id": .string(companyID)]),
            "assignationMethod": .object(["teamName": .optional(teamName)]),
            "state": .string(state),
            "endedReason": .optional(endedReason),
            "startAt": .string(startAt.rfc3339),
            "endAt": .optional(endAt?.rfc3339),
            "origin": .string(origin),
            "timeRepliedOperator": timeRepliedOperator.map(JSONValue.integer) ?? .null,
            "conversationDuration": isOpen ? .null : .integer(duration),
        ])
    }
}
