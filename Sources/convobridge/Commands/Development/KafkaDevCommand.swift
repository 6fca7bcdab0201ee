import ArgumentParser
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
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

            Reads fault commands on standard input, one per line, to test clients against an outage or \
            broker errors: 'down [BROKER|all]', 'up [BROKER|all]', \
            'errors produce|fetch|metadata NAME[,NAME...] [xCOUNT]' (librdkafka error names such as \
            NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, _TRANSPORT), 'rtt BROKER|all MS'.
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
        Self.readCommands(for: cluster, logger: logger)
        for await signal in signals {
            logger.info("Stopping the embedded Kafka cluster", metadata: ["signal": "\(signal)"])
            break
        }
        withExtendedLifetime(cluster) {}
    }

    /// Applies fault commands from standard input as they come, on a thread of their own (reading blocks); stops at
    /// end of input.
    static func readCommands(for cluster: EmbeddedKafkaCluster, logger: Logger) {
        Thread.detachNewThread {
            while let line = readLine() {
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { continue }
                do {
                    let done = try EmbeddedClusterCommand(parsing: line).apply(to: cluster)
                    logger.notice("fault command applied", metadata: ["command": "\(line)", "effect": "\(done)"])
                } catch {
                    logger.error("fault command refused", metadata: ["error": "\(error)"])
                }
            }
        }
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
