import ConvoBridgeCore
import Testing

@Suite("Polite HTTP policies: backoff, Retry-After, token bucket, circuit breaker, sliding window")
struct HTTPPolicyTests {
    @Test("Full jitter stays within the doubling ceiling, capped at maxDelay; attempts run out")
    func backoff() {
        let policy = RetryPolicy(maxAttempts: 6, baseDelay: .milliseconds(500), maxDelay: .seconds(5))
        #expect((1...5).map(policy.backoffCeiling(beforeRetry:)) == [.milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(5)])
        var random = SplitMix64(seed: 7)
        var seen: Set<Duration> = []
        for retry in 1...5 {
            for _ in 0..<200 {
                let delay = policy.delay(beforeRetry: retry, retryAfter: nil, using: &random)
                #expect(delay != nil)
                #expect(delay! >= .zero && delay! <= policy.backoffCeiling(beforeRetry: retry))
                seen.insert(delay!)
            }
        }
        #expect(seen.count > 100, "jitter must spread the delays")
        #expect(policy.delay(beforeRetry: 6, retryAfter: nil, using: &random) == nil, "6 attempts = 5 retries")
        #expect(policy.delay(beforeRetry: 6, retryAfter: .seconds(1), using: &random) == nil, "Retry-After does not add attempts")
    }

    @Test("Retry-After wins over the backoff, capped by maxRetryAfter")
    func retryAfterWins() {
        let policy = RetryPolicy(maxAttempts: 3, maxRetryAfter: .seconds(120))
        var random = SplitMix64(seed: 1)
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(7), using: &random) == .seconds(7))
        #expect(policy.delay(beforeRetry: 1, retryAfter: .seconds(86_400), using: &random) == .seconds(120))
    }

    @Test("Only 429, 502, 503 and 504 are retried", arguments: [400, 401, 403, 404, 422, 500, 429, 502, 503, 504])
    func retryableStatuses(status: Int) {
        #expect(RetryPolicy.isRetryable(status: status) == [429, 502, 503, 504].contains(status))
    }

    @Test("Retry-After: delay-seconds and HTTP-date, anything else refused")
    func retryAfterParsing() {
        let now = Timestamp(iso8601: "2015-10-21T07:27:30Z")!
        #expect(RetryAfter.delay(from: "120", now: now) == .seconds(120))
        #expect(RetryAfter.delay(from: " 0 ", now: now) == .zero)
        #expect(RetryAfter.delay(from: "Wed, 21 Oct 2015 07:28:00 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.delay(from: "Wed, 21 Oct 2015 07:00:00 GMT", now: now) == .zero, "a past date means now")
        for bad in ["", "-5", "1.5", "soon", "Wed, 21 Oct 2015 07:28:00 PST", "21 Oct 2015 07:28:00 GMT", "Wed, 32 Oct 2015 07:28:00 GMT"] {
            #expect(RetryAfter.delay(from: bad, now: now) == nil, "\(bad)")
        }
    }

    @Test("The token bucket lets a burst through, then paces at the rate, in arrival order")
    func tokenBucket() {
        var bucket = TokenBucket(rate: 2, burst: 3)
        let waits = [0, 0, 0, 0, 0, 1, 100, 100, 100, 100].map { seconds in bucket.reserve(now: .seconds(seconds)) }
        #expect(
            waits == [
                .zero, .zero, .zero,  // the burst
                .milliseconds(500), .seconds(1),  // then one token every 1/rate, reserved in arrival order
                .milliseconds(500),  // one second later: two tokens came back, two were owed
                .zero, .zero, .zero,  // a long pause refills up to the burst only
                .milliseconds(500),
            ])
    }

    @Test("The breaker opens after N refusals, admits one probe per interval, and closes on an accepted answer")
    func circuitBreaker() {
        var breaker = CircuitBreaker(failureThreshold: 3, probeInterval: .seconds(60))
        var admitted: [Bool] = []
        breaker.recordAuthenticationFailure(now: .seconds(1))
        breaker.recordAuthenticationFailure(now: .seconds(2))
        admitted.append(breaker.admit(now: .seconds(2)))
        #expect(!breaker.isOpen)
        breaker.recordAuthenticationFailure(now: .seconds(3))
        #expect(breaker.isOpen)
        admitted.append(breaker.admit(now: .seconds(62)))  // not yet
        admitted.append(breaker.admit(now: .seconds(63)))  // the probe
        admitted.append(breaker.admit(now: .seconds(64)))  // one probe per interval
        breaker.recordAuthenticationFailure(now: .seconds(64))
        #expect(breaker.isOpen && breaker.nextProbeAt == .seconds(123))
        admitted.append(breaker.admit(now: .seconds(123)))  // the next probe
        breaker.recordAccepted()
        admitted.append(breaker.admit(now: .seconds(123)))  // closed again
        #expect(admitted == [true, false, true, false, true, true])
        #expect(!breaker.isOpen && breaker.consecutiveFailures == 0)
    }

    @Test("The sliding window covers the lookback, reaches back by the overlap, and catches up within maxSpan")
    func slidingWindow() {
        let window = SlidingWindow(lookback: .seconds(3600), overlap: .seconds(120), maxSpan: .seconds(86_400))
        let now = Timestamp(iso8601: "2026-01-15T12:00:00Z")!
        #expect(window.range(previousEnd: nil, now: now) == .init(start: Timestamp(iso8601: "2026-01-15T11:00:00Z")!, end: now))
        #expect(
            window.range(previousEnd: Timestamp(iso8601: "2026-01-15T11:59:45Z")!, now: now).start
                == Timestamp(iso8601: "2026-01-15T11:00:00Z")!, "a recent previous poll: the lookback is wider")
        #expect(
            window.range(previousEnd: Timestamp(iso8601: "2026-01-15T09:00:00Z")!, now: now).start
                == Timestamp(iso8601: "2026-01-15T08:58:00Z")!, "after an outage: from the previous end minus the overlap")
        #expect(
            window.range(previousEnd: Timestamp(iso8601: "2026-01-01T00:00:00Z")!, now: now).start
                == Timestamp(iso8601: "2026-01-14T12:00:00Z")!, "never more than maxSpan")
        // Successive windows overlap: no instant between two polls is left out.
        let first = window.range(previousEnd: nil, now: now)
        let second = window.range(previousEnd: first.end, now: now.adding(milliseconds: 3_600_000 * 2))
        #expect(second.start < first.end)
    }
}
