import Benchmark
import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeKafkaMock
import Logging
import ServiceLifecycle

/// One publisher batch: 1,000 event records (key, the nine CloudEvents headers, a 1 KB value) handed to librdkafka
/// and every delivery report awaited, against an embedded single-broker cluster (idempotent, `acks=all`).
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .cpuTotal, .mallocCountTotal],
        maxDuration: .seconds(10),
        maxIterations: 1_000
    )

    Benchmark("publisher: a batch of 1,000 CloudEvents records, every report awaited") { benchmark in
        let cluster = try EmbeddedKafkaCluster(brokers: 1)
        try cluster.createTopic("conversation-events", partitions: 6)
        let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }
        let publisher = try KafkaPublisher(configuration: KafkaPublisherConfiguration(bootstrapServers: cluster.bootstrapServers), logger: logger)
        let records = (0..<1000).map { index in
            OutboundRecord(topic: "conversation-events", key: Array("jelou-bench/conv-\(index % 100)".utf8),
                           value: Array(repeating: UInt8(ascii: "x"), count: 1024),
                           headers: ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_sequence",
                                     "ce_partitionkey", "content-type"].map { OutboundRecord.Header(name: $0, value: "value-\(index)") })
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await publisher.run() }
            _ = try await publisher.publish(Array(records.prefix(1)))
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let reports = try await publisher.publish(records)
                blackHole(reports.count)
            }
            benchmark.stopMeasurement()
            group.cancelAll()
        }
    }
}
