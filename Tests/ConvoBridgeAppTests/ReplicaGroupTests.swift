import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeDemo
import ConvoBridgeKafka
import ConvoBridgeSimulator
import ConvoBridgeTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Testing

/// Replicas coordinated by Kafka, on a real broker (noida-db): librdkafka's mock cluster neither fences producers
/// nor hides aborted transactions.
@Suite("Replicas coordinated by Kafka: ownership by consumer group, state restored on takeover, fenced transactions", .serialized)
struct ReplicaGroupTests {
    static let partitions = 6

    /// A replica of the demo's Jelou source at test speed, in its own store directory.
    static func configuration(
        broker: NoidaBroker, simulator: PlatformSimulator, url: String, replica: String, directory: URL
    )
        -> BridgeConfiguration
    {
        var configuration = DemoConfiguration.bridge(
            simulatorURL: url, simulator: simulator.configuration, bootstrapServers: broker.bootstrapServers,
            storePath: directory.appendingPathComponent("\(replica).sqlite").path)
        configuration.server = nil
        configuration.relay.drainDeadline = .seconds(5)
        configuration.kafka.publisher.shutdownDeadline = .seconds(3)
        configuration.sources[0].webhook = nil
        configuration.sources[0].schedule = PollSchedule(
            openInterval: .milliseconds(300), closedInterval: .milliseconds(300), closedGrace: .seconds(60),
            notFoundRecheck: .milliseconds(200), failureBackoff: .milliseconds(200), maxFailureBackoff: .seconds(1))
        configuration.sources[0].discovery?.interval = .milliseconds(500)
        configuration.coordination = .kafka(
            // noida-db 0.2.3 never expired a closed static member (60 s with a 6 s session timeout): dynamic members here.
            .init(groupID: "convobridge-test", partitions: partitions, replicaID: replica, sessionTimeout: .seconds(6), staticMembership: false))
        return configuration
    }

    final class Replica: Sendable {
        let bridge: Bridge
        let group: ServiceGroup
        let running: Task<Void, any Error>

        init(_ configuration: BridgeConfiguration) throws {
            bridge = try Bridge(configuration: configuration, logger: BridgeHarness.quiet)
            group = ServiceGroup(configuration: .init(services: bridge.services, logger: BridgeHarness.quiet))
            let group = group
            running = Task { try await group.run() }
        }

        func stop() async throws {
            await group.triggerGracefulShutdown()
            try await running.value
            try await bridge.close()
        }

        var owned: Set<Int32> { bridge.replica?.owned ?? [] }
    }

