import ConvoBridgeCore
import Testing

@Suite("tail line formatting")
struct EventLineFormatterTests {
    @Test("an event line shows time, type, key, sequence and the transition")
    func eventLine() {
        let record = CloudEventEncoder().eventRecord(CloudEventEncoderTests.event)
        let line = EventLineFormatter().line(key: "jelou-prod/c-1", headers: record.headers, value: record.value)
        #expect(line.hasPrefix("10:45:02.114  conversation.closed"))
        #expect(line.contains("jelou-prod/c-1  #3  status: \"open\" → \"closed\""))
        #expect(line.contains("[status, state, ended_reason, ended_at]"))
    }

    @Test("structured events read the same as binary ones")
    func structuredLine() {
        let binary = CloudEventEncoder().eventRecord(CloudEventEncoderTests.event)
        let structured = CloudEventEncoder(configuration: .init(contentMode: .structured)).eventRecord(CloudEventEncoderTests.event)
        let formatter = EventLineFormatter()
        #expect(
            formatter.line(key: "k", headers: binary.headers, value: binary.value)
                == formatter.line(key: "k", headers: structured.headers, value: structured.value)
        )
    }

    @Test("state records and tombstones")
    func stateLines() {
        let formatter = EventLineFormatter()
        let state = CloudEventEncoder().stateRecord(
            source: "s", conversationID: "c", snapshot: CloudEventEncoderTests.after, observedAt: CloudEventEncoderTests.observedAt)
        #expect(formatter.line(key: "s/c", headers: state.headers, value: state.value) == "state  s/c  status=closed state=closed")
        #expect(formatter.line(key: "s/c", headers: [], value: nil).hasPrefix("tombstone  s/c"))
    }

    @Test("JSON lines carry headers and the parsed value")
    func jsonLine() throws {
        let record = CloudEventEncoder().eventRecord(CloudEventEncoderTests.event)
        let line = EventLineFormatter().jsonLine(
            topic: "conversation-events", partition: 2, offset: 7, key: "jelou-prod/c-1", headers: record.headers, value: record.value,
            timestamp: record.timestamp
        )
        let parsed = try JSONParser.parse(line)
        #expect(parsed["timestamp"] == .number(String(CloudEventEncoderTests.observedAt.millisecondsSinceEpoch)))
        #expect(parsed["headers"]?["ce_id"] == .string("jelou-prod/c-1/3"))
        #expect(parsed["value"]?["sequence"] == .number("3"))
        #expect(parsed["offset"] == .number("7"))
    }
}
