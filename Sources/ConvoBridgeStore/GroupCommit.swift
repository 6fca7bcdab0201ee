import GRDB
import Synchronization

/// Many writes, one transaction: writes that arrive while a transaction commits wait and go together in the next
/// one, so one fsync serves every conversation that changed meanwhile, and no timer adds latency when the store is
/// idle. Each write runs in its own savepoint: one that fails (a row that cannot be read) is rolled back and
/// reported to its caller alone; a transaction that cannot commit (a full disk) fails every write in it.
///
/// Transactions run on GRDB's writer queue through its async API, never on Swift's cooperative threads. Whichever
/// caller finds no transaction running starts a task that drains the queue; there is no thread per call.
final class GroupCommit: Sendable {
    private struct Job: Sendable {
        let run: @Sendable (Database) throws -> Void
        let finish: @Sendable ((any Error)?) -> Void
    }

    private struct State {
        var pending: [Job] = []
        var draining = false
    }

    private let database: DatabasePool
    private let maxBatch: Int
    private let state = Mutex(State())
    /// Told after each transaction whether it committed (the store's disk-full flag).
    private let committed: @Sendable (Result<Int, any Error>) -> Void

    init(database: DatabasePool, maxBatch: Int = 1024, committed: @escaping @Sendable (Result<Int, any Error>) -> Void) {
        self.database = database
        self.maxBatch = maxBatch
        self.committed = committed
    }

    /// Runs `body` in the next transaction and returns its result once that transaction committed.
    func write<Value: Sendable>(_ body: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        let box = ResultBox<Value>()
        return try await withCheckedThrowingContinuation { continuation in
            let job = Job(
                run: { db in box.value = try body(db) },
                finish: { error in
                    if let error { continuation.resume(throwing: error) } else { continuation.resume(returning: box.value!) }
                })
            let lead = state.withLock { state -> Bool in
                state.pending.append(job)
                guard !state.draining else { return false }
                state.draining = true
                return true
            }
            if lead { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { state -> [Job] in
                guard !state.pending.isEmpty else {
                    state.draining = false
                    return []
                }
                let count = min(maxBatch, state.pending.count)
                let batch = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                return batch
            }
            guard !batch.isEmpty else { return }
            do {
                let outcomes = try await database.write { db in
                    batch.map { job -> (any Error)? in
                        do {
                            try db.inSavepoint {
                                try job.run(db)
                                return .commit
                            }
                            return nil
                        } catch {
                            return error
                        }
                    }
                }
                committed(.success(batch.count))
                for (job, outcome) in zip(batch, outcomes) { job.finish(outcome) }
            } catch {
                committed(.failure(error))
                for job in batch { job.finish(error) }
            }
        }
    }
}

/// A value written inside a transaction on GRDB's writer queue and read after it committed; the commit's
/// completion orders the two.
private final class ResultBox<Value>: @unchecked Sendable {
    var value: Value?
}
