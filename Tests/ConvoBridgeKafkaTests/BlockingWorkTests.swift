import Foundation
import Testing

@testable import ConvoBridgeKafka

@Suite("Blocking work")
struct BlockingWorkTests {
    /// The calling thread's identity.
    static func threadName() -> String {
        "\(pthread_self())"
    }

    @Test("Short blocking calls reuse a few threads instead of one new thread each")
    func reusesThreads() async throws {
        let threads = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<200 {
                group.addTask { try await BlockingWork.run { Self.threadName() } }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(threads.count <= 4)
        #expect(threads.allSatisfy { !$0.isEmpty })
    }

    @Test("An error thrown on the pool reaches the caller")
    func errorsReachTheCaller() async {
        struct Refused: Error {}
        await #expect(throws: Refused.self) { try await BlockingWork.run { throw Refused() } }
    }
}
