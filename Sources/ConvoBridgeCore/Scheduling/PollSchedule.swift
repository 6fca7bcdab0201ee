/// When each watched conversation is polled next.
///
/// Open conversations are polled every `openInterval`; closed ones every `closedInterval` for `closedGrace` after
/// the bridge saw them close (to catch end-reason changes and reopenings), then retired. A failed poll is
/// retried with exponential backoff from `failureBackoff` up to `maxFailureBackoff`; a 404 is confirmed after
/// `notFoundRecheck`. Every interval gets ±`jitter` so that polls spread out instead of marching in step.
public struct PollSchedule: Sendable, Hashable {
    public var openInterval: Duration
    public var closedInterval: Duration
    public var closedGrace: Duration
    public var notFoundRecheck: Duration
    public var failureBackoff: Duration
    public var maxFailureBackoff: Duration
    /// A fraction of the interval, 0...0.5.
    public var jitter: Double

    public init(
        openInterval: Duration = .seconds(15), closedInterval: Duration = .seconds(60), closedGrace: Duration = .seconds(1800),
        notFoundRecheck: Duration = .seconds(10), failureBackoff: Duration = .seconds(5), maxFailureBackoff: Duration = .seconds(300),
        jitter: Double = 0.1
    ) {
        self.openInterval = openInterval
        self.closedInterval = closedInterval
        self.closedGrace = closedGrace
        self.notFoundRecheck = notFoundRecheck
        self.failureBackoff = failureBackoff
        self.maxFailureBackoff = maxFailureBackoff
        self.jitter = min(max(jitter, 0), 0.5)
    }

    /// The next poll of `tracked` after an answer at `now`; nil once it is retired (vanished, or closed past the
    /// grace period).
    public func nextPoll(of tracked: TrackedConversation, now: Timestamp, using generator: inout some RandomNumberGenerator) -> Timestamp? {
        nextPoll(of: PollFacts(tracked), now: now, using: &generator)
    }

    /// The same, from the few facts the schedule depends on (what the poll engine keeps in memory).
    public func nextPoll(of facts: PollFacts, now: Timestamp, using generator: inout some RandomNumberGenerator) -> Timestamp? {
        if facts.vanished { return nil }
        if facts.consecutiveNotFound > 0 { return now.adding(milliseconds: jittered(notFoundRecheck, &generator)) }
        if facts.isClosed {
            let since = facts.closedSince ?? now
            if now.millisecondsSinceEpoch - since.millisecondsSinceEpoch >= closedGrace.wholeMilliseconds { return nil }
            return now.adding(milliseconds: jittered(closedInterval, &generator))
        }
        return now.adding(milliseconds: jittered(openInterval, &generator))
    }

    /// The next attempt after `failures` consecutive failed attempts (1 for the first): the first
    /// `retry.maxAttempts - 1` come quickly, on the retry policy's jittered backoff (a bad answer among good ones
    /// costs a fraction of a second, and no worker waits for it). After those, while failures are `sporadic` (most of
    /// the source's answers are good: this conversation was unlucky, several times in a row), it keeps its regular
    /// schedule, so a run of bad luck never hides a transition for longer than a few intervals; when they are not
    /// (the platform fails most requests), the exponential failure backoff, to leave it alone. A conversation that
    /// failed ``persistentFailures`` times past the quick retries is not unlucky but poisoned (an answer it cannot
    /// be read from, every time): it gets the failure backoff whatever the source's rate.
    public func nextAttemptAfterFailure(
        failures: Int, retry: RetryPolicy, sporadic: Bool = false, facts: PollFacts = PollFacts(),
        now: Timestamp, using generator: inout some RandomNumberGenerator
    ) -> Timestamp {
        if let delay = retry.delay(beforeRetry: failures, retryAfter: nil, using: &generator) {
            return now.adding(milliseconds: delay.wholeMilliseconds)
        }
        let pastQuickRetries = failures - retry.maxAttempts + 1
        if sporadic, pastQuickRetries <= Self.persistentFailures, let regular = nextPoll(of: facts, now: now, using: &generator) {
            return regular
        }
        return nextPollAfterFailure(failures: pastQuickRetries, now: now, using: &generator)
    }

    /// Failures in a row past the quick retries after which a conversation counts as poisoned: at a 15 % share of
    /// bad answers, eight in a row happen once in four million polls.
    public static let persistentFailures = 8

    /// The next poll after `failures` consecutive failed polls (1 for the first).
    public func nextPollAfterFailure(failures: Int, now: Timestamp, using generator: inout some RandomNumberGenerator) -> Timestamp {
        let exponent = min(max(failures - 1, 0), 20)
        let delay = min(failureBackoff * (1 << exponent), maxFailureBackoff)
        return now.adding(milliseconds: jittered(delay, &generator))
    }

    private func jittered(_ interval: Duration, _ generator: inout some RandomNumberGenerator) -> Int64 {
        let milliseconds = interval.wholeMilliseconds
        let spread = Int64(Double(milliseconds) * jitter)
        guard spread > 0 else { return milliseconds }
        return milliseconds + Int64.random(in: -spread...spread, using: &generator)
    }
}

/// What a conversation's schedule depends on.
public struct PollFacts: Sendable, Hashable {
    public var isClosed: Bool
    public var closedSince: Timestamp?
    public var consecutiveNotFound: Int
    public var vanished: Bool

    public init(isClosed: Bool = false, closedSince: Timestamp? = nil, consecutiveNotFound: Int = 0, vanished: Bool = false) {
        self.isClosed = isClosed
        self.closedSince = closedSince
        self.consecutiveNotFound = consecutiveNotFound
        self.vanished = vanished
    }

    public init(_ tracked: TrackedConversation) {
        self.init(
            isClosed: tracked.snapshot?.status == .closed, closedSince: tracked.closedSince,
            consecutiveNotFound: tracked.consecutiveNotFound, vanished: tracked.vanished)
    }
}
