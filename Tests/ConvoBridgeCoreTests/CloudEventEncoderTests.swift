import ConvoBridgeCore
import Testing

@Suite("CloudEvents encoding (event contract)")
struct CloudEventEncoderTests {
    static let observedAt = Timestamp(iso8601: "2026-01-15T10:45:02.114Z")!
    static let before = ConversationSnapshot(
        conversationID: "c-1", platform: .jelou, status: .open, state: "active",
        startedAt: Timestamp(iso8601: "2026-01-15T10:30:00.000Z"),
        user: .init(id: "u-1", name: "Ana", referenceID: "r-1"),
        bot: .init(id: "b-1", name: "Bot", channel: "Whatsapp")
    )
    static var after: ConversationSnapshot {
        var after = before
        after.status = .closed
        after.state = "closed"
        after.endedReason = "closed_by_operator"
        after.endedAt = Timestamp(iso8601: "2026-01-15T10:45:00.000Z")
        return after
    }
    static let event = ConversationEvent(
        source: "jelou-prod", platform: .jelou, conversationID: "c-1", sequence: 3, type: .closed,
        observationID: "obs-9", observedAt: observedAt, effectiveAt: after.endedAt!,
        transition: Transition(kind: "closed", field: "status", from: .string("open"), to: .string("closed")),
        changedFields: ["status", "state", "ended_reason", "ended_at"],
        before: before, after: after, raw: .object(["_id": .string("c-1")])
    )

