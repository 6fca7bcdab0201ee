import AsyncHTTPClient
import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeDemo
import ConvoBridgeKafka
import ConvoBridgeSigning
import ConvoBridgeSimulator
import ConvoBridgeStore
import ConvoBridgeTestSupport
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

/// Replicas coordinated by Kafka, on a real broker (noida-db): librdkafka's mock cluster neither fences producers
/// nor hides aborted transactions.
@Suite("Replicas coordinated by Kafka: ownership by consumer group, state restored on takeover, fenced transactions", .serialized)
struct ReplicaGroupTests {
    static let partitions = 6

    /// A broker (noida-db), the platform simulator and a directory for the replicas' stores.
    final class Environment: Sendable {
        let broker: NoidaBroker
        let world: SimulatorWorld
        let simulator: PlatformSimulator
        let url: String
        let directory: URL
        private let simulatorTask: Task<Void, any Error>

        /// - Parameter eventTopics: whether to create the bridge's events and state topics (6 partitions).
        init(seed: UInt64, eventTopics: Bool = true) async throws {
            broker = try await NoidaBroker.start()
            if eventTopics {
                for (topic, compacted) in [("conversation-events", false), ("conversation-state", true)] {
                    _ = try await KafkaTopicAdmin.ensure(
                        bootstrapServers: broker.bootstrapServers, topic: topic, partitions: 6, compacted: compacted)
                }
            }
            world = SimulatorWorld(population: 0, seed: seed, now: Timestamp.now)
            let simulator = PlatformSimulator(configuration: SimulatorConfiguration(), world: world, logger: BridgeHarness.quiet)
            self.simulator = simulator
            simulatorTask = Task { try await simulator.run() }
            url = await simulator.baseURL()
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-replicas-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }

        func stop() {
            simulatorTask.cancel()
            broker.stop()
            try? FileManager.default.removeItem(at: directory)
        }

        /// A replica of the demo's Jelou source at test speed, in its own store file.
        /// - Parameter webhooks: whether the replica receives webhooks (on a loopback port of its own).
        func configuration(replica: String, webhooks: Bool = false) -> BridgeConfiguration {
            var configuration = DemoConfiguration.bridge(
                simulatorURL: url, simulator: simulator.configuration, bootstrapServers: broker.bootstrapServers,
                storePath: directory.appendingPathComponent("\(replica).sqlite").path)
            configuration.relay.drainDeadline = .seconds(5)
            configuration.kafka.publisher.shutdownDeadline = .seconds(3)
            if !webhooks {
                configuration.server = nil
                configuration.sources[0].webhook = nil
            }
            configuration.sources[0].schedule = PollSchedule(
                openInterval: .milliseconds(300), closedInterval: .milliseconds(300), closedGrace: .seconds(60),
                notFoundRecheck: .milliseconds(200), failureBackoff: .milliseconds(200), maxFailureBackoff: .seconds(1))
            configuration.sources[0].discovery?.interval = .milliseconds(500)
            configuration.coordination = .kafka(
                // noida-db 0.2.3 never expired a closed static member (60 s with a 6 s session timeout): dynamic members here.
                .init(
                    groupID: "convobridge-test", partitions: partitions, replicaID: replica, sessionTimeout: .seconds(6),
                    staticMembership: false))
            return configuration
        }
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

    /// The events topic, read `read_committed` as the records arrive.
    final class EventLog {
        let reader: KafkaTopicReader
        var records: [ConsumedRecord] = []

        init(_ broker: NoidaBroker) throws {
            reader = try KafkaTopicReader(
                bootstrapServers: broker.bootstrapServers, topic: "conversation-events", properties: ["isolation.level": "read_committed"])
        }

        func readUntil(_ what: String, _ condition: ([ConsumedRecord]) -> Bool) async throws {
            try await ReplicaGroupTests.waitUntil(what) {
                records += try await reader.read(count: 1000, timeout: .milliseconds(200))
                return condition(records)
            }
        }

        /// Whatever is still on its way, after a last pause.
        func readRest() async throws {
            try await Task.sleep(for: .seconds(2))
            records += try await reader.read(count: 10_000, timeout: .seconds(1))
        }
    }

    /// `count` conversations in the simulator, each assigned to an operator.
    static func createAssigned(_ world: SimulatorWorld, prefix: String, count: Int) throws {
        for number in 1...count {
            _ = try world.create(id: "\(prefix)-\(number)")
            _ = try world.assign("\(prefix)-\(number)", operator: "Ana Torres", team: "Soporte")
        }
    }

