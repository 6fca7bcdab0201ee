public import ConvoBridgeCore

/// The whole way a platform's payload goes through the bridge's pure core, for the fuzzers and the tests that mutate
/// input: read as every platform's conversation and webhook payload; for each reading, merged onto nothing and onto
/// an earlier snapshot, diffed, encoded (events and state record, both content modes, with a record limit small
/// enough to trim) and the state record read back. Nothing on the way may trap.
public enum WholePayloadPath {
    /// What one run got through to encoding.
    public struct Reached: Sendable, Hashable {
        public var observations = 0
        public var webhookEvents = 0
        public var records = 0

        public init() {}
    }

    static let previous = ConversationSnapshot(
        conversationID: "c-1", platform: .jelou, status: .open, state: "active",
        user: .init(id: "u-1", name: "Ana"), attributes: ["origin": .string("seed")])
    static let encoders = [
        CloudEventEncoder(configuration: .init(contentMode: .binary, includeRaw: true, maxRecordBytes: 4096)),
        CloudEventEncoder(configuration: .init(contentMode: .structured, includeRaw: true)),
    ]

    public static func run(_ json: JSONValue, at now: Timestamp = Timestamp(millisecondsSinceEpoch: 1_768_474_800_000)) -> Reached {
        var reached = Reached()
        var observations: [ObservedConversation] = []
        if let observed = try? JelouConversationPayload.observation(from: json) { observations.append(observed) }
        if let page = try? JelouAdvisorPage(body: json, requestedPage: 1) { observations += page.conversations }
        if let observed = try? ChatvoltConversationPayload.observation(from: json) { observations.append(observed) }
        if let observed = try? ZildConversationPayload.observation(from: json, endedReasonLabels: [1: "closed_by_operator"]) {
            observations.append(observed)
        }
        let observation = Observation(source: "fuzz", id: "obs-1", observedAt: now, raw: json)
        for observed in observations {
            reached.observations += 1
            for encoder in encoders {
                let tracker = ConversationTracker(encoder: encoder)
                var earlier = TrackedConversation(source: "fuzz", conversationID: observed.conversationID, snapshot: previous, lastSequence: 3)
                earlier.snapshot?.conversationID = observed.conversationID
                for start in [TrackedConversation(source: "fuzz", conversationID: observed.conversationID), earlier] {
                    let result = tracker.apply(.observed(observed), to: start, observation: observation)
                    reached.records += result.records.count
                    // The state record is what a restart reads back as the stored snapshot.
                    if let snapshot = result.tracked.snapshot, let stored = try? JSONParser.parse(JSONWriter.encode(snapshot.jsonValue)) {
                        _ = try? ConversationSnapshot(json: stored)
                    }
                    _ = tracker.apply(.notFound, to: result.tracked, observation: observation)
                }
            }
        }
        for format in [WebhookEventFormat.jelou, .chatvolt, .zild] {
            guard let event = try? format.nativeEvent(from: json) else { continue }
            reached.webhookEvents += 1
            let tracker = ConversationTracker(encoder: encoders[0])
            let result = tracker.forward(
                event, to: TrackedConversation(source: "fuzz", conversationID: event.conversationID, snapshot: previous),
                observation: observation)
            reached.records += result.records.count
        }
        return reached
    }

    /// The text readers: times, .NET time spans, `Retry-After` (seconds or an HTTP date).
    public static func run(text: String, at now: Timestamp = Timestamp(millisecondsSinceEpoch: 1_768_474_800_000)) {
        _ = Timestamp(iso8601: text)?.rfc3339
        _ = DotNetTimeSpan.milliseconds(text)
        _ = RetryAfter.delay(from: text, now: now)
    }
}
