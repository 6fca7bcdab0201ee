import ConvoBridgeCore
import Testing

@Suite("Jelou payloads into normalized snapshots")
struct JelouPayloadTests {
    static func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }

    @Test("The documented Get Conversation example normalizes field by field")
    func closedConversation() throws {
        let observed = try JelouConversationPayload.observation(from: Self.json(JelouFixtures.closedConversation))
        let snapshot = observed.snapshot
        #expect(snapshot.conversationID == "CONVERSATION_ID")
        #expect(snapshot.platform == .jelou)
        #expect(snapshot.status == .closed)
        #expect(snapshot.state == "closed")
        #expect(snapshot.endedReason == "closed_by_operator")
        #expect(snapshot.startedAt == Timestamp(iso8601: "2026-01-15T10:30:00Z"))
        #expect(snapshot.endedAt == Timestamp(iso8601: "2026-01-15T10:45:00Z"))
        #expect(snapshot.user == .init(id: "USER_ID", name: "USER_NAME", referenceID: "USER_REFERENCE_ID"))
        #expect(snapshot.bot == .init(id: "BOT_ID", name: "BOT_NAME", channel: "Whatsapp"))
        #expect(snapshot.assignee == nil && snapshot.team == nil)
        #expect(snapshot.attributes["room_id"] == .string("ROOM_ID"))
        #expect(observed.raw["_id"] == .string("CONVERSATION_ID"), "raw keeps the platform's data object")
        #expect(!observed.coverage.contains(.assigneeName), "Get Conversation has no operator")
    }

    @Test("A missing endAt is an open conversation with no end time, not an error")
    func activeConversation() throws {
        let snapshot = try JelouConversationPayload.observation(from: Self.json(JelouFixtures.activeConversation)).snapshot
        #expect(snapshot.status == .open)
        #expect(snapshot.endedAt == nil)
        #expect(snapshot.endedReason == nil)
    }

    @Test(
        "Unknown states pass through; status follows endAt",
        arguments: [
            ("active", nil, ConversationStatus.open), ("closed", nil, .closed), ("resolved", nil, .closed), ("expired", nil, .closed),
            ("ACTIVE", nil, .open), ("archived", "2026-01-15T10:45:00Z", .closed), ("waiting", nil, .open),
        ] as [(String, String?, ConversationStatus)])
    func states(state: String, endAt: String?, expected: ConversationStatus) {
        #expect(JelouState.status(state: state, endedAt: endAt.flatMap(Timestamp.init(iso8601:))) == expected)
    }

    @Test("Both error envelopes are read; message may be a string or an array")
    func errorEnvelopes() throws {
        let gateway = try #require(JelouErrorBody(body: Self.json(JelouFixtures.errorEnvelope)))
        #expect(gateway.description == "conversation_not_found: The conversation does not exist")
        let legacy = try #require(JelouErrorBody(body: Self.json(JelouFixtures.legacyError)))
        #expect(legacy.description == "forbidden_bot: The bot does not belong to this company")
        let messages = try #require(JelouErrorBody(body: Self.json(#"{"message": ["a", "b"]}"#)))
        #expect(messages.description == "a; b")
        #expect(JelouErrorBody(body: try Self.json(#"{"unrelated": true}"#)) == nil)
    }

    @Test(
        "Bad payloads fail with the endpoint and the path named",
        arguments: [
            (#"{"message": ["ok"]}"#, "jelou get-conversation: data: missing"),
            (#"{"data": {"_id": "c", "startAt": "x"}}"#, "jelou get-conversation data: state: missing"),
            (
                #"{"data": {"_id": "c", "state": "active", "startAt": "yesterday"}}"#,
                "jelou get-conversation data: startAt: not an ISO 8601 date-time: yesterday"
            ),
            // Year 0 (before 0001 in UTC): trapped when the snapshot was encoded, at every start, before it was refused here.
            (
                #"{"data": {"_id": "c", "state": "active", "startAt": "0000-01-01T00:00:00+01:00"}}"#,
                "jelou get-conversation data: startAt: not an ISO 8601 date-time: 0000-01-01T00:00:00+01:00"
            ),
            (
                #"{"data": {"_id": "c", "state": "active", "startAt": "0001-01-01T00:30:00+01:00"}}"#,
                "jelou get-conversation data: startAt: not an ISO 8601 date-time: 0001-01-01T00:30:00+01:00"
            ),
            (
                #"{"data": {"_id": "c", "state": "active", "User": {"id": ["u"]}}}"#,
                "jelou get-conversation data: User.id: expected a string, found an array"
            ),
            (#"{"data": "closed"}"#, "jelou get-conversation: data: expected an object, found a string"),
        ])
    func badConversations(body: String, message: String) throws {
        let error = #expect(throws: PayloadError.self) { try JelouConversationPayload.observation(from: Self.json(body)) }
        #expect(error?.description == message)
    }

    @Test("An Advisor page: every documented field, pagination, operator and team")
    func advisorPage() throws {
        let page = try JelouAdvisorPage(body: Self.json(JelouFixtures.advisorPage), requestedPage: 1)
        #expect(page.page == 1, "the docs' pagination table has no page field: the requested page stands in")
        #expect(page.totalPages == 3)
        #expect(page.total == 5)
        #expect(page.conversations.map(\.conversationID) == ["c-1", "c-2"])
        let first = page.conversations[0].snapshot
        #expect(first.status == .closed)
        #expect(first.state == "resolved")
        #expect(first.assignee == .init(name: "Ana Torres"))
        #expect(first.team == "Soporte")
        #expect(first.user == .init(id: "u-1"))
        #expect(first.bot == .init(name: "Asistente"))
        #expect(first.startedAt == Timestamp(iso8601: "2025-01-01T14:00:00Z"))
        #expect(
            first.attributes == [
                "company_id": .string("co-1"), "origin": .string("ticket"),
                "time_replied_operator_ms": .integer(45000), "conversation_duration_ms": .integer(1_800_000),
            ])
        let second = page.conversations[1].snapshot
        #expect(second.status == .open && second.endedAt == nil && second.endedReason == nil)
        #expect(second.attributes["conversation_duration_ms"] == nil)
    }

    @Test("An Advisor result without an id or with results missing fails clearly")
    func badAdvisorPages() throws {
        let noID = #expect(throws: PayloadError.self) {
            try JelouAdvisorPage(body: Self.json(#"{"results": [{"state": "active"}]}"#), requestedPage: 1)
        }
        #expect(noID?.description == "jelou advisor-conversations results[0]: _id: missing")
        let noResults = #expect(throws: PayloadError.self) { try JelouAdvisorPage(body: Self.json(#"{"pagination": {}}"#), requestedPage: 1) }
        #expect(noResults?.description == "jelou advisor-conversations: results: missing")
    }

    @Test("Webhook events: the documented message event, close events, and what is refused")
    func webhookEvents() throws {
        let message = try JelouWebhookEvent.nativeEvent(from: Self.json(JelouFixtures.messageEvent))
        #expect(message.name == "message")
        #expect(message.conversationID == "c-1")
        #expect(message.occurredAt == Timestamp(millisecondsSinceEpoch: 1_776_134_278_574))
        #expect(message.eventType.rawValue == "jelou.message")
        let close = try JelouWebhookEvent.nativeEvent(from: Self.json(#"{"event": "conversation.close", "timestamp": 1, "conversation_id": "c-9"}"#))
        #expect(close.eventType.rawValue == "jelou.conversation.close" && close.conversationID == "c-9")
        #expect(throws: PayloadError.self) { try JelouWebhookEvent.nativeEvent(from: Self.json(#"{"event": "message"}"#)) }
        #expect(throws: PayloadError.self) { try JelouWebhookEvent.nativeEvent(from: Self.json(#"{"conversation": {"id": "c"}}"#)) }
        #expect(throws: PayloadError.self) { try JelouWebhookEvent.nativeEvent(from: Self.json(#"{"event": "Bad Name!", "conversation_id": "c"}"#)) }
        #expect(throws: PayloadError.self) { try JelouWebhookEvent.nativeEvent(from: Self.json(#"[1]"#)) }
    }

    @Test("Each endpoint updates only the fields it reports; the rest carry over")
    func mergeByCoverage() throws {
        let advisor = try JelouAdvisorPage(body: Self.json(JelouFixtures.advisorPage), requestedPage: 1).conversations[0]
        var conversation = try JelouConversationPayload.observation(from: Self.json(JelouFixtures.closedConversation))
        conversation.snapshot.conversationID = "c-1"
        let afterAdvisor = advisor.merged(onto: nil)
        let afterConversation = conversation.merged(onto: afterAdvisor)
        #expect(afterConversation.assignee == .init(name: "Ana Torres"), "Get Conversation has no operator: it must not erase it")
        #expect(afterConversation.team == "Soporte")
        #expect(afterConversation.state == "closed", "state is reported by both: the latest wins")
        #expect(afterConversation.user == .init(id: "USER_ID", name: "USER_NAME", referenceID: "USER_REFERENCE_ID"))
        #expect(afterConversation.attributes["room_id"] == .string("ROOM_ID"))
        #expect(afterConversation.attributes["origin"] == .string("ticket"), "attributes it does not report carry over")
        let back = advisor.merged(onto: afterConversation)
        #expect(back.user == .init(id: "u-1", name: "USER_NAME", referenceID: "USER_REFERENCE_ID"), "Advisor reports user.id only")
        #expect(back.bot == .init(id: "BOT_ID", name: "Asistente", channel: "Whatsapp"))
        #expect(SnapshotDiff.changedFields(back, advisor.merged(onto: back)).isEmpty, "merging the same observation twice changes nothing")
    }
}

extension JelouPayloadTests {
    @Test("An overtaken answer contributes only the fields the newer one cannot know")
    func excludingSharedFields() throws {
        let advisor = try JelouAdvisorPage(body: Self.json(JelouFixtures.advisorPage), requestedPage: 1).conversations[1]
        var newer = advisor.snapshot
        newer.status = .closed
        newer.state = "closed"
        newer.assignee = nil
        let shared = JelouConversationPayload.coverage.intersection(JelouAdvisorPage.coverage)
        let merged = advisor.excluding(shared).merged(onto: newer)
        #expect(merged.status == .closed && merged.state == "closed", "the older answer's open state does not win")
        #expect(merged.assignee == .init(name: "Luis Paredes"), "its operator, which the other endpoint lacks, does")
    }
}