    /// Waits until the two replicas own partitions each, together all of them, none twice, and are ready.
    static func waitUntilShared(_ first: Replica, _ second: Replica) async throws {
        try await waitUntil("both replicas own partitions, together all of them, none twice") {
            let (a, b) = (first.owned, second.owned)
            return !a.isEmpty && !b.isEmpty && a.isDisjoint(with: b) && a.union(b).count == partitions
                && first.bridge.replica?.ready == true && second.bridge.replica?.ready == true
        }
    }

    static func discovered(_ records: [ConsumedRecord]) -> Int {
        Set(records.filter { $0.header("ce_type") == "conversation.discovered" }.compactMap(\.keyString)).count
    }

    /// Per conversation, its events in order: sequences 1…n with no gap and no repeat, each `ce_id` its key and sequence
    /// and none twice.
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
        let ids = records.compactMap { $0.header("ce_id") }
        #expect(Set(ids).count == ids.count, "no event twice", sourceLocation: sourceLocation)
        return counts
    }

    @Test(
        "Two replicas share the partitions and the polling; when one leaves, the other takes its partitions over from Kafka and every conversation's sequence goes on without a gap or a repeat"
    )
    func shareAndTakeOver() async throws {
        let environment = try await Environment(seed: 11)
        defer { environment.stop() }
        let (broker, world) = (environment.broker, environment.world)
        try Self.createAssigned(world, prefix: "c", count: 40)

        let first = try Replica(environment.configuration(replica: "r1"))
        let second = try Replica(environment.configuration(replica: "r2"))
        try await Self.waitUntilShared(first, second)
        let log = try EventLog(broker)
        try await log.readUntil("40 conversations discovered") { Self.discovered($0) == 40 }
        let polledByFirst = first.bridge.metrics.snapshot().value("convobridge_polls_total", ["source": "jelou-demo"]) ?? 0
        let polledBySecond = second.bridge.metrics.snapshot().value("convobridge_polls_total", ["source": "jelou-demo"]) ?? 0
        #expect(polledByFirst > 0 && polledBySecond > 0, "the polling is shared: \(polledByFirst) and \(polledBySecond)")

        _ = world.advance(steps: 40)
        try await log.readUntil("the first changes") { $0.count >= 60 }
        // Discovery walks the list every half second; a conversation another replica owns is handed to it once, not
        // on every walk (each replica also writes the configuration's ids at start).
        let configured = environment.configuration(replica: "r1").sources[0].conversationIDs.count
        for replica in [first, second] {
            let handedOff = replica.bridge.metrics.snapshot().value("convobridge_watch_records_total", ["outcome": "handed_off"]) ?? 0
            #expect(handedOff <= Double(configured + 40), "\(handedOff) watch records written")
        }
        try await first.stop()
        try await Self.waitUntil("the second replica owns every partition") { second.owned.count == Self.partitions }
        let beforeTakeover = log.records.count
        _ = world.advance(steps: 80)
        try await log.readUntil("changes after the takeover") { $0.count >= beforeTakeover + 40 }

        // A producer with partition 0's transactional id fences the replica's, as a new owner would: its next
        // transaction on 0 fails, it stops polling 0, and takes 0 up again (fencing the intruder) after the wait.
        let intruder = try KafkaTransactionalProducer(bootstrapServers: broker.bootstrapServers, transactionalID: "convobridge-test-p0")
        try await intruder.initialize()
        let beforeFence = log.records.count
        _ = world.advance(steps: 80)
        try await Self.waitUntil("the fence noticed", .seconds(30)) {
            (second.bridge.metrics.snapshot().value("convobridge_transactions_total", ["outcome": "fenced"]) ?? 0) >= 1
        }
        #expect(!second.owned.contains(0))
        try await Self.waitUntil("partition 0 taken up again", .seconds(40)) { second.owned.count == Self.partitions }
        _ = world.advance(steps: 40)
        try await log.readUntil("changes after the fence") { $0.count >= beforeFence + 60 }
        try await log.readRest()
        try await second.stop()

        #expect(Self.checkSequences(log.records).count >= 40, "the 40 conversations, and those the lifecycle created")
    }

