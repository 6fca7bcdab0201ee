import ArgumentParser
import ConvoBridgeApp
import ConvoBridgeDemo
import Foundation
import Logging

/// `convobridge demo`: the whole product on one machine, with nothing but the build.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the simulator, an embedded Kafka cluster and the bridge, and show the event stream live.",
        discussion: """
            Simulated Jelou conversations move through their lifecycle (assigned, closed, end reason changed, \
            reopened, resolved, deleted); the bridge polls them, publishes the transitions as CloudEvents to the \
            embedded Kafka cluster, and this command prints them as they arrive, with a summary line every few \
            seconds. Ctrl-C stops everything cleanly.
            """
    )

    @Option(help: "Simulated conversations at start.") var conversations = 30
    @Option(help: "Random seed for the simulation.") var seed: UInt64 = 42
    @Option(help: "Seconds between simulated lifecycle steps.") var advanceEvery: Double = 2
    @Option(help: "Conversations moved per step.") var advanceSteps = 2
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard conversations >= 0 else { throw ValidationError("--conversations must not be negative") }
        guard advanceEvery > 0 else { throw ValidationError("--advance-every must be more than 0") }
    }

    func run() async throws {
        var options = logging
        if !CommandLine.arguments.contains("--log-level") { options.logLevel = .warning }
        let logger = options.bootstrap()
        let runner = DemoRunner(
            population: conversations, seed: seed, advanceEvery: .milliseconds(Int64(advanceEvery * 1000)),
            advanceSteps: advanceSteps)
        try await runner.run(logger: logger) { Console.printLine($0) }
    }
}
