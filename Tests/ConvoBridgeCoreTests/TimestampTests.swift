import ConvoBridgeCore
import Testing

@Suite("Timestamps")
struct TimestampTests {
    @Test(
        "platform formats parse to the right instant",
        arguments: [
            ("2026-01-15T10:45:00.000Z", "2026-01-15T10:45:00.000Z"),
            ("2026-01-15T10:45:02.114Z", "2026-01-15T10:45:02.114Z"),
            ("2025-01-01T00:00:00-05:00", "2025-01-01T05:00:00.000Z"),
            ("2025-01-01T23:59:59+0530", "2025-01-01T18:29:59.000Z"),
            ("2023-11-07T05:31:56Z", "2023-11-07T05:31:56.000Z"),
            ("2023-11-07T05:31:56", "2023-11-07T05:31:56.000Z"),
            ("2023-11-07T05:31:56.1234567", "2023-11-07T05:31:56.123Z"),
            ("2025-01-01 10:00:00", "2025-01-01T10:00:00.000Z"),
            ("2024-02-29", "2024-02-29T00:00:00.000Z"),
            ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
        ])
    func parse(text: String, expected: String) throws {
        #expect(try #require(Timestamp(iso8601: text)).rfc3339 == expected)
    }

    @Test(
        "nonsense is refused",
        arguments: ["", "yesterday", "2026-13-01", "2026-01-15T25:00:00Z", "2026-01-15T10:45:00Q", "2026-01-15T10:45:00.Z", "1776134278574"])
    func refuse(text: String) {
        #expect(Timestamp(iso8601: text) == nil)
    }

    @Test("epoch milliseconds format as RFC 3339 UTC with milliseconds")
    func format() {
        #expect(Timestamp(millisecondsSinceEpoch: 0).rfc3339 == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: 1_776_134_278_574).rfc3339 == "2026-04-14T02:37:58.574Z")
    }

    @Test("Any instant formats without trapping; readers refuse what the contract cannot write")
    func hostileInstants() throws {
        #expect(Timestamp(millisecondsSinceEpoch: .min).rfc3339 == "0001-01-01T00:00:00.000Z")
        #expect(Timestamp(millisecondsSinceEpoch: .max).rfc3339 == "9999-12-31T23:59:59.999Z")
        #expect(Timestamp(iso8601: "0001-01-01T00:00:00Z")?.rfc3339 == "0001-01-01T00:00:00.000Z")
        #expect(Timestamp(iso8601: "9999-12-31T23:59:59.999Z")?.isWithinContractRange == true)
        #expect(Timestamp(iso8601: "0000-06-01T00:00:00Z") == nil)
        // A signed Jelou webhook whose timestamp is a huge negative number: refused by field, not trapped.
        let body = try JSONParser.parse(
            Array(#"{"event": "conversation.close", "conversation": {"id": "c-1"}, "timestamp": -9223372036854775807}"#.utf8))
        let error = #expect(throws: PayloadError.self) { try WebhookEventFormat.jelou.nativeEvent(from: body) }
        #expect(
            error?.description.contains("timestamp") == true && error?.description.contains("outside the years 0001–9999") == true,
            "\(String(describing: error))")
    }

    @Test("Saturating subtraction of outside times: the difference, or .max/.min where it would overflow")
    func saturatingSubtraction() {
        #expect(Int64(10).subtractingSaturated(3) == 7)
        #expect(Int64(3).subtractingSaturated(10) == -7)
        #expect(Int64.max.subtractingSaturated(-1) == .max)
        #expect(Int64(1).subtractingSaturated(.min) == .max)
        #expect(Int64.min.subtractingSaturated(1) == .min)
        #expect(Int64(-2).subtractingSaturated(.max) == .min)
        #expect(Int64.min.subtractingSaturated(.min) == 0)
    }
}