    @Test(
        "A replica that gave partitions up cleanly takes them back from its checkpoint: it reads only what the other owner wrote, and every sequence goes on without a gap or a repeat"
    )
    func checkpointedPartitionsRestoredIncrementally() async throws {
        let environment = try await Environment(seed: 17)
        defer { environment.stop() }
        let (broker, world) = (environment.broker, environment.world)
        try Self.createAssigned(world, prefix: "k", count: 40)
        let log = try EventLog(broker)
        func restores(_ replica: Replica, _ kind: String) -> Double {
            replica.bridge.metrics.snapshot().value("convobridge_restores_total", ["kind": kind]) ?? 0
        }

        // A checkpoint of partition 0 past the state topic's end (a topic deleted and created again, say): the log does
        // not have its offset, so partition 0 is restored in full like the others.
        let configuration = environment.configuration(replica: "r1")
        do {
            let store = try BridgeStore(path: configuration.storePath)
            try await store.beginCheckpoint(partition: 0)
            try await store.completeCheckpoint(
                PartitionCheckpoint(
                    partition: 0, stateTopic: "convobridge-state", partitions: Self.partitions, nextOffset: 1_000_000, writtenAt: .now()))
            try store.close()
        }
        let first = try Replica(configuration)
        try await Self.waitUntil("the first replica owns every partition") {
            first.owned.count == Self.partitions && first.bridge.replica?.ready == true
        }
        #expect(restores(first, "full") == Double(Self.partitions) && restores(first, "incremental") == 0)
        try await log.readUntil("40 conversations discovered") { Self.discovered($0) == 40 }
        _ = world.advance(steps: 40)
        try await log.readUntil("the first changes") { $0.count >= 60 }

        // The second replica joins: the first gives it partitions, cleanly, and keeps a checkpoint of each.
        let second = try Replica(environment.configuration(replica: "r2"))
        try await Self.waitUntilShared(first, second)
        let handedOver = second.owned
        let beforeSharing = log.records.count
        _ = world.advance(steps: 80)
        try await log.readUntil("changes while the partitions are shared") { $0.count >= beforeSharing + 40 }

        // The second leaves: the first takes its partitions back from its checkpoints.
        let readBefore = first.bridge.metrics.snapshot().value("convobridge_restored_records_total", [:]) ?? 0
        let incrementalBefore = restores(first, "incremental")
        try await second.stop()
        try await Self.waitUntil("the first replica owns every partition again") {
            first.owned.count == Self.partitions && first.bridge.replica?.ready == true
        }
        #expect(restores(first, "full") == Double(Self.partitions), "only the first assignment was restored in full")
        #expect(restores(first, "incremental") - incrementalBefore == Double(handedOver.count))
        let readOnTakeover = (first.bridge.metrics.snapshot().value("convobridge_restored_records_total", [:]) ?? 0) - readBefore
        var wholePartitions = 0
        for partition in handedOver {
            wholePartitions += try await KafkaPartitionReader.readToEnd(
                bootstrapServers: broker.bootstrapServers, topic: "convobridge-state", partition: partition
            ).count
        }
        #expect(readOnTakeover > 0 && readOnTakeover < Double(wholePartitions), "read \(readOnTakeover) of \(wholePartitions) state records")

        let beforeReturn = log.records.count
        _ = world.advance(steps: 80)
        try await log.readUntil("changes after taking the partitions back") { $0.count >= beforeReturn + 40 }
        try await log.readRest()
        try await first.stop()

        #expect(Self.checkSequences(log.records).count >= 40)
    }

