public import ConvoBridgeCore

extension SimulatedConversation {
    /// Chatvolt's `ConversationDetailed`: open conversations are `UNRESOLVED`, or `HUMAN_REQUESTED` with the AI off
    /// once an agent took them; every closed state is `RESOLVED` (Chatvolt has no end reason).
    public func chatvoltBody() -> JSONValue {
        let status = !isOpen ? "RESOLVED" : operatorName != nil ? "HUMAN_REQUESTED" : "UNRESOLVED"
        let names = userName.split(separator: " ", maxSplits: 1).map(String.init)
        return .object([
            "id": .string(id),
            "title": .null,
            "unreadMessagesCount": .integer(isOpen ? 1 : 0),
            "isAiEnabled": .bool(operatorName == nil),
            "channel": .string(channel.lowercased()),
            "status": .string(status),
            "blocked": .bool(false),
            "isGroup": .bool(false),
            "priority": .string("MEDIUM"),
            "metadata": .null,
            "organizationId": .string(companyID),
            "agentId": .string(botID),
            "userId": .null,
            "visitorId": .string(userID),
            "frustration": .null,
            "createdAt": .string(startAt.rfc3339),
            "updatedAt": .string(changedAt.rfc3339),
            "participantsContacts": .array([
                .object([
                    "id": .string("contact-\(number)"), "firstName": .optional(names.first), "lastName": .optional(names.count > 1 ? names[1] : nil),
                    "externalId": .string(userReferenceID),
                ])
            ]),
            "conversationVariables": .array([]),
            "conversationContexts": .array([]),
            "assignees": .array(
                operatorName.map { name in [.object(["user": .object(["id": .string(Self.slug(name)), "name": .string(name)])])] } ?? []),
            "tags": .array(teamName.map { [.object(["tag": .string($0)])] } ?? []),
            "crmScenarioConversations": .array([]),
        ])
    }

    /// `conversationEndedReasonId` of each end reason the simulator uses (Zild documents no catalog).
    public static let zildEndedReasonIDs: [String: Int64] = ["closed_by_operator": 1, "closed_by_user": 2, "expired": 3, "closed_by_bot": 4]

    /// Zild's conversation: the integer id is the conversation's number; an agent's conversation is `liveAgent`,
    /// queued in its team's queue.
    public func zildBody() -> JSONValue {
        let queueID = teamName.map { Self.stableNumber($0) }
        return .object([
            "id": .integer(number),
            "active": .bool(isOpen),
            "liveAgent": .bool(operatorName != nil),
            "from": .string(userReferenceID),
            "conversationId": .string(roomID),
            "createdAt": .string(startAt.rfc3339),
            "finishedAt": .optional(endAt?.rfc3339),
            "queuedAt": .optional(operatorName == nil ? nil : startAt.adding(milliseconds: 1000).rfc3339),
            "lastConversationUpdateTime": .string(changedAt.rfc3339),
            "lastMessageContent": .string("…"),
            "contactName": .string(userName),
            "userId": .integer(0),
            "userName": .null,
            "counterpartUserId": .integer(operatorName.map { Self.stableNumber($0) } ?? 0),
            "counterpartUserName": .optional(operatorName),
            "botId": .integer(1),
            "botName": .string(botName),
            "tenantId": .integer(1),
            "messages": .null,
            "conversationIntegrationType": .integer(2),
            "duration": endAt.map { .string(Self.timeSpan(milliseconds: $0.millisecondsSinceEpoch - startAt.millisecondsSinceEpoch)) } ?? .null,
            "tags": .null,
            "conversationEvaluationStatus": .integer(0),
            "queueId": .integer(queueID ?? 0),
            "queueName": .optional(teamName),
            "conversationEndedReasonId": .integer(endedReason.map { Self.zildEndedReasonIDs[$0] ?? 9 } ?? 0),
            "agentType": .integer(1),
            "conversationType": .integer(0),
            "callSuccessful": .bool(false),
            "totalUnreadedMessagesByUser": .integer(0),
            "agentId": .integer(0),
        ])
    }

    /// A positive number derived from a name, the same in every run (Zild's integer user and queue ids).
    static func stableNumber(_ name: String) -> Int64 {
        Int64(name.utf8.reduce(UInt32(17)) { $0 &* 31 &+ UInt32($1) } % 9_999) + 1
    }

    static func slug(_ name: String) -> String {
        "user-" + name.lowercased().split(separator: " ").joined(separator: "-")
    }

    /// `hh:mm:ss` (with `d.` past a day), as .NET writes a `TimeSpan`.
    static func timeSpan(milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds) / 1000
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let clock = "\(two(seconds / 3600 % 24)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
        return seconds >= 86_400 ? "\(seconds / 86_400).\(clock)" : clock
    }
}
