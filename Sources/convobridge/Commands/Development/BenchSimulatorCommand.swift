import ArgumentParser
import ConvoBridgeCore
import ConvoBridgeHTTP
import Foundation
import Logging
import Synchronization

/// `convobridge bench-simulator`: a load generator for the simulator's Get Conversation endpoint.
struct BenchSimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-simulator",
        abstract: "Measure a simulator's Get Conversation throughput with concurrent keep-alive requests."
    )

    @Option(help: "The simulator's base URL (as printed by convobridge simulate).") var url: String
    @Option(help: "Requests in total.") var requests = 100_000
    @Option(help: "Requests in flight at once.") var concurrency = 32
    @Option(help: "Conversations to spread the requests over (conv-000001…).") var conversations = 50
    @Option(help: "Project id.") var projectID = "sim-project"
    @Option(help: "API key.") var apiKey = "sim-api-key"
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap()
        let http = SharedHTTPClient(maxConnectionsPerHost: concurrency)
        let client = SourceHTTPClient(
            sourceName: "bench", http: http,
            policy: SourceHTTPPolicy(
                requestsPerSecond: 1e9, burst: Int.max / 2, maxConcurrentRequests: concurrency, retry: RetryPolicy(maxAttempts: 1)),
            time: .system, redactor: SecretRedactor(secrets: [apiKey]), logger: logger
        )
        let jelou = JelouConversationClient(
            baseURL: url + "/jelouapi", projectID: projectID, credentials: .apiKey(apiKey),
            http: client, redactor: SecretRedactor(secrets: [apiKey]))
        let next = SharedCounter()
        let failures = SharedCounter()
        let ids = (1...max(1, conversations)).map { "conv-" + String(format: "%06d", $0) }
        _ = try? await jelou.fetch(conversationID: ids[0])
        let elapsed = try await ContinuousClock().measure {
            try await withThrowingTaskGroup(of: Void.self) { workers in
                for _ in 0..<concurrency {
                    workers.addTask {
                        while true {
                            let index = next.increment()
                            guard index < requests else { return }
                            do {
                                _ = try await jelou.fetch(conversationID: ids[index % ids.count])
                            } catch {
                                _ = failures.increment()
                            }
                        }
                    }
                }
                try await workers.waitForAll()
            }
        }
        try await http.shutdown()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        Console.printLine(
            "\(requests) requests, \(concurrency) in flight, \(failures.value) failed, in "
                + String(format: "%.2f", seconds) + " s: \(Int(Double(requests) / seconds)) requests/s")
    }
}

/// A counter shared by the load generator's workers.
private final class SharedCounter: Sendable {
    private let storage = Atomic<Int>(0)

    /// Adds one and returns the value before.
    func increment() -> Int { storage.add(1, ordering: .relaxed).oldValue }

    var value: Int { storage.load(ordering: .relaxed) }
}
