import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeStore
import Logging
import ServiceLifecycle
import Synchronization

/// Shows the event stream live: one line per event (time, type, conversation, transition) and, every few
/// seconds, a summary line of what the bridge has done.
final class EventTail: Service, Sendable {
    private let bootstrapServers: String
    private let topic: String
    private let bridge: Bridge
    private let summaryEvery: Duration
    private let output: @Sendable (String) -> Void
    private let counts = Mutex<[String: Int]>([:])

    init(bootstrapServers: String, topic: String, bridge: Bridge, summaryEvery: Duration, output: @escaping @Sendable (String) -> Void) {
        self.bootstrapServers = bootstrapServers
        self.topic = topic
        self.bridge = bridge
        self.summaryEvery = summaryEvery
        self.output = output
    }

    func run() async throws {
        let reader = try KafkaTopicReader(bootstrapServers: bootstrapServers, topic: topic, from: .beginning)
        let formatter = EventLineFormatter()
        try await untilGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await record in reader.records() {
                        let type = record.header("ce_type") ?? "?"
                        self.counts.withLock { $0[type, default: 0] += 1 }
                        self.output(formatter.line(key: record.keyString, headers: record.headers, value: record.value))
                    }
                }
                group.addTask {
                    while true {
                        try await Task.sleep(for: self.summaryEvery)
                        self.output(await self.summary())
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    func summary() async -> String {
        let byType = counts.withLock { $0 }
        let total = byType.values.reduce(0, +)
        let parts = byType.sorted { $0.value > $1.value }.map { "\($0.key.replacingPrefix("conversation.", with: "")) \($0.value)" }
        let metrics = bridge.metrics.snapshot()
        let polls = Int(metrics.sum("convobridge_polls_total"))
        let pollErrors = Int(metrics.sum("convobridge_poll_failures_total"))
        let published = Int(metrics.sum("convobridge_events_published_total"))
        let outbox = (try? await bridge.store.outboxCount()) ?? 0
        return "── \(total) events (\(parts.joined(separator: ", "))) · \(polls) polls · \(pollErrors) poll errors · "
            + "\(published) published · outbox \(outbox)"
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
