import ConvoBridgeCore
import ConvoBridgeTestSupport
import Testing

/// Bounded, deterministic mutation fuzzing of everything that reads bytes from outside: the JSON parser, each
/// platform's payload and webhook readers, time parsers. Every input must give a value or the reader's own error:
/// no crash, no hang. (The .NET time-span reader crashed on a 7-digit fraction before this existed.)
@Suite("Decoders under mutated input")
struct DecoderFuzzTests {
    static let seeds: [String] = [
        JelouFixtures.closedConversation, JelouFixtures.activeConversation, JelouFixtures.errorEnvelope, JelouFixtures.advisorPage,
        JelouFixtures.messageEvent, ChatvoltFixtures.humanRequested, ChatvoltFixtures.resolved, ZildFixtures.queued,
        ZildFixtures.finished, ZildFixtures.documentedExample,
    ]
    @Test("20,000 mutated payloads through the parser and every platform reader: a value or the reader's error, never a crash")
    func payloads() {
        var mutator = ByteMutator(seed: 20_261_122)
        var parsed = 0
        var decoded = 0
        for iteration in 0..<20_000 {
            let input = mutator.mutate(Array(Self.seeds[iteration % Self.seeds.count].utf8))
            guard let json = try? JSONParser.parse(input) else { continue }
            parsed += 1
            for read in [
                { (json: JSONValue) throws -> Void in _ = try JelouConversationPayload.observation(from: json) },
                { _ = try JelouAdvisorPage(body: $0, requestedPage: 1) },
                { _ = try ChatvoltConversationPayload.observation(from: $0) },
                { _ = try ZildConversationPayload.observation(from: $0, endedReasonLabels: [1: "x"]) },
                { _ = try WebhookEventFormat.jelou.nativeEvent(from: $0) },
                { _ = try WebhookEventFormat.chatvolt.nativeEvent(from: $0) },
                { _ = try WebhookEventFormat.zild.nativeEvent(from: $0) },
            ] {
                do {
                    try read(json)
                    decoded += 1
                } catch {
                    #expect(error is PayloadError, "only the reader's own error: \(error)")
                }
            }
        }
        // The mutations must exercise both sides, or the test proves nothing.
        #expect(parsed > 2_000 && parsed < 20_000, "\(parsed) of 20,000 mutated inputs parsed")
        #expect(decoded > 1_000, "\(decoded) decodings succeeded")
    }

    @Test("Time parsers on 50,000 mutated texts: a value or nil")
    func times() {
        var mutator = ByteMutator(seed: 7)
        let seeds = ["2026-01-15T10:45:02.114Z", "2025-01-01T00:00:00-05:00", "2023-11-07T05:31:56", "1.02:03:04.5000000", "00:05:12"]
        var parsedTimes = 0
        var parsedSpans = 0
        for iteration in 0..<50_000 {
            let bytes = mutator.mutate(Array(seeds[iteration % seeds.count].utf8))
            let text = String(decoding: bytes, as: UTF8.self)
            if let time = Timestamp(iso8601: text) { parsedTimes += 1; _ = time.rfc3339 }
            if DotNetTimeSpan.milliseconds(text) != nil { parsedSpans += 1 }
        }
        #expect(parsedTimes > 0 && parsedSpans > 0)
    }
}
