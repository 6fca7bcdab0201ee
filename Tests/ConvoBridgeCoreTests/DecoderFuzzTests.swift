import ConvoBridgeCore
import ConvoBridgeTestSupport
import Foundation
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

    /// Hostile values the review found trapping the encoders: they stay seeds of the mutations below.
    static let hostileSeeds: [String] = [
        JelouFixtures.closedConversation.replacingOccurrences(of: #""startAt":"#, with: #""startAt":"0000-01-01T00:00:00+01:00","_startAt":"#),
        ZildFixtures.finished.replacingOccurrences(of: #""duration": "00:35:12.5000000""#, with: #""duration": "999999999999999.00:00:00""#),
        #"{"event":"conversation.close","timestamp":-9223372036854775808,"conversation_id":"c-1"}"#,
    ]

    @Test("5,000 mutated payloads the whole way: read, merged, diffed, encoded (both modes, trimmed), read back; never a crash")
    func wholePath() {
        #expect(Self.hostileSeeds.allSatisfy { !Self.seeds.contains($0) }, "the hostile seeds differ from the plain ones")
        let seeds = Self.seeds + Self.hostileSeeds
        var mutator = ByteMutator(seed: 20_261_202)
        var total = WholePayloadPath.Reached()
        // Fewer than the readers get: each goes through eight encodings (libFuzzer takes this path much further).
        for iteration in 0..<5_000 {
            let input = mutator.mutate(Array(seeds[iteration % seeds.count].utf8))
            WholePayloadPath.run(text: String(decoding: input, as: UTF8.self))
            guard let json = try? JSONParser.parse(input) else { continue }
            let reached = WholePayloadPath.run(json)
            total.observations += reached.observations
            total.webhookEvents += reached.webhookEvents
            total.records += reached.records
        }
        for seed in Self.hostileSeeds {
            _ = (try? JSONParser.parse(Array(seed.utf8))).map { WholePayloadPath.run($0) }
        }
        #expect(total.observations > 500 && total.webhookEvents > 50 && total.records > 500, "\(total)")
    }

    @Test("Retry-After on 20,000 mutated values, seconds and HTTP dates, absurd ones included: a delay within the cap or nil")
    func retryAfter() {
        var mutator = ByteMutator(seed: 99)
        let seeds = ["120", "Wed, 21 Oct 2026 07:28:00 GMT", "Fri, 31 Dec 99999999999999 23:59:59 GMT", "99999999999999999999999", "-5", "1e9"]
        let now = Timestamp(millisecondsSinceEpoch: 1_768_474_800_000)
        var parsed = 0
        for iteration in 0..<20_000 {
            let text = String(decoding: mutator.mutate(Array(seeds[iteration % seeds.count].utf8)), as: UTF8.self)
            guard let delay = RetryAfter.delay(from: text, now: now) else { continue }
            parsed += 1
            #expect(delay >= .zero && delay <= .seconds(RetryAfter.maximumSeconds), "\(text) → \(delay)")
        }
        #expect(parsed > 100)
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
            if let time = Timestamp(iso8601: text) {
                parsedTimes += 1
                _ = time.rfc3339
            }
            if DotNetTimeSpan.milliseconds(text) != nil { parsedSpans += 1 }
        }
        #expect(parsedTimes > 0 && parsedSpans > 0)
    }
}
