import ConvoBridgeCore
import Testing

@Suite("Conversation tracker and poll schedule")
struct ConversationTrackerTests {
    static let encoder = CloudEventEncoder()
    static let tracker = ConversationTracker(encoder: encoder, vanishAfterNotFound: 2)
    static let t0 = Timestamp(iso8601: "2026-01-15T10:00:00Z")!

    static func observed(_ state: String, reason: String? = nil, endAt: Timestamp? = nil) -> ConversationTracker.Outcome {
        let snapshot = ConversationSnapshot(
            conversationID: "c-1", platform: .jelou, status: JelouState.status(state: state, endedAt: endAt),
            state: state, endedReason: reason, endedAt: endAt)
        return .observed(
            ObservedConversation(
                snapshot: snapshot, coverage: [.state, .endedReason, .endedAt], coveredAttributes: [],
                raw: .object(["state": .string(state)])))
    }

    static func observation(_ n: Int) -> Observation {
        Observation(source: "s", id: "obs-\(n)", observedAt: t0.adding(milliseconds: Int64(n) * 1000))
    }

    @Test("A lifecycle yields contiguous sequences, state records after events, and a tombstone when it vanishes")
    func lifecycle() {
        var tracked = TrackedConversation(source: "s", conversationID: "c-1")
        var types: [String] = []
        var topics: [String] = []
        let steps: [ConversationTracker.Outcome] = [
            Self.observed("active"),
            Self.observed("active"),
            Self.observed("closed", reason: "closed_by_operator", endAt: Self.t0),
            .notFound,
            .notFound,
            Self.observed("active"),
        ]
        for (index, step) in steps.enumerated() {
            let result = Self.tracker.apply(step, to: tracked, observation: Self.observation(index))
            tracked = result.tracked
            types += result.events.map(\.type.rawValue)
            topics += result.records.map(\.topic)
        }
        #expect(types == ["conversation.discovered", "conversation.closed", "conversation.ended_reason_changed", "conversation.vanished"])
        #expect(
            topics == [
                "conversation-events", "conversation-state", "conversation-events", "conversation-events", "conversation-state",
                "conversation-events", "conversation-state",
            ])
        #expect(tracked.lastSequence == 4)
        #expect(tracked.vanished, "after two 404s")
        #expect(tracked.closedSince == Self.observation(2).observedAt)
    }

    @Test("One 404 is not a vanish; an answer in between resets the count")
    func notFoundNeedsConfirmation() {
        var tracked = Self.tracker.apply(
            Self.observed("active"), to: TrackedConversation(source: "s", conversationID: "c-1"), observation: Self.observation(0)
        ).tracked
        for (index, step) in [ConversationTracker.Outcome.notFound, Self.observed("active"), .notFound].enumerated() {
            let result = Self.tracker.apply(step, to: tracked, observation: Self.observation(index + 1))
            #expect(result.events.isEmpty)
            tracked = result.tracked
        }
        #expect(!tracked.vanished && tracked.consecutiveNotFound == 1)
    }

    @Test("A never-observed conversation that 404s is retired without an event")
    func neverObserved() {
        var tracked = TrackedConversation(source: "s", conversationID: "c-9")
        for index in 0..<2 { tracked = Self.tracker.apply(.notFound, to: tracked, observation: Self.observation(index)).tracked }
        #expect(tracked.vanished && tracked.lastSequence == 0)
    }

    @Test("A webhook event takes the conversation's next sequence and is typed {platform}.{name}")
    func nativeForwarding() {
        let seen = Self.tracker.apply(
            Self.observed("active"), to: TrackedConversation(source: "s", conversationID: "c-1"), observation: Self.observation(0))
        let native = NativeEvent(platform: .jelou, name: "message", conversationID: "c-1", occurredAt: Self.t0, payload: .object(["a": .integer(1)]))
        let result = Self.tracker.forward(native, to: seen.tracked, observation: Self.observation(1))
        #expect(result.events.map(\.sequence) == [2])
        #expect(result.records.map { $0.header("ce_type") } == ["jelou.message"])
        #expect(result.records.map { $0.header("ce_id") } == ["s/c-1/2"])
        #expect(result.tracked.lastSequence == 2)
    }

    @Test("Schedule: open often, closed less often until the grace ends, 404 rechecked soon, failures back off")
    func schedule() {
        let schedule = PollSchedule(
            openInterval: .seconds(15), closedInterval: .seconds(60), closedGrace: .seconds(600),
            notFoundRecheck: .seconds(5), failureBackoff: .seconds(5), maxFailureBackoff: .seconds(60), jitter: 0)
        var random = SplitMix64(seed: 1)
        let now = Self.t0
        var tracked = TrackedConversation(
            source: "s", conversationID: "c-1",
            snapshot: ConversationSnapshot(conversationID: "c-1", platform: .jelou, status: .open))
        #expect(schedule.nextPoll(of: tracked, now: now, using: &random) == now.adding(milliseconds: 15_000))
        tracked.snapshot?.status = .closed
        tracked.closedSince = now
        #expect(schedule.nextPoll(of: tracked, now: now, using: &random) == now.adding(milliseconds: 60_000))
        #expect(schedule.nextPoll(of: tracked, now: now.adding(milliseconds: 600_000), using: &random) == nil, "retired after the grace")
        tracked.consecutiveNotFound = 1
        #expect(schedule.nextPoll(of: tracked, now: now, using: &random) == now.adding(milliseconds: 5_000))
        tracked.vanished = true
        #expect(schedule.nextPoll(of: tracked, now: now, using: &random) == nil)
        #expect(
            [1, 2, 3, 5, 9].map {
                schedule.nextPollAfterFailure(failures: $0, now: now, using: &random).millisecondsSinceEpoch - now.millisecondsSinceEpoch
            }
                == [5_000, 10_000, 20_000, 60_000, 60_000])
        let jittered = PollSchedule(openInterval: .seconds(10), jitter: 0.2)
        tracked = TrackedConversation(
            source: "s", conversationID: "c-1", snapshot: ConversationSnapshot(conversationID: "c-1", platform: .jelou, status: .open))
        let delays = Set(
            (0..<50).map { _ in jittered.nextPoll(of: tracked, now: now, using: &random)!.millisecondsSinceEpoch - now.millisecondsSinceEpoch })
        #expect(delays.allSatisfy { (8_000...12_000).contains($0) } && delays.count > 10)
    }
}
