import Foundation
import NIOPosix

/// Keeps blocking librdkafka calls off Swift's cooperative pool (it has as many threads as cores, two here, and a
/// blocked one stalls every task).
enum BlockingWork {
    /// The threads short blocking calls run on (a metadata probe, a bounded read): a few, started once and reused,
    /// apart from NIO's singleton pool so that a probe waiting out its timeout never delays file I/O elsewhere.
    private static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 4)
        pool.start()
        return pool
    }()

    /// Runs `body` on one of the pool's threads and returns its result.
    /// - Throws: what `body` throws; `CancellationError` when the task is cancelled before `body` started.
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Starts `body` on a long-lived thread of its own: an event loop or a reader that runs until it is stopped.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }

    /// Pauses the calling thread, which must be one started by ``start(name:_:)``.
    static func pause(milliseconds: Int) {
        Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
    }
}
