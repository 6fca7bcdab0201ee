import ConvoBridgeCore
import Testing

@Suite("The poll engine's schedule: no batch barrier, in-flight requests, ownership")
struct PollSchedulerTests {
    let t0 = Timestamp(millisecondsSinceEpoch: 1_700_000_000_000)

    func at(_ milliseconds: Int64) -> Timestamp { t0.adding(milliseconds: milliseconds) }

    @Test("Conversations come out most overdue first, each when due, never before")
    func order() {
        var scheduler = PollScheduler()
        scheduler.own("c", dueAt: at(300))
        scheduler.own("a", dueAt: at(100))
        scheduler.own("b", dueAt: at(200))
        #expect(scheduler.next(now: at(50)) == .wait(until: at(100)))
        #expect(scheduler.next(now: at(250)) == .poll(conversationID: "a", dueAt: at(100)))
        #expect(scheduler.next(now: at(250)) == .poll(conversationID: "b", dueAt: at(200)))
        #expect(scheduler.next(now: at(250)) == .wait(until: at(300)))
        #expect(scheduler.inFlightCount == 2 && scheduler.scheduledCount == 1)
    }

    @Test("No batch barrier: one slow poll never delays the others past their due time")
    func slowPollHoldsOnlyItself() {
        var scheduler = PollScheduler()
        for index in 0..<10 { scheduler.own("c\(index)", dueAt: at(Int64(index) * 100)) }
        // c0 is taken and never finishes (a stalled answer); every other conversation still comes out exactly on time,
        // and each comes back on its own schedule while c0 is still in flight.
        guard case .poll("c0", _) = scheduler.next(now: at(0)) else {
            Issue.record("c0 first")
            return
        }
        for round in 0..<3 {
            for index in 1..<10 {
                let due = Int64(round * 1000 + index * 100)
                #expect(scheduler.next(now: at(due - 1)) == .wait(until: at(due)))
                #expect(scheduler.next(now: at(due)) == .poll(conversationID: "c\(index)", dueAt: at(due)))
                scheduler.finished("c\(index)", nextDueAt: at(due + 1000))
            }
        }
        #expect(scheduler.isInFlight("c0"))
        #expect(scheduler.inFlightCount == 1)
    }

    @Test("A conversation is never taken twice at once; a request while in flight applies when the poll ends")
    func inFlight() {
        var scheduler = PollScheduler()
        scheduler.own("a", dueAt: at(0))
        #expect(scheduler.next(now: at(0)) == .poll(conversationID: "a", dueAt: at(0)))
        scheduler.schedule("a", noLaterThan: at(10))  // a webhook while the poll is in flight
        #expect(scheduler.next(now: at(20)) == .idle, "not taken again while in flight")
        scheduler.finished("a", nextDueAt: at(15_000))
        #expect(scheduler.dueAt("a") == at(10), "the webhook's request wins over the answer's schedule")
        #expect(scheduler.next(now: at(20)) == .poll(conversationID: "a", dueAt: at(10)))
    }

    @Test("Retired while in flight stays retired; scheduled again afterwards comes back")
    func retire() {
        var scheduler = PollScheduler()
        scheduler.own("a", dueAt: at(0))
        _ = scheduler.next(now: at(0))
        scheduler.retire("a")
        scheduler.finished("a", nextDueAt: at(1000))
        #expect(scheduler.dueAt("a") == nil && scheduler.owns("a"))
        #expect(scheduler.next(now: at(5000)) == .idle)
        scheduler.schedule("a", noLaterThan: at(6000))
        #expect(scheduler.next(now: at(6000)) == .poll(conversationID: "a", dueAt: at(6000)))
    }

    @Test("noLaterThan only moves a due time earlier; finished sets it exactly (a failure's backoff)")
    func noLaterThan() {
        var scheduler = PollScheduler()
        scheduler.own("a", dueAt: at(1000))
        scheduler.schedule("a", noLaterThan: at(5000))
        #expect(scheduler.dueAt("a") == at(1000))
        scheduler.schedule("a", noLaterThan: at(500))
        #expect(scheduler.dueAt("a") == at(500))
        _ = scheduler.next(now: at(500))
        scheduler.finished("a", nextDueAt: at(9000))
        #expect(scheduler.dueAt("a") == at(9000))
        #expect(scheduler.scheduledCount == 1)
    }

