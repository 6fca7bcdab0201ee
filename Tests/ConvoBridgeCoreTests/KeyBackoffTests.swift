import ConvoBridgeCore
import ConvoBridgeTestSupport
import Testing

@Suite("Per-key backoff of unacknowledged records")
struct KeyBackoffTests {
    @Test("a failing key waits, doubling up to the cap; other keys never wait; a success starts it over")
    func perKey() {
        let clock = ManualClock()
        var backoff = KeyBackoff<ManualClock.Instant>(initial: .milliseconds(250), maximum: .seconds(2))
        let a = Array("s/a".utf8)
        let b = Array("s/b".utf8)
        let start = clock.now
        #expect(backoff.failed(a, at: start) == .milliseconds(250))
        #expect(backoff.isWaiting(a, at: start) && !backoff.isWaiting(b, at: start))
        #expect(!backoff.isWaiting(a, at: start.advanced(by: .milliseconds(250))))
        #expect(backoff.failed(a, at: start) == .milliseconds(500))
        #expect(backoff.failed(a, at: start) == .seconds(1))
        #expect(backoff.failed(a, at: start) == .seconds(2))
        #expect(backoff.failed(a, at: start) == .seconds(2), "capped")
        #expect(backoff.nextRetry(after: start) == start.advanced(by: .seconds(2)))
        backoff.succeeded(a)
        #expect(!backoff.isWaiting(a, at: start) && backoff.count == 0 && backoff.nextRetry(after: start) == nil)
        #expect(backoff.failed(a, at: start) == .milliseconds(250), "starts over")
        for _ in 0..<100 { backoff.failed(b, at: start) }
        #expect(backoff.failed(b, at: start) == .seconds(2), "no overflow after many failures")
    }

    @Test("A doubling delay: initial after the first failure, twice that after the second, never past its maximum, never overflowing")
    func doublingDelay() {
        let delays = DoublingDelay.storeRetry
        #expect(
            (1...9).map { delays.delay(afterFailures: $0) } == [
                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30), .seconds(30),
            ])
        #expect(delays.delay(afterFailures: 0) == .milliseconds(250) && delays.delay(afterFailures: .max) == .seconds(30))
    }
}
