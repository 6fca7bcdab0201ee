import ConvoBridgeCore

/// Two versions of one conversation per platform, as the platforms send them (the shapes of the test fixtures).
struct HotPathPayloads: Sendable {
    var name: String
    var conversationID: String
    var versions: [[UInt8]]
    var normalize: @Sendable (JSONValue) throws -> ObservedConversation

    static let all = [jelou, chatvolt, zild]

    static let jelou = HotPathPayloads(
        name: "Jelou", conversationID: "6650f1c0a1b2c3d4e5f60718",
        versions: [Self.jelouBody(state: "active", end: nil, reason: nil), Self.jelouBody(state: "closed", end: "2026-01-15T10:45:00.000Z", reason: "closed_by_operator")],
        normalize: { try JelouConversationPayload.observation(from: $0) }
    )

    static func jelouBody(state: String, end: String?, reason: String?) -> [UInt8] {
        let closing = end.map { #","endAt":"\#($0)","endedReason":"\#(reason ?? "")""# } ?? ""
        return Array(#"""
            {"message":["Conversation retrieved successfully"],"statusMessage":"success","status":1,"data":{"_id":"6650f1c0a1b2c3d4e5f60718","roomId":"room-88123","state":"\#(state)","startAt":"2026-01-15T10:30:00.000Z"\#(closing),"User":{"id":"u-5511999990000","names":"Ana Souza","referenceId":"5511999990000","createdAt":"2025-01-28T20:54:25.572Z"},"Bot":{"id":"bot-1","name":"Asistente","type":"Whatsapp"}}}
            """#.utf8)
    }

    static let chatvolt = HotPathPayloads(
        name: "Chatvolt", conversationID: "clx9k2m3n0001abcd1234efgh",
        versions: [Self.chatvoltBody(status: "HUMAN_REQUESTED", ai: false, assignee: #"[{"user":{"id":"user_42","name":"Bruno Lima","email":"bruno@example.com"}}]"#),
                   Self.chatvoltBody(status: "RESOLVED", ai: true, assignee: "[]")],
        normalize: { try ChatvoltConversationPayload.observation(from: $0) }
    )

    static func chatvoltBody(status: String, ai: Bool, assignee: String) -> [UInt8] {
        Array(#"""
            {"id":"clx9k2m3n0001abcd1234efgh","title":"Order 1042","unreadMessagesCount":2,"isAiEnabled":\#(ai),"channel":"whatsapp","status":"\#(status)","blocked":false,"isGroup":false,"priority":"HIGH","metadata":{"orderId":"1042"},"organizationId":"org_01","agentId":"agent_01","userId":null,"visitorId":"visitor_77","frustration":0.62,"createdAt":"2026-01-15T10:30:00.000Z","updatedAt":"2026-01-15T10:41:07.250Z","participantsContacts":[{"id":"contact_01","email":"ana@example.com","firstName":"Ana","lastName":"Souza","externalId":"crm-8812"}],"conversationVariables":[],"conversationContexts":[],"assignees":\#(assignee),"tags":[{"tag":"shipping"},{"tag":"angry"}],"crmScenarioConversations":[]}
            """#.utf8)
    }

    static let zild = HotPathPayloads(
        name: "Zild", conversationID: "48213",
        versions: [Self.zildBody(active: true, finished: "null", reason: 0, counterpart: 0),
                   Self.zildBody(active: false, finished: #""2026-01-15T11:05:12.5""#, reason: 4, counterpart: 91)],
        normalize: { try ZildConversationPayload.observation(from: $0, endedReasonLabels: [4: "resolved"]) }
    )

    static func zildBody(active: Bool, finished: String, reason: Int, counterpart: Int) -> [UInt8] {
        Array(#"""
            {"id":48213,"active":\#(active),"liveAgent":\#(!active),"from":"5511988887777","conversationId":"wamid.HBgN","createdAt":"2026-01-15T10:30:00","finishedAt":\#(finished),"queuedAt":"2026-01-15T10:34:10.1234567","lastConversationUpdateTime":"2026-01-15T10:34:10","lastMessageContent":"quero falar com um atendente","contactName":"Carla Dias","userId":0,"userName":null,"counterpartUserId":\#(counterpart),"counterpartUserName":"Diego Rocha","botId":7,"botName":"Assistente","tenantId":3,"messages":null,"conversationIntegrationType":2,"duration":"00:35:12.5000000","tags":[{"id":2,"name":"boleto"}],"conversationEvaluationStatus":0,"queueId":5,"queueName":"Financeiro","conversationEndedReasonId":\#(reason),"agentType":1,"conversationType":0,"callSuccessful":false,"totalUnreadedMessagesByUser":1,"agentId":0}
            """#.utf8)
    }
}
