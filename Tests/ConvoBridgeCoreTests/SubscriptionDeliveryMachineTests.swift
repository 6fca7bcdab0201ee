import ConvoBridgeCore
import Testing

@Suite("Webhook delivery state machine: order per conversation, retries, dead letters, commits")
struct SubscriptionDeliveryMachineTests {
    static let schedule = DeliveryRetrySchedule(delays: [.seconds(5), .seconds(60)])

    static func item(_ conversation: String, _ offset: Int64?, partition: Int32 = 0) -> DeliveryItem {
        DeliveryItem(
            partition: partition, offset: offset, conversationKey: "s/\(conversation)", eventID: "\(conversation)-\(offset ?? -1)",
            type: "conversation.closed", source: "s", sequence: offset, time: nil, body: Array("{}".utf8))
    }

    /// The tokens and items of the `send` actions, in order.
    static func sends(_ actions: [SubscriptionDeliveryMachine.Action]) -> [(token: UInt64, item: DeliveryItem, attempt: Int)] {
        actions.compactMap { if case .send(let item, let attempt, let token) = $0 { (token, item, attempt) } else { nil } }
    }

    static func commits(_ actions: [SubscriptionDeliveryMachine.Action]) -> [Int64] {
        actions.compactMap { if case .commit(_, let offset) = $0 { offset } else { nil } }
    }

    @Test("A conversation's second event waits for its first; another conversation goes in parallel")
    func orderPerConversation() throws {
        var machine = SubscriptionDeliveryMachine(maxConcurrency: 10, schedule: Self.schedule)
        let first = Self.sends(machine.received(Self.item("a", 0), matches: true, now: 0))
        #expect(first.map(\.item.eventID) == ["a-0"])
        #expect(Self.sends(machine.received(Self.item("a", 1), matches: true, now: 0)).isEmpty)
        let other = Self.sends(machine.received(Self.item("b", 2), matches: true, now: 0))
        #expect(other.map(\.item.eventID) == ["b-2"])

        // b finishes first: its offset is not committable while a's offset 0 is outstanding.
        let afterB = machine.attemptFinished(token: other[0].token, result: .delivered(status: 200), now: 1)
        #expect(Self.commits(afterB).isEmpty)
        let afterA = machine.attemptFinished(token: first[0].token, result: .delivered(status: 204), now: 2)
        #expect(Self.sends(afterA).map(\.item.eventID) == ["a-1"])
        #expect(Self.commits(afterA) == [1])
        let last = try #require(Self.sends(afterA).first)
        #expect(Self.commits(machine.attemptFinished(token: last.token, result: .delivered(status: 200), now: 3)) == [3])
        #expect(machine.pending == 0)
    }

