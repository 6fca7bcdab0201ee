import ArgumentParser
import ConvoBridgeKafka
import Foundation
import Logging
import UnixSignals

/// `convobridge kafka-dev`: an embedded Kafka cluster for development, demos and tests.
struct KafkaDevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-dev",
        abstract: "Run an in-memory Kafka cluster (librdkafka's mock) until SIGINT or SIGTERM.",
        discussion: """
            Prints the bootstrap address on the first line of standard output. Any Kafka client, in this \
            process or another (kcat, convobridge tail), can connect to it. Data is kept in memory only.
            """
    )

    @Option(help: "Number of brokers.")
    var brokers: Int = 1

    @Option(help: "Also write the bootstrap address to this file (replaced atomically).")
    var bootstrapFile: String?

    @Option(
        name: .customLong("topic"),
        help: "Create a topic first, as NAME or NAME:PARTITIONS (repeatable). Other topics are auto-created with 4 partitions."
    )
    var topics: [String] = ["conversation-events:6", "conversation-state:6"]

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard brokers >= 1 else { throw ValidationError("--brokers must be at least 1, not \(brokers)") }
        for topic in topics { _ = try Self.parseTopic(topic) }
    }

    func run() async throws {
        let logger = logging.bootstrap()
        let cluster = try EmbeddedKafkaCluster(brokers: brokers)
        for topic in topics {
            let (name, partitions) = try Self.parseTopic(topic)
            try cluster.createTopic(name, partitions: partitions, replicationFactor: brokers)
        }
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        if let bootstrapFile {
            try Data((cluster.bootstrapServers + "\n").utf8).write(to: URL(fileURLWithPath: bootstrapFile), options: .atomic)
        }
        Console.printLine(cluster.bootstrapServers)
        logger.info(
            "Embedded Kafka cluster running; Ctrl-C stops it",
            metadata: ["bootstrap": "\(cluster.bootstrapServers)", "brokers": "\(brokers)"]
        )
        for await signal in signals {
            logger.info("Stopping the embedded Kafka cluster", metadata: ["signal": "\(signal)"])
            break
        }
        withExtendedLifetime(cluster) {}
    }

    static func parseTopic(_ text: String) throws -> (String, Int) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard let name = parts.first, !name.isEmpty, parts.count <= 2 else {
            throw ValidationError("--topic \(text): expected NAME or NAME:PARTITIONS")
        }
        guard parts.count == 2 else { return (String(name), 4) }
        guard let partitions = Int(parts[1]), partitions >= 1 else {
            throw ValidationError("--topic \(text): PARTITIONS must be a whole number of at least 1")
        }
        return (String(name), partitions)
    }
}
