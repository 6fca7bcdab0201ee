import ConvoBridgeCore
import Crdkafka

/// Reads one partition of a topic from its start (or an offset) to its end (or an offset), `read_committed`: what a
/// new owner of the partition restores before it takes over. The end is the partition's last stable offset when reading starts, so records of
/// a transaction still open (a fenced owner's, until the broker aborts it) are never read, nor aborted ones.
public enum KafkaPartitionReader {
    /// Every committed record of `topic`'s `partition`, in offset order.
    /// - Parameters:
    ///   - from: the first offset to read; nil for the partition's start. An offset the log does not have (removed by
    ///     retention, or past its end) reads from the log's start, unless `exactlyFrom`.
    ///   - exactlyFrom: fail with ``KafkaError/Code/offsetOutOfRange`` rather than read from the log's start when the
    ///     log does not have `from` (what was between is gone).
    ///   - before: stop at this offset (exclusive); nil for the partition's end.
    /// - Throws: ``KafkaError`` when the partition cannot be read within `timeout`.
    public static func readToEnd(
        bootstrapServers: String, topic: String, partition: Int32, from: Int64? = nil, exactlyFrom: Bool = false, before: Int64? = nil,
        timeout: Duration = .seconds(60), properties: [String: String] = [:]
    ) async throws -> [ConsumedRecord] {
        if let from, let before, from >= before { return [] }
        var all: [(String, String)] = properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        all.append(contentsOf: [
            ("bootstrap.servers", bootstrapServers),
            ("group.id", "convobridge-restore"),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("enable.partition.eof", "true"),
            ("isolation.level", "read_committed"),
            ("auto.offset.reset", exactlyFrom && from != nil ? "error" : "earliest"),
            // The end is found by an empty fetch: do not let the broker hold it for the default half second.
            ("fetch.wait.max.ms", "20"),
            ("log_level", "3"),
        ])
        let client = try RDKafkaClient(kind: .consumer, properties: all, events: 0)
        return try await BlockingWork.run {
            rd_kafka_poll_set_consumer(client.handle)
            let list = rd_kafka_topic_partition_list_new(1)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            rd_kafka_topic_partition_list_add(list, topic, partition)?.pointee.offset = from ?? Int64(RD_KAFKA_OFFSET_BEGINNING)
            let assigned = rd_kafka_assign(client.handle, list)
            guard assigned == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(code: .consume, message: "cannot assign '\(topic)' [\(partition)]: \(RDKafkaConfig.errorName(assigned))")
            }
            defer { _ = rd_kafka_assign(client.handle, nil) }
            let deadline = ContinuousClock.now + timeout
            var records: [ConsumedRecord] = []
            while ContinuousClock.now < deadline {
                guard let message = rd_kafka_consumer_poll(client.handle, 200) else { continue }
                defer { rd_kafka_message_destroy(message) }
                switch message.pointee.err {
                case RD_KAFKA_RESP_ERR_NO_ERROR:
                    if let before, message.pointee.offset >= before { return records }
                    records.append(ConsumedRecord(message: message, topic: topic))
                    if let before, message.pointee.offset + 1 >= before { return records }
                case RD_KAFKA_RESP_ERR__PARTITION_EOF:
                    return records
                case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
                    // Nothing was ever written there: nothing to restore.
                    return records
                case RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE:
                    throw KafkaError(
                        code: .offsetOutOfRange, message: "'\(topic)' [\(partition)] has no offset \(from ?? 0)",
                        rdKafkaCode: message.pointee.err.rawValue)
                default:
                    continue  // transient (a broker reconnecting): librdkafka retries the fetch
                }
            }
            throw KafkaError(
                code: .consume, message: "reading '\(topic)' [\(partition)] to its end took longer than \(timeout) (\(records.count) records read)")
        }
    }

    /// The partition's first offset still in the log, and its end (`read_committed`: the last stable offset), both 0
    /// for a partition never written.
    public static func bounds(
        bootstrapServers: String, topic: String, partition: Int32, timeout: Duration = .seconds(10), properties: [String: String] = [:]
    ) async throws -> (start: Int64, end: Int64) {
        var all: [(String, String)] = properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        all.append(contentsOf: [("bootstrap.servers", bootstrapServers), ("isolation.level", "read_committed"), ("log_level", "3")])
        let client = try RDKafkaClient(kind: .consumer, properties: all, events: 0)
        return try await BlockingWork.run {
            var low: Int64 = 0
            var high: Int64 = 0
            let error = rd_kafka_query_watermark_offsets(client.handle, topic, partition, &low, &high, Int32(clamping: timeout.wholeMilliseconds))
            switch error {
            case RD_KAFKA_RESP_ERR_NO_ERROR: return (max(0, low), max(0, high))
            case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION: return (0, 0)
            default:
                throw KafkaError(code: .consume, message: "cannot read the offsets of '\(topic)' [\(partition)]: \(RDKafkaConfig.errorName(error))")
            }
        }
    }
}
