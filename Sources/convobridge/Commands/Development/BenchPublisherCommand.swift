import ArgumentParser
import ConvoBridgeCore
import ConvoBridgeKafka
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `convobridge bench-publisher`: the publisher's throughput, for comparison with `kcat -P` (see the README).
struct BenchPublisherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-publisher",
        abstract: "Measure publisher throughput: publish N records and wait for every delivery report."
    )

    @OptionGroup var bootstrap: BootstrapOptions

    @Option(help: "The topic to write.")
    var topic: String = "bench"

    @Option(help: "How many records.")
    var messages: Int = 1_000_000

    @Option(help: "Value size in bytes.")
    var size: Int = 100

    @Option(help: "Records per publish call.")
    var batch: Int = 50_000

    @Flag(help: "Give each record a key and the nine CloudEvents headers, as real events have.")
    var cloudEventHeaders = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.bootstrap()
        let publisher = try KafkaPublisher(
            configuration: KafkaPublisherConfiguration(bootstrapServers: try bootstrap.resolve()),
            logger: logger
        )
        let records = makeRecords()
        let group = ServiceGroup(services: [publisher], gracefulShutdownSignals: [.sigint, .sigterm], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // Warm up the connection and metadata so the measurement is the steady state.
            _ = try await publisher.publish(Array(records.prefix(1)))
            let clock = ContinuousClock()
            var persisted = 0
            let elapsed = try await clock.measure {
                try await withThrowingTaskGroup(of: Int.self) { batches in
                    var start = 0
                    // Two batches in flight keep librdkafka's queue fed while the previous reports come back.
                    var inFlight = 0
                    while start < records.count {
                        let end = min(start + batch, records.count)
                        let slice = Array(records[start..<end])
                        batches.addTask { try await publisher.publish(slice).filter { $0.status == .persisted }.count }
                        inFlight += 1
                        start = end
                        if inFlight >= 2, let done = try await batches.next() {
                            persisted += done
                            inFlight -= 1
                        }
                    }
                    for try await done in batches { persisted += done }
                }
            }
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = Double(messages) / seconds
            Console.printLine(
                "published \(messages) records of \(size) bytes, \(persisted) persisted, in \(String(format: "%.2f", seconds)) s: \(Int(rate)) records/s"
            )
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    private func makeRecords() -> [OutboundRecord] {
        let value = [UInt8](repeating: UInt8(ascii: "x"), count: size)
        return (0..<messages).map { index in
            guard cloudEventHeaders else { return OutboundRecord(topic: topic, key: nil, value: value) }
            let key = "bench/c-\(index % 1000)"
            return OutboundRecord(
                topic: topic,
                key: Array(key.utf8),
                value: value,
                headers: [
                    .init(name: "ce_specversion", value: "1.0"),
                    .init(name: "ce_id", value: "\(key)/\(index / 1000 + 1)"),
                    .init(name: "ce_source", value: "/sources/bench"),
                    .init(name: "ce_type", value: "conversation.updated"),
                    .init(name: "ce_subject", value: "c-\(index % 1000)"),
                    .init(name: "ce_time", value: "2026-01-15T10:45:02.114Z"),
                    .init(name: "ce_sequence", value: String(index / 1000 + 1)),
                    .init(name: "ce_partitionkey", value: key),
                    .init(name: "content-type", value: "application/json"),
                ]
            )
        }
    }
}