    @Test(
        "Webhooks reach whichever replica: the owner of each conversation forwards every event once, through a rebalance and a fence, and commits the handoff topic's position with it"
    )
    func webhooksHandedToTheOwner() async throws {
        let environment = try await Environment(seed: 5)
        defer { environment.stop() }
        let (broker, world, simulator) = (environment.broker, environment.world, environment.simulator)
        let conversations = (1...24).map { "w-\($0)" }
        for id in conversations { _ = try world.create(id: id) }
        func replica(_ name: String) throws -> Replica {
            var configuration = environment.configuration(replica: name, webhooks: true)
            configuration.sources[0].discovery = nil  // only webhooks bring the conversations in
            return try Replica(configuration)
        }
        let first = try replica("r1")
        let second = try replica("r2")
        try await Self.waitUntilShared(first, second)
        let firstPort = try #require(await first.bridge.serverPort())
        let secondPort = try #require(await second.bridge.serverPort())
        let secret = simulator.configuration.signingSecret
        var posted = 0
        func post(_ name: String, _ id: String, to port: Int, at time: Int64 = Timestamp.now().millisecondsSinceEpoch) async throws {
            let body = Array(#"{"event":"\#(name)","timestamp":\#(time),"conversation_id":"\#(id)"}"#.utf8)
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/webhooks/jelou-demo")
            request.method = .POST
            request.headers.add(name: "X-Jelou-Signature", value: WebhookSignature(secret: secret).sign(body))
            request.body = .bytes(body)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            _ = try await response.body.collect(upTo: 4096)
            #expect(response.status.code == 202, "\(name) of \(id): \(response.status.code)")
            posted += 1
        }
        let partitioner = CoordinationPartitioner(partitions: Int32(Self.partitions))
        let onZero = try #require(conversations.first { partitioner.partition(source: "jelou-demo", conversationID: $0) == 0 })

        // Every event to the first replica, which owns half of them; one body to both replicas (the platform
        // retrying on another): forwarded once.
        for id in conversations { try await post("message.first", id, to: firstPort) }
        let retried = Timestamp.now().millisecondsSinceEpoch
        try await post("message.retried", onZero, to: firstPort, at: retried)
        try await post("message.retried", onZero, to: secondPort, at: retried)
        #expect(first.bridge.metrics.snapshot().value("convobridge_webhook_handoffs_total", ["outcome": "handed_off"]) == 25)

        // Events to the second replica while the first leaves: the second takes the first's partitions over.
        for id in conversations { try await post("message.second", id, to: secondPort) }
        try await first.stop()
        try await Self.waitUntil("the second replica owns every partition") { second.owned.count == Self.partitions }

        // A producer with partition 0's transactional id fences the replica's: it gives 0 up, takes it up again after
        // the wait, and forwards what it had not committed there once more, from the committed position.
        for id in conversations { try await post("message.third", id, to: secondPort) }
        let intruder = try KafkaTransactionalProducer(bootstrapServers: broker.bootstrapServers, transactionalID: "convobridge-test-p0")
        try await intruder.initialize()
        try await post("message.fourth", onZero, to: secondPort)
        try await Self.waitUntil("the fence noticed", .seconds(30)) {
            (second.bridge.metrics.snapshot().value("convobridge_transactions_total", ["outcome": "fenced"]) ?? 0) >= 1
        }
        try await Self.waitUntil("partition 0 taken up again", .seconds(40)) { second.owned.count == Self.partitions }

        let log = try EventLog(broker)
        let expected = conversations.count * 3 + 2
        try await log.readUntil("every webhook event forwarded") { records in
            records.filter { $0.header("ce_type")?.hasPrefix("jelou.") == true }.count >= expected
        }
        // Whatever the handoff topic still held is committed with the transactions that forwarded it.
        let handoffs = try KafkaGroupConsumer(bootstrapServers: broker.bootstrapServers, groupID: "convobridge-test", topic: "convobridge-handoff")
        try await Self.waitUntil("the handoff topic's position committed past every record") {
            try await handoffs.committed(Array(0..<Int32(Self.partitions))).values.map(\.offset).reduce(0, +) == Int64(posted)
        }
        try await log.readRest()
        try await second.stop()

        let records = log.records
        let forwarded = records.filter { $0.header("ce_type")?.hasPrefix("jelou.") == true }
        #expect(forwarded.count == expected, "\(forwarded.count) forwarded events for \(expected) distinct webhooks")
        for id in conversations {
            let names = forwarded.filter { $0.keyString == "jelou-demo/\(id)" }.sorted { $0.offset < $1.offset }.compactMap { $0.header("ce_type") }
            let wanted =
                ["jelou.message.first"] + (id == onZero ? ["jelou.message.retried"] : []) + ["jelou.message.second", "jelou.message.third"]
                + (id == onZero ? ["jelou.message.fourth"] : [])
            #expect(names == wanted, "\(id): \(names)")
        }
        _ = Self.checkSequences(records)
    }

    @Test("A replica refuses to start when the coordination topics have another partition count, and says how to proceed")
    func partitionCountChangeRefused() async throws {
        let environment = try await Environment(seed: 3, eventTopics: false)
        defer { environment.stop() }
        _ = try await KafkaTopicAdmin.ensure(
            bootstrapServers: environment.broker.bootstrapServers, topic: "convobridge-watch", partitions: 3, compacted: true)
        let replica = try Replica(environment.configuration(replica: "r1"))
        await #expect {
            try await replica.running.value
        } throws: { error in
            "\(error)".contains("coordination.partitions is 6 but the topic convobridge-watch has 3 partitions")
                && "\(error)".contains("set partitions: 3")
        }
        try await replica.bridge.close()
    }
}