    @Test("Failures follow the schedule, Retry-After pushes later, and after the last attempt the event is dead-lettered")
    func retriesThenDeadLetter() throws {
        var machine = SubscriptionDeliveryMachine(maxConcurrency: 1, schedule: Self.schedule)
        let one = try #require(Self.sends(machine.received(Self.item("a", 7), matches: true, now: 0)).first)
        _ = machine.received(Self.item("a", 8), matches: true, now: 0)
        #expect(machine.attemptFinished(token: one.token, result: .rejected(status: 500, retryAfter: nil), now: 100).isEmpty)
        #expect(machine.nextRetryAt() == 5100)
        #expect(machine.retrying == 1)
        #expect(Self.sends(machine.tick(now: 5099)).isEmpty)
        let two = try #require(Self.sends(machine.tick(now: 5100)).first)
        #expect(two.attempt == 2 && two.item.eventID == "a-7")

        // 429 with Retry-After: 120 s, later than the schedule's 60 s.
        _ = machine.attemptFinished(token: two.token, result: .rejected(status: 429, retryAfter: .seconds(120)), now: 6000)
        #expect(machine.nextRetryAt() == 126_000)
        let three = try #require(Self.sends(machine.tick(now: 126_000)).first)
        #expect(three.attempt == 3)

        let final = machine.attemptFinished(token: three.token, result: .timedOut, now: 127_000)
        guard case .deadLetter(let dead, let attempts, let failure, let token) = try #require(final.first) else {
            Issue.record("expected a dead letter, got \(final)")
            return
        }
        #expect(dead.eventID == "a-7" && attempts == 3 && failure == .timedOut)
        // The next event of the conversation waits for the dead letter to be written.
        #expect(Self.sends(machine.tick(now: 200_000)).isEmpty)
        let after = machine.deadLettered(token: token, now: 200_001)
        #expect(Self.commits(after) == [8])
        #expect(Self.sends(after).map(\.item.eventID) == ["a-8"])
    }

    @Test("Concurrency bounds attempts in flight; events the filter drops only move the commit point")
    func concurrencyAndFilter() {
        var machine = SubscriptionDeliveryMachine(maxConcurrency: 2, schedule: Self.schedule)
        var sent: [(token: UInt64, item: DeliveryItem, attempt: Int)] = []
        for (index, conversation) in ["a", "b", "c", "d"].enumerated() {
            sent += Self.sends(machine.received(Self.item(conversation, Int64(index)), matches: true, now: 0))
        }
        #expect(sent.count == 2 && machine.inFlight == 2)
        #expect(Self.commits(machine.received(Self.item("e", 4), matches: false, now: 0)).isEmpty)
        let next = machine.attemptFinished(token: sent[0].token, result: .delivered(status: 200), now: 1)
        #expect(Self.sends(next).map(\.item.eventID) == ["c-2"])
        #expect(Self.commits(next) == [1])
        #expect(machine.pending == 3)
    }

    @Test("410 Gone disables the subscription until resumed; the event is sent again then")
    func goneDisables() throws {
        var machine = SubscriptionDeliveryMachine(maxConcurrency: 4, schedule: Self.schedule)
        let one = try #require(Self.sends(machine.received(Self.item("a", 0), matches: true, now: 0)).first)
        let actions = machine.attemptFinished(token: one.token, result: .gone, now: 1)
        #expect(actions.contains(.disable(reason: "the receiver answered 410 Gone")))
        #expect(machine.status == .disabled(reason: "the receiver answered 410 Gone"))
        #expect(Self.sends(machine.received(Self.item("b", 1), matches: true, now: 2)).isEmpty)
        let resumed = Self.sends(machine.resume(now: 3))
        #expect(Set(resumed.map(\.item.eventID)) == ["a-0", "b-1"])
        #expect(resumed.first { $0.item.eventID == "a-0" }?.attempt == 1)
    }

    @Test("A 410 to an attempt started before the resume sends the event again and does not disable the subscription again")
    func goneFromBeforeResume() throws {
        var machine = SubscriptionDeliveryMachine(maxConcurrency: 4, schedule: Self.schedule)
        let a = try #require(Self.sends(machine.received(Self.item("a", 0), matches: true, now: 0)).first)
        let b = try #require(Self.sends(machine.received(Self.item("b", 1), matches: true, now: 0)).first)
        _ = machine.attemptFinished(token: a.token, result: .gone, now: 1)
        let resumed = Self.sends(machine.resume(now: 2))
        #expect(resumed.map(\.item.eventID) == ["a-0"])
        // b's 410 was answered before the resume and arrives after it.
        let late = machine.attemptFinished(token: b.token, result: .gone, now: 3)
        #expect(machine.status == .active)
        #expect(!late.contains(.disable(reason: "the receiver answered 410 Gone")))
        #expect(Self.sends(late).map(\.item.eventID) == ["b-1"])
        // A 410 to an attempt started after the resume disables it again.
        _ = machine.attemptFinished(token: resumed[0].token, result: .gone, now: 4)
        #expect(machine.status == .disabled(reason: "the receiver answered 410 Gone"))
    }

    @Test("Pause holds new attempts; a result arriving while paused is still recorded")
    func pauseAndResume() throws {
        var machine = SubscriptionDeliveryMachine(maxConcurrency: 4, schedule: Self.schedule)
        let one = try #require(Self.sends(machine.received(Self.item("a", 0), matches: true, now: 0)).first)
        machine.pause()
        #expect(Self.sends(machine.received(Self.item("b", 1), matches: true, now: 0)).isEmpty)
        #expect(Self.commits(machine.attemptFinished(token: one.token, result: .delivered(status: 200), now: 1)) == [1])
        #expect(Self.sends(machine.resume(now: 2)).map(\.item.eventID) == ["b-1"])
    }

    @Test("A revoked partition's conversations are dropped and their late results ignored")
    func revocation() throws {
        var machine = SubscriptionDeliveryMachine(maxConcurrency: 1, schedule: Self.schedule)
        let one = try #require(Self.sends(machine.received(Self.item("a", 0, partition: 1), matches: true, now: 0)).first)
        _ = machine.received(Self.item("b", 0, partition: 2), matches: true, now: 0)
        machine.revoked([1])
        #expect(machine.pending == 1)
        // The late result frees its slot; b (partition 2) goes.
        let after = machine.attemptFinished(token: one.token, result: .delivered(status: 200), now: 1)
        #expect(Self.commits(after).isEmpty)
        #expect(Self.sends(after).map(\.item.eventID) == ["b-0"])
    }

    @Test("A record read again (offset not past the last) is dropped; replayed items commit nothing")
    func duplicatesAndReplays() throws {
        var machine = SubscriptionDeliveryMachine(maxConcurrency: 4, schedule: Self.schedule)
        _ = machine.received(Self.item("a", 5), matches: true, now: 0)
        #expect(machine.received(Self.item("a", 5), matches: true, now: 0).isEmpty)
        #expect(machine.pending == 1)
        let replay = try #require(Self.sends(machine.received(Self.item("r", nil), matches: true, now: 0)).first)
        #expect(Self.commits(machine.attemptFinished(token: replay.token, result: .delivered(status: 200), now: 1)).isEmpty)
        #expect(Self.commits(machine.skipped(partition: 0, offset: 6)).isEmpty)  // offset 5 still outstanding
    }

    @Test("Done offsets beyond a stuck one travel in the commit metadata; the next reader finishes them without sending")
    func doneOffsetsInMetadata() throws {
        var first = SubscriptionDeliveryMachine(maxConcurrency: 10, schedule: Self.schedule)
        var tokens: [String: UInt64] = [:]
        for (index, conversation) in ["a", "b", "c", "d"].enumerated() {
            for send in Self.sends(first.received(Self.item(conversation, Int64(10 + index)), matches: true, now: 0)) {
                tokens[send.item.eventID] = send.token
            }
        }
        // a (offset 10) keeps failing; b, d (11, 13) are delivered, c (12) is still in flight.
        _ = first.attemptFinished(token: tokens["a-10"]!, result: .rejected(status: 500, retryAfter: nil), now: 1)
        _ = first.attemptFinished(token: tokens["b-11"]!, result: .delivered(status: 200), now: 1)
        _ = first.attemptFinished(token: tokens["d-13"]!, result: .delivered(status: 200), now: 1)
        let position = try #require(first.commitPosition(partition: 0))
        #expect(position.offset == 10, "where reading started: nothing before a is done")
        #expect(position.metadata == "cbdone1:1,3")

        // The next reader (after a kill -9) starts at 10 with that metadata: b and d are not sent again.
        var next = SubscriptionDeliveryMachine(maxConcurrency: 10, schedule: Self.schedule)
        next.assigned(0, doneBefore: DoneOffsets.decode(position.metadata, above: position.offset))
        var sent: [String] = []
        for (index, conversation) in ["a", "b", "c", "d"].enumerated() {
            sent += Self.sends(next.received(Self.item(conversation, Int64(10 + index)), matches: true, now: 0)).map(\.item.eventID)
        }
        #expect(sent == ["a-10", "c-12"])
        #expect(next.skippedAsDoneBefore == 2)
        #expect(next.pending == 2)
    }

    @Test("Done-offset metadata: ranges, the size bound, and anything malformed or absurd read as nothing")
    func doneOffsetsEncoding() {
        #expect(DoneOffsets.encode([105, 102, 103, 104, 110, 99], above: 100) == "cbdone1:2-5,10")
        #expect(DoneOffsets.decode("cbdone1:2-5,10", above: 100) == [102, 103, 104, 105, 110])
        let many = DoneOffsets.encode(stride(from: 2, to: 40_000, by: 2).map { Int64($0) }, above: 0)
        #expect(many.utf8.count <= DoneOffsets.maximumBytes)
        #expect(DoneOffsets.decode(many, above: 0).allSatisfy { $0 % 2 == 0 })
        for hostile in [
            nil, "", "cbdone1:", "cbdone2:1", "cbdone1:0", "cbdone1:-3", "cbdone1:5-2", "cbdone1:1-99999999999", "cbdone1:x",
            "cbdone1:1-2-3", "cbdone1:9223372036854775807",
        ] {
            #expect(DoneOffsets.decode(hostile, above: 10).isEmpty || hostile == "cbdone1:", "\(hostile ?? "nil")")
        }
        #expect(DoneOffsets.decode("cbdone1:1", above: .max).isEmpty, "no overflow")
    }

    @Test("The schedule: Svix's delays, Retry-After never earlier and capped")
    func schedule() {
        let svix = DeliveryRetrySchedule.svix
        #expect(svix.attempts == 8)
        #expect(svix.delay(afterFailedAttempts: 1) == .seconds(5))
        #expect(svix.delay(afterFailedAttempts: 7) == .seconds(36_000))
        #expect(svix.delay(afterFailedAttempts: 8) == nil)
        #expect(svix.delay(afterFailedAttempts: 1, retryAfter: .seconds(1)) == .seconds(5))
        #expect(svix.delay(afterFailedAttempts: 1, retryAfter: .seconds(366 * 86_400)) == .seconds(36_000))
    }

    @Test("Event type patterns: exact, prefix wildcard, everything; filters by source")
    func filters() throws {
        let filter = SubscriptionFilter(
            types: [try EventTypePattern("conversation.*"), try EventTypePattern("jelou.message")], sources: ["jelou-prod"])
        #expect(filter.matches(type: "conversation.closed", source: "jelou-prod"))
        #expect(filter.matches(type: "jelou.message", source: "jelou-prod"))
        #expect(!filter.matches(type: "jelou.message_read", source: "jelou-prod"))
        #expect(!filter.matches(type: "conversation.closed", source: "zild"))
        #expect(SubscriptionFilter(types: [try EventTypePattern("*")]).matches(type: "anything", source: "x"))
        #expect(throws: EventTypePattern.Problem.starNotAtEnd("con*.closed")) { try EventTypePattern("con*.closed") }
        #expect(throws: EventTypePattern.Problem.empty) { try EventTypePattern("") }
    }
}