    @Test("The owned set grows and shrinks at run time; a disowned conversation's poll ends without effect")
    func ownership() {
        var scheduler = PollScheduler()
        scheduler.own("a", dueAt: at(0))
        scheduler.own("b", dueAt: at(0))
        scheduler.own("r", dueAt: nil)
        #expect(scheduler.ownedCount == 3 && scheduler.scheduledCount == 2)
        _ = scheduler.next(now: at(0))  // a in flight
        scheduler.disown("a")
        scheduler.disown("b")
        scheduler.finished("a", nextDueAt: at(100))
        #expect(scheduler.ownedCount == 1 && scheduler.inFlightCount == 0 && scheduler.scheduledCount == 0)
        #expect(scheduler.next(now: at(1000)) == .idle)
    }

    @Test("Rescheduling many times keeps the heap bounded and the counts right")
    func churn() {
        var scheduler = PollScheduler()
        for index in 0..<100 { scheduler.own("c\(index)", dueAt: at(Int64(index))) }
        var now: Int64 = 0
        var polled = 0
        while polled < 20_000 {
            switch scheduler.next(now: at(now)) {
            case .poll(let id, let due):
                #expect(due <= at(now))
                scheduler.finished(id, nextDueAt: at(now + Int64(polled % 7 + 1)))
                polled += 1
            case .wait(let until): now = until.millisecondsSinceEpoch
            case .idle:
                Issue.record("never idle here")
                return
            }
        }
        #expect(scheduler.scheduledCount == 100 && scheduler.inFlightCount == 0)
        #expect(scheduler.dueCount(now: at(now + 1000)) == 100)
        scheduler.scheduleAll(noLaterThan: at(now))
        #expect(scheduler.dueCount(now: at(now)) == 100)
    }

    @Test("A failure goes back into the schedule: quick jittered retries first, then the failure backoff")
    func failureBackoff() {
        let schedule = PollSchedule(failureBackoff: .seconds(5), maxFailureBackoff: .seconds(300), jitter: 0)
        let retry = RetryPolicy(maxAttempts: 4, baseDelay: .milliseconds(500), maxDelay: .seconds(30))
        var random = SplitMix64(seed: 3)
        for failures in 1...3 {
            let next = schedule.nextAttemptAfterFailure(failures: failures, retry: retry, now: t0, using: &random)
            #expect(next >= t0 && next <= t0.adding(milliseconds: retry.backoffCeiling(beforeRetry: failures).wholeMilliseconds))
        }
        #expect(schedule.nextAttemptAfterFailure(failures: 4, retry: retry, now: t0, using: &random) == at(5000))
        #expect(schedule.nextAttemptAfterFailure(failures: 5, retry: retry, now: t0, using: &random) == at(10_000))
        #expect(schedule.nextAttemptAfterFailure(failures: 60, retry: retry, now: t0, using: &random) == at(300_000))
    }

    @Test("While a source's failures are sporadic, a conversation that failed several times in a row keeps its schedule; a poisoned one backs off")
    func sporadicFailures() {
        let schedule = PollSchedule(openInterval: .seconds(1), closedInterval: .seconds(2), failureBackoff: .seconds(5), jitter: 0)
        let retry = RetryPolicy(maxAttempts: 4)
        var random = SplitMix64(seed: 3)
        #expect(schedule.nextAttemptAfterFailure(failures: 9, retry: retry, sporadic: true, now: t0, using: &random) == at(1000))
        #expect(
            schedule.nextAttemptAfterFailure(
                failures: 9, retry: retry, sporadic: true, facts: PollFacts(isClosed: true, closedSince: t0),
                now: t0, using: &random) == at(2000))
        #expect(schedule.nextAttemptAfterFailure(failures: 9, retry: retry, sporadic: false, now: t0, using: &random) == at(160_000))
        // Past eight failures beyond the quick retries it is poisoned, not unlucky: the backoff, sporadic or not.
        let lastRegular = retry.maxAttempts - 1 + PollSchedule.persistentFailures
        #expect(schedule.nextAttemptAfterFailure(failures: lastRegular, retry: retry, sporadic: true, now: t0, using: &random) == at(1000))
        #expect(schedule.nextAttemptAfterFailure(failures: lastRegular + 1, retry: retry, sporadic: true, now: t0, using: &random) == at(300_000))
        var rate = FailureRate(weight: 0.1)
        for index in 0..<100 { rate.record(failed: index % 7 == 0) }
        #expect(rate.isSporadic, "one failure in seven: \(rate.value)")
        for _ in 0..<30 { rate.record(failed: true) }
        #expect(!rate.isSporadic, "most requests failing: \(rate.value)")
    }
}

