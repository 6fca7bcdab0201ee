import Synchronization

/// A clock that moves only when a test says so, so that backoff, rate limits and schedules are tested without
/// real sleeps. `sleepers` tells how many tasks are waiting on it, so a test can wait for the code under test to
/// reach its sleep before advancing.
public final class ManualClock: Clock, Sendable {
    public struct Instant: InstantProtocol, Sendable {
        public var offset: Duration
        public init(offset: Duration) { self.offset = offset }
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        public func duration(to other: Instant) -> Duration { other.offset - offset }
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        var id: Int
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID = 0
        var sleepers: [Sleeper] = []
        /// Every sleep ever requested, in order: what a test checks backoff against.
        var requestedSleeps: [Duration] = []
    }

    private let state = Mutex(State())

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Duration { .nanoseconds(1) }

    /// How many tasks are sleeping on this clock right now.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The durations of every sleep requested so far.
    public var requestedSleeps: [Duration] { state.withLock { $0.requestedSleeps } }

    public func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow: Bool = state.withLock { state in
                    state.requestedSleeps.append(state.now.duration(to: deadline))
                    if deadline <= state.now { return true }
                    if Task.isCancelled { return true }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return false
                }
                if resumeNow {
                    if Task.isCancelled { continuation.resume(throwing: CancellationError()) } else { continuation.resume() }
                }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come, earliest first.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now.advanced(by: duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits until `count` tasks sleep on this clock, checking every millisecond of real time for at most
    /// `timeout`. Returns false if that never happens, so a test fails instead of hanging.
    public func waitForSleepers(_ count: Int = 1, timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while sleeperCount < count {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return true
    }
}

extension ManualClock {
    /// Runs `operation` while moving time on by `step` whenever something sleeps on this clock, so code that backs
    /// off or waits for a rate limit completes at once. Cancels the operation if it has not finished after
    /// `timeout` of real time.
    public func runAdvancing<Result: Sendable>(
        by step: Duration = .seconds(3600),
        timeout: Duration = .seconds(30),
        _ operation: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        let task = Task { try await operation() }
        let driver = Task {
            let deadline = ContinuousClock.now + timeout
            while !Task.isCancelled {
                guard ContinuousClock.now < deadline else { return task.cancel() }
                if sleeperCount > 0 { advance(by: step) } else { try? await Task.sleep(for: .milliseconds(1)) }
            }
        }
        defer { driver.cancel() }
        return try await task.value
    }
}
