import Foundation

/// Runs blocking librdkafka calls on a thread of their own, never on Swift's cooperative pool (it has as many
/// threads as cores, two here, and a blocked one stalls every task).
enum BlockingWork {
    /// Runs `body` on a new thread and returns its result.
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.name = name
            thread.start()
        }
    }

    /// Starts `body` on a long-lived thread of its own.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }

    /// Pauses the calling thread, which must be one of these threads.
    static func pause(milliseconds: Int) {
        Thread.sleep(forTimeInterval: Double(milliseconds) / 1000)
    }
}
