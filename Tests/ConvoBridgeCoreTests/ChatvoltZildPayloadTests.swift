import ConvoBridgeCore
import Testing

@Suite("Chatvolt and Zild payloads into normalized snapshots")
struct ChatvoltZildPayloadTests {
    static func json(_ text: String) throws -> JSONValue { try JSONParser.parse(text) }
    static func observation(_ source: String) -> Observation {
        Observation(source: source, id: "obs-1", observedAt: Timestamp(millisecondsSinceEpoch: 0), raw: .null)
    }

    @Test("Chatvolt ConversationDetailed normalizes field by field")
    func chatvoltHumanRequested() throws {
        let observed = try ChatvoltConversationPayload.observation(from: Self.json(ChatvoltFixtures.humanRequested))
        let snapshot = observed.snapshot
        #expect(
            snapshot
                == ConversationSnapshot(
                    conversationID: "clx9k2m3n0001abcd1234efgh", platform: .chatvolt, status: .open, state: "HUMAN_REQUESTED",
                    startedAt: Timestamp(iso8601: "2026-01-15T10:30:00.000Z"), updatedAt: Timestamp(iso8601: "2026-01-15T10:41:07.250Z"),
                    user: .init(id: "visitor_77", name: "Ana Souza", referenceID: "crm-8812"),
                    bot: .init(id: "agent_01", channel: "whatsapp"),
                    assignee: .init(id: "user_42", name: "Bruno Lima"),
                    priority: "HIGH",
                    attributes: [
                        "ai_enabled": .bool(false), "tags": .array([.string("angry"), .string("shipping")]),
                        "crm_steps": .array([.string("Waiting for agent")]),
                    ]
                ))
        #expect(observed.raw == (try Self.json(ChatvoltFixtures.humanRequested)), "the payload is kept whole")
        #expect(observed.coverage.contains(.assigneeID) && !observed.coverage.contains(.endedReason), "Chatvolt has no end reason")
    }

    @Test(
        "Chatvolt statuses: RESOLVED is closed, the other two open, an undocumented one kept and open",
        arguments: [
            ("RESOLVED", ConversationStatus.closed), ("UNRESOLVED", .open), ("HUMAN_REQUESTED", .open), ("SNOOZED", .open),
        ])
    func chatvoltStatus(state: String, expected: ConversationStatus) throws {
        var body = try #require(try Self.json(ChatvoltFixtures.resolved).objectValue)
        body["status"] = .string(state)
        let snapshot = try ChatvoltConversationPayload.observation(from: .object(body)).snapshot
        #expect(snapshot.status == expected && snapshot.state == state)
    }

    @Test("Chatvolt: resolving, unassigning and handing back to the AI are the contract's transitions")
    func chatvoltDiff() throws {
        let before = try ChatvoltConversationPayload.observation(from: Self.json(ChatvoltFixtures.humanRequested)).snapshot
        let after = try ChatvoltConversationPayload.observation(from: Self.json(ChatvoltFixtures.resolved)).snapshot
        let events = SnapshotDiff.events(from: before, to: after, observation: Self.observation("chatvolt-prod"), nextSequence: 5)
        #expect(events.map(\.type) == [.closed, .assignmentChanged, .updated])
        #expect(events.first?.effectiveAt == Timestamp(iso8601: "2026-01-15T11:02:00.000Z"), "Chatvolt has no end time: updatedAt")
        #expect(events.last?.changedFields.contains("attributes.ai_enabled") == true)
    }

    @Test("Chatvolt: a bad payload names the field")
    func chatvoltErrors() throws {
        let missing = #expect(throws: PayloadError.self) { try ChatvoltConversationPayload.observation(from: Self.json(#"{"id": "x"}"#)) }
        #expect(missing?.path == "status")
        let badTime = #expect(throws: PayloadError.self) {
            try ChatvoltConversationPayload.observation(from: Self.json(#"{"id": "x", "status": "RESOLVED", "updatedAt": "yesterday"}"#))
        }
        #expect(badTime?.path == "updatedAt")
        let badTag = #expect(throws: PayloadError.self) {
            try ChatvoltConversationPayload.observation(from: Self.json(#"{"id": "x", "status": "RESOLVED", "tags": [{"tag": ["a"]}]}"#))
        }
        #expect(badTag?.description.contains("tags[0]") == true)
        #expect(throws: PayloadError.self) { try ChatvoltConversationPayload.observation(from: Self.json(ChatvoltFixtures.notFoundError)) }
        #expect(throws: PayloadError.self) { try ChatvoltConversationPayload.observation(from: Self.json("[]")) }
    }

    @Test("Zild: the documented example normalizes (placeholders and all)")
    func zildDocumentedExample() throws {
        let error = #expect(throws: PayloadError.self) { try ZildConversationPayload.observation(from: Self.json(ZildFixtures.documentedExample)) }
        #expect(error?.path == "duration" && error?.description.contains("<string>") == true, "the placeholder is not a time span")
        var body = try #require(try Self.json(ZildFixtures.documentedExample).objectValue)
        body["duration"] = .string("00:05:12")
        let snapshot = try ZildConversationPayload.observation(from: .object(body), endedReasonLabels: [123: "resolved_by_agent"]).snapshot
        #expect(snapshot.conversationID == "123" && snapshot.platform == .zild)
        #expect(snapshot.status == .closed && snapshot.state == "ended", "finishedAt is set")
        #expect(snapshot.endedReason == "resolved_by_agent")
        #expect(snapshot.assignee == .init(id: "123", name: "<string>"))
        #expect(snapshot.queue == "<string>" && snapshot.attributes["queue_id"] == .integer(123))
        #expect(snapshot.attributes["duration_ms"] == .integer(312_000))
        #expect(snapshot.bot == .init(id: "123", name: "<string>", channel: "0"))
        #expect(snapshot.updatedAt == Timestamp(iso8601: "2023-11-07T05:31:56Z"))
    }

    @Test("Zild: queued → finished gives closed, ended_reason_changed and assignment_changed; 0 ids are none")
    func zildLifecycle() throws {
        let queued = try ZildConversationPayload.observation(from: Self.json(ZildFixtures.queued)).snapshot
        #expect(queued.status == .open && queued.state == "queued")
        #expect(queued.assignee == nil && queued.endedReason == nil, "counterpartUserId 0 and conversationEndedReasonId 0 mean none")
        #expect(queued.queue == "Financeiro" && queued.attributes["queued_at"] == .string("2026-01-15T10:34:10.123Z"))
        #expect(queued.startedAt == Timestamp(iso8601: "2026-01-15T10:30:00Z"), "a time without a zone is UTC")
        let finished = try ZildConversationPayload.observation(from: Self.json(ZildFixtures.finished)).snapshot
        #expect(finished.endedReason == "4", "no label configured: the id as text")
        #expect(finished.attributes["duration_ms"] == .integer(2_112_500))
        let events = SnapshotDiff.events(from: queued, to: finished, observation: Self.observation("zild-prod"), nextSequence: 2)
        #expect(events.map(\.type) == [.closed, .endedReasonChanged, .assignmentChanged, .updated])
        #expect(events.first?.effectiveAt == Timestamp(iso8601: "2026-01-15T11:05:12.5"))
    }

    @Test("Zild: live agent, queued and bot are states of an open conversation")
    func zildStates() throws {
        var body = try #require(try Self.json(ZildFixtures.queued).objectValue)
        body["liveAgent"] = .bool(true)
        #expect(try ZildConversationPayload.observation(from: .object(body)).snapshot.state == "live_agent")
        body["liveAgent"] = .bool(false)
        body["queuedAt"] = .null
        #expect(try ZildConversationPayload.observation(from: .object(body)).snapshot.state == "bot")
        body["id"] = .string("abc")
        let error = #expect(throws: PayloadError.self) { try ZildConversationPayload.observation(from: .object(body)) }
        #expect(error?.path == "id")
    }

    @Test(
        ".NET time spans",
        arguments: [
            ("00:05:12", Int64(312_000)), ("1.02:03:04", 93_784_000), ("00:00:01.5", 1500), ("00:00:00.1234567", 123),
            ("-00:01:00", -60_000), ("23:59:59.999", 86_399_999), ("10675199.02:48:05.477", 922_337_203_685_477),
        ])
    func timeSpans(text: String, milliseconds: Int64) {
        #expect(DotNetTimeSpan.milliseconds(text) == milliseconds)
    }

    @Test(
        "Not .NET time spans",
        arguments: [
            "", "5:12", "00:60:00", "24:00:00", "1:02:03", "00:00:00.12345678", "a.00:00:00", "00:00:0x",
            "999999999999999.00:00:00", "10675200.00:00:00",
        ])
    func notTimeSpans(text: String) {
        #expect(DotNetTimeSpan.milliseconds(text) == nil)
    }
}