    static func waitUntil(_ what: String, _ limit: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    struct TimedOut: Error { var what: String }

    /// Per conversation, its events in order: sequences 1…n with no gap and no repeat, each `ce_id` its key and sequence.
    static func checkSequences(_ records: [ConsumedRecord], sourceLocation: SourceLocation = #_sourceLocation) -> [String: Int] {
        var byKey: [String: [ConsumedRecord]] = [:]
        for record in records { byKey[record.keyString ?? "?", default: []].append(record) }
        var counts: [String: Int] = [:]
        for (key, events) in byKey {
            let sequences = events.sorted { $0.offset < $1.offset }.map { Int($0.header("ce_sequence") ?? "") ?? -1 }
            #expect(sequences == Array(1...max(1, sequences.count)), "\(key): \(sequences)", sourceLocation: sourceLocation)
            #expect(events.allSatisfy { $0.header("ce_id") == "\(key)/\($0.header("ce_sequence") ?? "")" }, sourceLocation: sourceLocation)
            counts[key] = events.count
        }
        return counts
    }

    @Test(
        "Two replicas share the partitions and the polling; when one leaves, the other takes its partitions over from Kafka and every conversation's sequence goes on without a gap or a repeat"
    )
    func shareAndTakeOver() async throws {
        let broker = try await NoidaBroker.start()
        defer { broker.stop() }
        for (topic, compacted) in [("conversation-events", false), ("conversation-state", true)] {
            _ = try await KafkaTopicAdmin.ensure(bootstrapServers: broker.bootstrapServers, topic: topic, partitions: 6, compacted: compacted)
        }
        let world = SimulatorWorld(population: 0, seed: 11, now: Timestamp.now)
        let simulator = PlatformSimulator(configuration: SimulatorConfiguration(), world: world, logger: BridgeHarness.quiet)
        let simulatorTask = Task { try await simulator.run() }
        defer { simulatorTask.cancel() }
        let url = await simulator.baseURL()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-replicas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for number in 1...40 {
            _ = try world.create(id: "c-\(number)")
            _ = try world.assign("c-\(number)", operator: "Ana Torres", team: "Soporte")
        }

        let first = try Replica(Self.configuration(broker: broker, simulator: simulator, url: url, replica: "r1", directory: directory))
        let second = try Replica(Self.configuration(broker: broker, simulator: simulator, url: url, replica: "r2", directory: directory))
        try await Self.waitUntil("both replicas own partitions, together all of them, none twice") {
            let (a, b) = (first.owned, second.owned)
            return !a.isEmpty && !b.isEmpty && a.isDisjoint(with: b) && a.union(b).count == Self.partitions
                && first.bridge.replica?.ready == true && second.bridge.replica?.ready == true
        }
        let reader = try KafkaTopicReader(
            bootstrapServers: broker.bootstrapServers, topic: "conversation-events", properties: ["isolation.level": "read_committed"])
        var records: [ConsumedRecord] = []
        func readUntil(_ what: String, _ condition: ([ConsumedRecord]) -> Bool) async throws {
            try await Self.waitUntil(what) {
                records += try await reader.read(count: 1000, timeout: .milliseconds(200))
                return condition(records)
            }
        }
        try await readUntil("40 conversations discovered") { records in
            Set(records.filter { $0.header("ce_type") == "conversation.discovered" }.compactMap(\.keyString)).count == 40
        }
        let polledByFirst = first.bridge.metrics.snapshot().value("convobridge_polls_total", ["source": "jelou-demo"]) ?? 0
        let polledBySecond = second.bridge.metrics.snapshot().value("convobridge_polls_total", ["source": "jelou-demo"]) ?? 0
        #expect(polledByFirst > 0 && polledBySecond > 0, "the polling is shared: \(polledByFirst) and \(polledBySecond)")

        _ = world.advance(steps: 40)
        try await readUntil("the first changes") { $0.count >= 60 }
        try await first.stop()
        try await Self.waitUntil("the second replica owns every partition") { second.owned.count == Self.partitions }
        let beforeTakeover = records.count
        _ = world.advance(steps: 80)
        try await readUntil("changes after the takeover") { $0.count >= beforeTakeover + 40 }

        // A producer with partition 0's transactional id fences the replica's, as a new owner would: its next
        // transaction on 0 fails, it stops polling 0, and takes 0 up again (fencing the intruder) after the wait.
        let intruder = try KafkaTransactionalProducer(bootstrapServers: broker.bootstrapServers, transactionalID: "convobridge-test-p0")
        try await intruder.initialize()
        let beforeFence = records.count
        _ = world.advance(steps: 80)
        try await Self.waitUntil("the fence noticed", .seconds(30)) {
            (second.bridge.metrics.snapshot().value("convobridge_transactions_total", ["outcome": "fenced"]) ?? 0) >= 1
        }
        #expect(!second.owned.contains(0))
        try await Self.waitUntil("partition 0 taken up again", .seconds(40)) { second.owned.count == Self.partitions }
        _ = world.advance(steps: 40)
        try await readUntil("changes after the fence") { $0.count >= beforeFence + 60 }
        try await Task.sleep(for: .seconds(2))
        records += try await reader.read(count: 10_000, timeout: .seconds(1))
        try await second.stop()

        let counts = Self.checkSequences(records)
        #expect(counts.count >= 40, "the 40 conversations, and those the lifecycle created")
        let ids = records.compactMap { $0.header("ce_id") }
        #expect(Set(ids).count == ids.count, "no event twice")
    }

    @Test("A replica refuses to start when the coordination topics have another partition count, and says how to proceed")
    func partitionCountChangeRefused() async throws {
        let broker = try await NoidaBroker.start()
        defer { broker.stop() }
        _ = try await KafkaTopicAdmin.ensure(bootstrapServers: broker.bootstrapServers, topic: "convobridge-watch", partitions: 3, compacted: true)
        let world = SimulatorWorld(population: 0, seed: 3, now: Timestamp.now)
        let simulator = PlatformSimulator(configuration: SimulatorConfiguration(), world: world, logger: BridgeHarness.quiet)
        let simulatorTask = Task { try await simulator.run() }
        defer { simulatorTask.cancel() }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-replicas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = Self.configuration(
            broker: broker, simulator: simulator, url: await simulator.baseURL(), replica: "r1", directory: directory)
        let replica = try Replica(configuration)
        await #expect {
            try await replica.running.value
        } throws: { error in
            "\(error)".contains("coordination.partitions is 6 but the topic convobridge-watch has 3 partitions")
                && "\(error)".contains("set partitions: 3")
        }
        try await replica.bridge.close()
    }
}
