import ConvoBridgeTestSupport
import Testing

@testable import ConvoBridgeApp

/// The signal that wakes the relay and the pollers: time is a manual clock, so a wait ends only by a signal or by an
/// advance of that clock.
@Suite("Wake signal", .timeLimit(.minutes(1)))
struct WakeSignalTests {
    static let forever = Duration.seconds(3600)

    /// A wait on `signal`, returned once it is waiting (its timeout asleep on `clock`, itself registered).
    static func waiting(on signal: WakeSignal, _ clock: ManualClock, timeout: Duration = forever) async -> Task<Void, Never> {
        let sleepers = clock.sleeperCount
        let task = Task { await signal.wait(timeout: timeout, clock: clock) }
        #expect(await clock.waitForSleepers(sleepers + 1))
        while !signal.hasWaiter { await Task.yield() }
        return task
    }

    @Test("A signal sent before the wait is kept: the wait returns at once, and only one wait does")
    func signalBeforeWait() async {
        let signal = WakeSignal()
        let clock = ManualClock()
        signal.signal()
        signal.signal()
        await signal.wait(timeout: Self.forever, clock: clock)
        // The second wait must wait: two signals sent with nobody waiting are one wake-up, not two.
        let second = await Self.waiting(on: signal, clock, timeout: .seconds(5))
        clock.advance(by: .seconds(5))
        await second.value
    }

    @Test("A signal wakes a wait in progress, and a timeout ends one")
    func wakesAndTimesOut() async {
        let signal = WakeSignal()
        let clock = ManualClock()
        let waiting = await Self.waiting(on: signal, clock)
        signal.signal()
        await waiting.value
        let timed = await Self.waiting(on: signal, clock, timeout: .seconds(2))
        clock.advance(by: .seconds(2))
        await timed.value
    }

    /// A lost signal shows as a wait that never returns: the suite's time limit fails it.
    @Test("A signal sent right after a wait ended, by signal or by timeout, is there for the next wait")
    func signalBetweenWaitsIsKept() async {
        let signal = WakeSignal()
        let clock = ManualClock()
        for round in 0..<200 {
            let waiting = await Self.waiting(on: signal, clock, timeout: .seconds(1))
            if round.isMultiple(of: 2) {
                signal.signal()
            } else {
                clock.advance(by: .seconds(1))
                while signal.hasWaiter { await Task.yield() }
            }
            // Sent while the ended wait may still be tearing down its group.
            signal.signal()
            await waiting.value
            // With nothing to advance the clock, this returns only if the signal above was kept.
            await signal.wait(timeout: Self.forever, clock: clock)
        }
    }

    @Test("A second waiter wakes the first early; the signal then wakes the second")
    func secondWaiterDisplacesFirst() async {
        let signal = WakeSignal()
        let clock = ManualClock()
        let first = await Self.waiting(on: signal, clock)
        let second = Task { await signal.wait(timeout: Self.forever, clock: clock) }
        await first.value
        #expect(await clock.waitForSleepers(1), "the second wait is the one left")
        signal.signal()
        await second.value
    }
}
