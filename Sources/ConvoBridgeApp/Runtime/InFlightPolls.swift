import Synchronization

/// The polls of one source in flight, each a task with the deadline of its request: one watcher cancels those past
/// their deadline, instead of a timer and two child tasks per request (thousands a second).
///
/// A poll's task is registered before it can finish (under the lock), disarmed once its answer arrived (storing it
/// is not bounded by the request's deadline), and removed when it ends.
final class InFlightPolls: Sendable {
    private struct Entry {
        var deadline: ContinuousClock.Instant?
        var task: Task<Void, Never>
        var timedOut = false
    }

    private struct State {
        var entries: [UInt64: Entry] = [:]
        var nextToken: UInt64 = 0
    }

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.entries.count } }

    /// Starts `body` as a task whose request must end by `deadline`; `body` gets the token to disarm and end with.
    func start(deadline: ContinuousClock.Instant, _ body: @escaping @Sendable (UInt64) async -> Void) {
        state.withLock { state in
            state.nextToken &+= 1
            let token = state.nextToken
            let task = Task { await body(token) }
            state.entries[token] = Entry(deadline: deadline, task: task)
        }
    }

    /// The request answered: the rest of the poll is not cancelled for its deadline.
    func disarm(_ token: UInt64) {
        state.withLock { $0.entries[token]?.deadline = nil }
    }

    /// Whether the watcher cancelled this poll because its request passed its deadline.
    func timedOut(_ token: UInt64) -> Bool {
        state.withLock { $0.entries[token]?.timedOut ?? false }
    }

    func finished(_ token: UInt64) {
        state.withLock { _ = $0.entries.removeValue(forKey: token) }
    }

    /// Cancels the polls whose request is past its deadline; returns how many.
    @discardableResult
    func cancelOverdue(now: ContinuousClock.Instant) -> Int {
        let overdue = state.withLock { state in
            var overdue: [Task<Void, Never>] = []
            for (token, entry) in state.entries where !entry.timedOut && (entry.deadline.map { $0 <= now } ?? false) {
                state.entries[token]?.timedOut = true
                overdue.append(entry.task)
            }
            return overdue
        }
        // Outside the lock: cancelling runs the tasks' cancellation handlers on this thread.
        for task in overdue { task.cancel() }
        return overdue.count
    }

    /// Cancels every poll and waits for them to end (shutdown).
    func cancelAllAndWait() async {
        let tasks = state.withLock { state in state.entries.values.map(\.task) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}
