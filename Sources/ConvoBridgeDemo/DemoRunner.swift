import ConvoBridgeApp
import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import ConvoBridgeSimulator
import Foundation
public import Logging
import ServiceLifecycle
import UnixSignals

/// `convobridge demo`: the simulator, an embedded Kafka cluster and the bridge against them, in one process, with
/// the event stream shown live. Stops cleanly on SIGINT/SIGTERM.
public struct DemoRunner: Sendable {
    public var population: Int
    public var seed: UInt64
    public var advanceEvery: Duration
    public var advanceSteps: Int
    public var summaryEvery: Duration

    public init(
        population: Int = 30, seed: UInt64 = 42, advanceEvery: Duration = .seconds(2), advanceSteps: Int = 2,
        summaryEvery: Duration = .seconds(5)
    ) {
        self.population = population
        self.seed = seed
        self.advanceEvery = advanceEvery
        self.advanceSteps = advanceSteps
        self.summaryEvery = summaryEvery
    }

    public func run(logger: Logger, output: @escaping @Sendable (String) -> Void) async throws {
        let cluster = try EmbeddedKafkaCluster(brokers: 1)
        let encoder = CloudEventEncoder.Configuration()
        try cluster.createTopic(encoder.eventsTopic, partitions: 6)
        try cluster.createTopic(encoder.stateTopic, partitions: 6)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("convobridge-demo-\(UUID().uuidString)")
        // Private to the user who runs the demo (the store holds the simulated conversations' people).
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: directory) }

        let simulatorSettings = SimulatorConfiguration(port: 0)
        let world = SimulatorWorld(population: population, seed: seed, now: Timestamp.now)
        let quiet = Logger(label: "simulator") { _ in SwiftLogNoOpLogHandler() }
        let simulator = PlatformSimulator(configuration: simulatorSettings, world: world, logger: quiet)
        let simulatorRun = Task { try await simulator.run() }
        defer { simulatorRun.cancel() }
        let simulatorURL = await simulator.baseURL()

        let configuration = DemoConfiguration.bridge(
            simulatorURL: simulatorURL, simulator: simulatorSettings,
            bootstrapServers: cluster.bootstrapServers,
            storePath: directory.appendingPathComponent("demo.sqlite").path)
        let bridge = try Bridge(configuration: configuration, logger: logger)
        let tail = EventTail(
            bootstrapServers: cluster.bootstrapServers, topic: encoder.eventsTopic, bridge: bridge,
            summaryEvery: summaryEvery, output: output)
        let ticker = SimulatorTicker(world: world, steps: advanceSteps, every: advanceEvery, logger: quiet)
        output(
            "ConvoBridge demo: \(population) simulated Jelou conversations at \(simulatorURL), Kafka at \(cluster.bootstrapServers). Ctrl-C stops.")
        output("time          " + "type".padding(toLength: 37, withPad: " ", startingAt: 0) + "  key (source/conversation)  #seq  transition")
        try await Bridge.run(
            services: [ticker] + bridge.services + [tail], gracefulShutdownSignals: [.sigint, .sigterm],
            maximumShutdown: bridge.maximumShutdown, logger: logger
        ) {
            try await bridge.close()
        }
        output(await tail.summary())
        // The live view's consumer thread notices the end of its stream within one 200 ms poll slice; keep the
        // embedded cluster up until then, so it does not log connection errors on the way out.
        try? await Task.sleep(for: .milliseconds(400))
        withExtendedLifetime(cluster) {}
    }
}
