import Synchronization

/// The polls of one source in flight, each a task, so that shutdown can cancel them and wait for them to end.
/// (Each request's deadline is the HTTP pool's: it fails the attempt itself.)
///
/// A poll's task is registered before it can finish (under the lock) and removed when it ends.
final class InFlightPolls: Sendable {
    private struct State {
        var tasks: [UInt64: Task<Void, Never>] = [:]
        var nextToken: UInt64 = 0
    }

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.tasks.count } }

    /// Starts `body` as a task.
    func start(_ body: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            state.nextToken &+= 1
            let token = state.nextToken
            state.tasks[token] = Task {
                await body()
                self.finished(token)
            }
        }
    }

    private func finished(_ token: UInt64) {
        state.withLock { _ = $0.tasks.removeValue(forKey: token) }
    }

    /// Cancels every poll and waits for them to end (shutdown).
    func cancelAllAndWait() async {
        let tasks = state.withLock { state in Array(state.tasks.values) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }
}
