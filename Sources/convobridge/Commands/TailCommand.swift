import ArgumentParser
import ConvoBridgeCore
import ConvoBridgeKafka
import Foundation

/// `convobridge tail`: prints the events of a topic as they arrive.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print a topic's events readably (time, type, key, sequence, transition) or as JSON lines."
    )

    @Option(help: "The topic to read.")
    var topic: String = "conversation-events"

    @OptionGroup var bootstrap: BootstrapOptions

    @Flag(help: "Print one JSON object per record, with its headers and parsed value.")
    var json = false

    @Flag(help: "Start at the end of each partition instead of the beginning.")
    var fromEnd = false

    @Option(help: "Stop after this many records.")
    var count: Int?

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        _ = logging.bootstrap()
        let reader = try KafkaTopicReader(
            bootstrapServers: try bootstrap.resolve(),
            topic: topic,
            from: fromEnd ? .end : .beginning
        )
        let formatter = EventLineFormatter()
        var printed = 0
        if let count, count <= 0 { return }
        for try await record in reader.records() {
            if json {
                Console.printLine(
                    formatter.jsonLine(
                        topic: record.topic, partition: record.partition, offset: record.offset,
                        key: record.keyString, headers: record.headers, value: record.value, timestamp: record.timestamp
                    ))
            } else {
                Console.printLine(formatter.line(key: record.keyString, headers: record.headers, value: record.value))
            }
            printed += 1
            if let count, printed >= count { break }
        }
    }
}
