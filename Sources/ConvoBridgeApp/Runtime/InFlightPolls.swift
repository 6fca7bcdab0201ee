import Synchronization

/// The polls of one source in flight, each a task with its conversation, so that shutdown can cancel them and wait
/// for them to end, and a partition's release can wait for those of its conversations.
/// (Each request's deadline is the HTTP pool's: it fails the attempt itself.)
///
/// A poll's task is registered before it can finish (under the lock) and removed when it ends.
final class InFlightPolls: Sendable {
    private struct State {
        var tasks: [UInt64: (conversationID: String, task: Task<Void, Never>)] = [:]
        var nextToken: UInt64 = 0
    }

    private let state = Mutex(State())

    var count: Int { state.withLock { $0.tasks.count } }

    /// Starts `body`, the poll of `conversationID`, as a task.
    func start(_ conversationID: String, _ body: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            state.nextToken &+= 1
            let token = state.nextToken
            state.tasks[token] = (
                conversationID,
                Task {
                    await body()
                    self.finished(token)
                }
            )
        }
    }

    private func finished(_ token: UInt64) {
        state.withLock { _ = $0.tasks.removeValue(forKey: token) }
    }

    /// Cancels every poll and waits for them to end (shutdown).
    func cancelAllAndWait() async {
        let tasks = state.withLock { state in state.tasks.values.map(\.task) }
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    /// Waits for the polls of the conversations `matching` selects to end, cancelling those still running after
    /// `deadline`. Returns how many were in flight.
    func finish(matching: (String) -> Bool, within deadline: Duration) async -> Int {
        let tasks = state.withLock { state in state.tasks.values.filter { matching($0.conversationID) }.map(\.task) }
        guard !tasks.isEmpty else { return 0 }
        let timer = Task {
            try? await Task.sleep(for: deadline)
            for task in tasks { task.cancel() }
        }
        for task in tasks { await task.value }
        timer.cancel()
        return tasks.count
    }
}
