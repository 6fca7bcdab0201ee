import ArgumentParser
import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeSimulator
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `convobridge simulate`: a Jelou-compatible platform simulator with a control API.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Serve Jelou's polling endpoints over synthetic conversations, with a control API (/_sim).",
        discussion: """
            Prints the base URL on the first line of standard output. Get Conversation answers under both \
            /jelouapi and /platform, to x-api-key or Basic credentials; Advisor Conversations answers to Basic. \
            --advance-every moves conversations along their scripted lifecycle (assigned, closed, end reason \
            changed, reopened, resolved, deleted); every change is logged. See the README for the control API.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0 picks a free one).") var port = 8089
    @Option(help: "Conversations at start.") var population = 50
    @Option(help: "Random seed: the same seed gives the same conversations and changes.") var seed: UInt64 = 42
    @Option(help: "Move this many conversations one step every --advance-every seconds (0: only on request).") var advanceSteps = 3
    @Option(help: "Seconds between automatic lifecycle steps (0 disables them).") var advanceEvery: Double = 0
    @Option(help: "Stop the automatic steps after this many in all.") var advanceLimit: Int?
    @Option(help: "Project id the endpoints accept.") var projectID = "sim-project"
    @Option(help: "Environment variable holding the API key to accept (default: sim-api-key).") var apiKeyEnv: String?
    @Option(help: "Send webhooks to this URL when the control API names none.") var webhookURL: String?
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535, not \(port)") }
        guard population >= 0 else { throw ValidationError("--population must not be negative") }
        guard advanceEvery >= 0 else { throw ValidationError("--advance-every must not be negative") }
    }

    func run() async throws {
        let logger = logging.bootstrap()
        var configuration = SimulatorConfiguration(host: host, port: port, projectID: projectID, webhookURL: webhookURL)
        if let apiKeyEnv {
            guard let key = ProcessInfo.processInfo.environment[apiKeyEnv], !key.isEmpty else {
                throw ValidationError("--api-key-env: \(apiKeyEnv) is not set")
            }
            configuration.apiKey = key
        }
        let world = SimulatorWorld(population: population, seed: seed, now: Timestamp.now)
        let simulator = PlatformSimulator(configuration: configuration, world: world, logger: logger)
        var services: [any Service] = [simulator]
        if advanceEvery > 0 {
            services.append(
                SimulatorTicker(
                    world: world, steps: advanceSteps, every: .milliseconds(Int64(advanceEvery * 1000)),
                    limit: advanceLimit, logger: logger))
        }
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigint, .sigterm], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                let url = await simulator.baseURL()
                Console.printLine(url)
                logger.info("Simulator listening", metadata: ["url": "\(url)", "conversations": "\(population)", "seed": "\(seed)"])
            }
            try await tasks.waitForAll()
        }
    }
}
