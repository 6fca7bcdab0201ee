import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeDemo
import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import ConvoBridgeSimulator
import ConvoBridgeTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// A simulator, an embedded Kafka cluster and a store directory; bridges are started and stopped against them.
final class BridgeHarness: Sendable {
    /// Silent, unless `CONVOBRIDGE_TEST_LOGS` is set (then to standard error), to see what a failing test's bridge did.
    static let quiet =
        ProcessInfo.processInfo.environment["CONVOBRIDGE_TEST_LOGS"] == nil
        ? Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        : Logger(label: "test") { StreamLogHandler.standardError(label: $0) }
    let cluster: EmbeddedKafkaCluster
    let world: SimulatorWorld
    let simulator: PlatformSimulator
    let simulatorURL: String
    let directory: URL
    private let simulatorTask: Task<Void, any Error>

    init(population: Int = 0) async throws {
        cluster = try EmbeddedKafkaCluster(brokers: 1)
        try cluster.createTopic("conversation-events", partitions: 6)
        try cluster.createTopic("conversation-state", partitions: 6)
        world = SimulatorWorld(population: population, seed: 7, now: Timestamp.now)
        simulator = PlatformSimulator(configuration: SimulatorConfiguration(), world: world, logger: Self.quiet)
        let simulator = simulator
        simulatorTask = Task { try await simulator.run() }
        simulatorURL = await simulator.baseURL()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        simulatorTask.cancel()
        try? FileManager.default.removeItem(at: directory)
    }

    var storePath: String { directory.appendingPathComponent("bridge.sqlite").path }

    /// The demo's configuration with test-speed schedules.
    func configuration(drainDeadline: Duration = .seconds(5), listen: Bool = true) -> BridgeConfiguration {
        var configuration = DemoConfiguration.bridge(
            simulatorURL: simulatorURL, simulator: simulator.configuration,
            bootstrapServers: cluster.bootstrapServers, storePath: storePath)
        configuration.relay.drainDeadline = drainDeadline
        configuration.kafka.publisher.shutdownDeadline = .seconds(3)
        configuration.sources[0].schedule = PollSchedule(
            openInterval: .milliseconds(300), closedInterval: .milliseconds(300),
            closedGrace: .seconds(60), notFoundRecheck: .milliseconds(200),
            failureBackoff: .milliseconds(200), maxFailureBackoff: .seconds(1))
        configuration.sources[0].discovery?.interval = .milliseconds(400)
        if !listen { configuration.server = nil }
        return configuration
    }

    /// A test-speed source of `platform` (Chatvolt or Zild) on the simulator, Bearer-authenticated.
    func source(_ platform: Platform, name: String, discovery: Bool = true) -> BridgeConfiguration.Source {
        let token = BearerToken(simulator.configuration.bearerToken)
        let connection: BridgeConfiguration.Connection =
            switch platform {
            case .chatvolt: .chatvolt(baseURL: simulatorURL + "/chatvolt", token: token, statusFilter: nil)
            case .zild: .zild(baseURL: simulatorURL + "/zild", token: token, endedReasonLabels: [1: "closed_by_operator", 2: "closed_by_user"])
            case .jelou: preconditionFailure("Jelou sources come from configuration()")
            }
        return BridgeConfiguration.Source(
            name: name, connection: connection,
            discovery: discovery && platform == .chatvolt
                ? .init(
                    interval: .milliseconds(400), window: SlidingWindow(lookback: .seconds(7200), overlap: .seconds(60)), pageSize: 100, maxPages: 10)
                : nil,
            schedule: PollSchedule(
                openInterval: .milliseconds(300), closedInterval: .milliseconds(300), closedGrace: .seconds(60),
                notFoundRecheck: .milliseconds(200), failureBackoff: .milliseconds(200), maxFailureBackoff: .seconds(1)),
            vanishAfterNotFound: 2,
            http: SourceHTTPPolicy(requestsPerSecond: 500, burst: 100, maxConcurrentRequests: 8, requestTimeout: .seconds(5))
        )
    }

    /// Runs a bridge until `body` returns, then shuts it down gracefully and waits for it.
    @discardableResult
    func withBridge<Result>(
        _ configuration: BridgeConfiguration? = nil, time: TimeSource = .system,
        _ body: (Bridge) async throws -> Result
    ) async throws -> Result {
        let bridge = try Bridge(configuration: configuration ?? self.configuration(), time: time, logger: Self.quiet)
        let group = ServiceGroup(configuration: .init(services: bridge.services, logger: Self.quiet))
        let running = Task { try await group.run() }
        do {
            let result = try await body(bridge)
            await group.triggerGracefulShutdown()
            try await running.value
            try await bridge.close()
            return result
        } catch {
            await group.triggerGracefulShutdown()
            _ = await running.result
            try? await bridge.close()
            throw error
        }
    }
}

/// Reads a topic from the beginning, accumulating what it has read.
final class TopicCollector: @unchecked Sendable {
    let reader: KafkaTopicReader
    private(set) var records: [ConsumedRecord] = []

    init(_ harness: BridgeHarness, topic: String = "conversation-events") throws {
        reader = try KafkaTopicReader(bootstrapServers: harness.cluster.bootstrapServers, topic: topic, from: .beginning)
    }

    /// Reads until `predicate` holds for what has been read, or `timeout` passes (then the test fails).
    @discardableResult
    func waitUntil(
        timeout: Duration = .seconds(20), _ what: String, _ predicate: ([ConsumedRecord]) -> Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !predicate(records) {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting for \(what); read \(records.count) records: \(types())", sourceLocation: sourceLocation)
                return false
            }
            let read = try await reader.read(count: 1000, timeout: .milliseconds(200))
            for record in read {
                ContractCapture.shared.record(
                    topic: record.topic, partition: record.partition, offset: record.offset, timestamp: record.timestamp,
                    key: record.keyString, headers: record.headers, value: record.value)
            }
            records += read
        }
        return true
    }

    func events(of conversation: String, source: String = "jelou-demo") -> [ConsumedRecord] {
        records.filter { $0.keyString == "\(source)/\(conversation)" }
    }

    func types(of conversation: String? = nil, source: String = "jelou-demo") -> [String] {
        (conversation.map { events(of: $0, source: source) } ?? records).compactMap { $0.header("ce_type") }
    }
}