    @Test("binary mode: key, the contract's headers in order, data as value")
    func binary() throws {
        let record = CloudEventEncoder().eventRecord(Self.event)
        #expect(record.topic == "conversation-events")
        #expect(record.key == Array("jelou-prod/c-1".utf8))
        #expect(
            record.headers.map { "\($0.name)=\(String(decoding: $0.value, as: UTF8.self))" } == [
                "ce_specversion=1.0", "ce_id=jelou-prod/c-1/3", "ce_source=/sources/jelou-prod",
                "ce_type=conversation.closed",
                "ce_dataschema=https://raw.githubusercontent.com/convobridge/convobridge/main/deploy/schemas/v1/data/conversation.closed.json",
                "ce_subject=c-1", "ce_time=2026-01-15T10:45:02.114Z", "ce_sequence=3",
                "ce_partitionkey=jelou-prod/c-1", "content-type=application/json",
            ])
        let data = try JSONParser.parse(try #require(record.value))
        #expect(
            data.objectValue?.keys == [
                "source", "platform", "conversation_id", "sequence", "observation_id", "observed_at", "effective_at",
                "op", "transition", "changed_fields", "before", "after", "raw",
            ])
        #expect(data["effective_at"] == .string("2026-01-15T10:45:00.000Z"))
        #expect(data["op"] == .string("u"))
        #expect(record.timestamp == Self.observedAt.millisecondsSinceEpoch)
        #expect(
            data["transition"] == .object(["kind": .string("closed"), "field": .string("status"), "from": .string("open"), "to": .string("closed")]))
        #expect(data["after"]?["ended_reason"] == .string("closed_by_operator"))
        #expect(data["before"]?["ended_at"] == .null)
        #expect(data["after"]?["user"]?["reference_id"] == .string("r-1"))
        #expect(data["after"]?["assignee"] == .null)
    }

    @Test("raw can be switched off")
    func withoutRaw() throws {
        let encoder = CloudEventEncoder(configuration: .init(includeRaw: false))
        let data = try JSONParser.parse(try #require(encoder.eventRecord(Self.event).value))
        #expect(data["raw"] == nil)
    }

    @Test("an oversized event loses raw first, then the snapshots, and says so; the transition stays")
    func oversizedEventTrimmed() throws {
        let limit = 4096
        let encoder = CloudEventEncoder(configuration: .init(maxRecordBytes: limit))
        var event = Self.event
        event.raw = .object(["blob": .string(String(repeating: "x", count: 1_500_000))])
        let rawOnly = encoder.eventRecord(event)
        #expect(rawOnly.encodedSize <= limit)
        let data = try JSONParser.parse(try #require(rawOnly.value))
        #expect(data["raw"] == nil)
        #expect(data["truncated"] == .array([.string("raw")]))
        #expect(data["after"]?["ended_reason"] == .string("closed_by_operator"))

        // Snapshots too large on their own: they go as well, the transition is kept.
        event.after?.attributes = ["notes": .string(String(repeating: "y", count: 10_000))]
        let trimmed = try JSONParser.parse(try #require(encoder.eventRecord(event).value))
        #expect(trimmed["truncated"] == .array([.string("raw"), .string("before"), .string("after")]))
        #expect(trimmed["transition"]?["to"] == .string("closed"))
        #expect(trimmed["changed_fields"] == .array(event.changedFields.map(JSONValue.string)))
        #expect(trimmed["sequence"] == .integer(3))

        // Under the limit nothing changes.
        let small = try JSONParser.parse(try #require(CloudEventEncoder().eventRecord(Self.event).value))
        #expect(small["truncated"] == nil && small["raw"] != nil)
    }

    @Test("an oversized state record loses the snapshot's attributes and says so")
    func oversizedStateTrimmed() throws {
        let encoder = CloudEventEncoder(configuration: .init(maxRecordBytes: 4096))
        var snapshot = Self.after
        snapshot.attributes = ["notes": .string(String(repeating: "y", count: 2_000_000))]
        let record = encoder.stateRecord(source: "jelou-prod", conversationID: "c-1", snapshot: snapshot, observedAt: Self.observedAt)
        #expect(record.encodedSize <= 4096)
        let value = try JSONParser.parse(try #require(record.value))
        #expect(value["truncated"] == .array([.string("attributes")]))
        #expect(value["status"] == .string("closed"))
    }

    @Test("structured mode: the whole event in the value, content-type application/cloudevents+json")
    func structured() throws {
        let encoder = CloudEventEncoder(configuration: .init(eventsTopic: "ev", contentMode: .structured))
        let record = encoder.eventRecord(Self.event)
        #expect(record.topic == "ev")
        #expect(record.headers.map(\.name) == ["content-type"])
        #expect(record.header("content-type") == "application/cloudevents+json")
        let envelope = try JSONParser.parse(try #require(record.value))
        #expect(envelope["specversion"] == .string("1.0"))
        #expect(envelope["id"] == .string("jelou-prod/c-1/3"))
        #expect(envelope["type"] == .string("conversation.closed"))
        #expect(envelope["datacontenttype"] == .string("application/json"))
        #expect(envelope["dataschema"] == .string(CloudEventEncoder.Configuration.defaultDataSchemaBase + "data/conversation.closed.json"))
        #expect(record.timestamp == Self.observedAt.millisecondsSinceEpoch)
        #expect(envelope["data"]?["sequence"] == .number("3"))
    }

    @Test("native webhook events carry their payload under data.native")
    func native() throws {
        var event = Self.event
        event.type = .native(platform: .jelou, name: "message")
        event.transition = nil
        event.native = .object(["event_type": .string("message")])
        let record = CloudEventEncoder().eventRecord(event)
        #expect(record.header("ce_type") == "jelou.message")
        let data = try JSONParser.parse(try #require(record.value))
        #expect(data["native"]?["event_type"] == .string("message"))
        #expect(data["before"] == nil)
        #expect(data["op"] == nil, "a forwarded event changes no state")
        #expect(record.header("ce_dataschema")?.hasSuffix("/v1/data/native.json") == true)
    }

    @Test("op follows the Debezium envelope: c for a discovery, d for a vanishing, u for any other change")
    func operations() {
        #expect(EventType.derivedInContractOrder.map { $0.operation ?? "-" } == ["c", "u", "u", "u", "u", "u", "u", "d"])
        #expect(EventType.native(platform: .zild, name: "message").operation == nil)
    }

    @Test("the dataschema base is the operator's to set")
    func dataSchemaBase() {
        let encoder = CloudEventEncoder(configuration: .init(dataSchemaBase: "https://schemas.example.com/convobridge/v1/"))
        #expect(encoder.eventRecord(Self.event).header("ce_dataschema") == "https://schemas.example.com/convobridge/v1/data/conversation.closed.json")
    }

    @Test("state topic: the snapshot, or a tombstone when the conversation vanished")
    func state() throws {
        let encoder = CloudEventEncoder()
        let record = encoder.stateRecord(source: "jelou-prod", conversationID: "c-1", snapshot: Self.after, observedAt: Self.observedAt)
        #expect(record.topic == "conversation-state")
        #expect(record.timestamp == Self.observedAt.millisecondsSinceEpoch)
        #expect(record.key == Array("jelou-prod/c-1".utf8))
        let snapshot = try ConversationSnapshot(json: try JSONParser.parse(try #require(record.value)))
        #expect(snapshot == Self.after)
        let tombstone = encoder.stateRecord(source: "jelou-prod", conversationID: "c-1", snapshot: nil, observedAt: Self.observedAt)
        #expect(tombstone.value == nil && tombstone.key == record.key && tombstone.timestamp == record.timestamp)
    }

    @Test("encoding is deterministic: a re-encoded event has identical bytes")
    func deterministic() {
        #expect(CloudEventEncoder().eventRecord(Self.event) == CloudEventEncoder().eventRecord(Self.event))
    }

    @Test("The records of one observation, encoded together, are byte for byte the records encoded one by one", arguments: EventContentMode.allCases)
    func batch(mode: EventContentMode) {
        let encoder = CloudEventEncoder(configuration: .init(contentMode: mode))
        var second = Self.event
        second.sequence = 4
        second.type = .endedReasonChanged
        let events = [Self.event, second]
        let batch = encoder.records(for: events, state: ("jelou-prod", "c-1", Self.after))
        let single =
            events.map(encoder.eventRecord) + [
                encoder.stateRecord(source: "jelou-prod", conversationID: "c-1", snapshot: Self.after, observedAt: Self.observedAt)
            ]
        #expect(batch == single)
        #expect(encoder.records(for: events, state: nil) == Array(single.dropLast()))
    }
}