@Suite("Source-wide pacing: the token bucket, slowed for the whole source by 429s")
struct SourcePacerTests {
    /// Requests granted in `window` when asking back to back from `start`.
    func granted(_ pacer: inout SourcePacer, from start: Duration, for window: Duration) -> Int {
        var now = start
        var count = 0
        while true {
            now += pacer.reserve(now: now)
            guard now < start + window else { return count }
            count += 1
        }
    }

    @Test("Without 429s: the configured rate after the burst")
    func steady() {
        var pacer = SourcePacer(rate: 100, burst: 10)
        #expect(granted(&pacer, from: .zero, for: .seconds(2)) == 10 + 199)
    }

    @Test("Retry-After slows the whole source for that long, then the full rate comes back")
    func retryAfterSlowsTheSource() {
        var pacer = SourcePacer(rate: 100, burst: 1)
        _ = granted(&pacer, from: .zero, for: .seconds(1))
        let window = pacer.rateLimited(retryAfter: .seconds(5), backoff: RetryPolicy(), now: .seconds(1))
        #expect(window == .seconds(5))
        #expect(pacer.isSlowed(now: .seconds(3)) && !pacer.isSlowed(now: .seconds(6)))
        let slowed = granted(&pacer, from: .seconds(1), for: .seconds(5))
        #expect((245...255).contains(slowed), "half the rate while slowed, got \(slowed)")
        let after = granted(&pacer, from: .seconds(6), for: .seconds(2))
        #expect((195...205).contains(after), "the full rate after the window, got \(after)")
    }

    @Test("429s in the same window do not compound; a 429 without Retry-After (Jelou's) uses the backoff")
    func noCompounding() {
        var pacer = SourcePacer(rate: 100, burst: 1)
        let policy = RetryPolicy(baseDelay: .milliseconds(500), maxDelay: .seconds(8))
        #expect(pacer.rateLimited(retryAfter: nil, backoff: policy, now: .zero) == .milliseconds(500))
        #expect(pacer.rateLimited(retryAfter: nil, backoff: policy, now: .milliseconds(100)) == .seconds(1))
        #expect(pacer.rateLimited(retryAfter: nil, backoff: policy, now: .milliseconds(200)) == .seconds(2))
        #expect(pacer.currentRate(now: .milliseconds(300)) == 50, "cut once, not three times")
        pacer.accepted()
        #expect(
            pacer.rateLimited(retryAfter: nil, backoff: policy, now: .seconds(3)) == .milliseconds(500), "backoff restarts after an accepted answer")
    }

    @Test("A hostile Retry-After is capped")
    func hostileRetryAfter() {
        var pacer = SourcePacer(rate: 10, burst: 1)
        let huge = RetryAfter.delay(from: "99999999999999999999999", now: Timestamp(millisecondsSinceEpoch: 0))!
        #expect(pacer.rateLimited(retryAfter: huge, backoff: RetryPolicy(maxRetryAfter: .seconds(300)), now: .zero) == .seconds(300))
        #expect(RetryAfter.delay(from: "Sun, 06 Nov 99999999999999 08:49:37 GMT", now: Timestamp(millisecondsSinceEpoch: 0)) == nil)
        #expect(Duration.seconds(Int64.max).wholeMilliseconds == .max)
        #expect(Timestamp(millisecondsSinceEpoch: .max - 5).adding(milliseconds: 10).millisecondsSinceEpoch == .max)
    }
}
