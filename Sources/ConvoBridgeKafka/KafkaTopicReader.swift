import ConvoBridgeCore
import Crdkafka
import Synchronization

/// Reads every partition of one topic, without a consumer group: for `convobridge tail`, for a source's topic of ids
/// to watch (its positions kept in the bridge's store), and for tests.
///
/// Partitions are assigned directly (no group join, so reading starts at once) from the first or the next offset.
/// Polling blocks, so it runs on threads of its own.
///
/// - Important: use one read at a time per reader.
public final class KafkaTopicReader: Sendable {
    /// Where reading starts in each partition.
    public enum StartPosition: Sendable, Hashable {
        case beginning
        case end
        /// Per partition, the offset to read next; partitions not listed start at the beginning.
        case offsets([Int32: Int64])
    }

    public let topic: String
    private static let metadataTimeoutMilliseconds: Int32 = 5000
    private let client: RDKafkaClient
    private let startPosition: StartPosition
    private let assigned = Mutex(false)

    /// - Parameters:
    ///   - properties: extra librdkafka consumer properties (SASL, SSL…).
    /// - Throws: ``KafkaError`` when a property is rejected.
    public init(
        bootstrapServers: String,
        topic: String,
        from startPosition: StartPosition = .beginning,
        properties: [String: String] = [:]
    ) throws {
        var all: [(String, String)] = [
            ("bootstrap.servers", bootstrapServers),
            ("group.id", "convobridge-reader"),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("enable.partition.eof", "false"),
            ("log_level", "3"),
        ]
        all.append(contentsOf: properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        self.client = try RDKafkaClient(kind: .consumer, properties: all, events: 0)
        self.topic = topic
        self.startPosition = startPosition
        rd_kafka_poll_set_consumer(client.handle)
    }

    /// Reads until `count` records have arrived or `timeout` passes.
    /// - Returns: the records, fewer than `count` when the time ran out.
    public func read(count: Int, timeout: Duration) async throws -> [ConsumedRecord] {
        try await BlockingWork.run(name: "convobridge-kafka-read") { [self] in
            let deadline = ContinuousClock.now + timeout
            var records: [ConsumedRecord] = []
            while records.count < count {
                let left = deadline - .now
                guard left > .zero else { break }
                records.append(contentsOf: try poll(maxRecords: count - records.count, timeout: min(left, .milliseconds(200))))
            }
            return records
        }
    }

    /// Every record from the start position on, until the stream's consumer stops iterating.
    public func records() -> AsyncThrowingStream<ConsumedRecord, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ConsumedRecord, any Error>.makeStream()
        let stopped = Atomic<Bool>(false)
        continuation.onTermination = { _ in stopped.store(true, ordering: .relaxed) }
        BlockingWork.start(name: "convobridge-kafka-tail") { [self] in
            do {
                while !stopped.load(ordering: .relaxed) {
                    for record in try poll(maxRecords: 500, timeout: .milliseconds(200)) {
                        continuation.yield(record)
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }

    /// One blocking poll pass: assigns partitions first if needed, then returns what arrives within `timeout`.
    func poll(maxRecords: Int, timeout: Duration) throws -> [ConsumedRecord] {
        let ready = assigned.withLock { $0 }
        if !ready {
            guard try assignPartitions() else { return [] }
            assigned.withLock { $0 = true }
        }
        var records: [ConsumedRecord] = []
        var waitMilliseconds = Int32(timeout.wholeMilliseconds)
        while records.count < maxRecords {
            guard let message = rd_kafka_consumer_poll(client.handle, waitMilliseconds) else { break }
            defer { rd_kafka_message_destroy(message) }
            waitMilliseconds = 0
            guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            records.append(Self.record(from: message, topic: topic))
        }
        return records
    }

    /// Assigns every partition of the topic. Returns false while the topic does not exist yet.
    private func assignPartitions() throws -> Bool {
        guard let topicHandle = client.topic(topic) else {
            throw KafkaError(code: .metadata, message: "librdkafka refused the topic name '\(topic)'")
        }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        // Not the caller's poll timeout: a metadata round trip to a slow broker can take longer than a poll slice,
        // and a request abandoned every slice would never complete.
        let error = rd_kafka_metadata(client.handle, 0, topicHandle, &metadata, Self.metadataTimeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else { return false }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0 else { return false }
        let topicMetadata = metadata.pointee.topics[0]
        guard topicMetadata.err == RD_KAFKA_RESP_ERR_NO_ERROR, topicMetadata.partition_cnt > 0 else { return false }
        let list = rd_kafka_topic_partition_list_new(topicMetadata.partition_cnt)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for index in 0..<Int(topicMetadata.partition_cnt) {
            let id = topicMetadata.partitions[index].id
            let partition = rd_kafka_topic_partition_list_add(list, topic, id)
            partition?.pointee.offset = switch startPosition {
            case .beginning: Int64(RD_KAFKA_OFFSET_BEGINNING)
            case .end: Int64(RD_KAFKA_OFFSET_END)
            case .offsets(let offsets): offsets[id] ?? Int64(RD_KAFKA_OFFSET_BEGINNING)
            }
        }
        let assignError = rd_kafka_assign(client.handle, list)
        guard assignError == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(code: .consume, message: "could not assign '\(topic)': \(RDKafkaConfig.errorName(assignError))")
        }
        return true
    }

    private static func record(from message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) -> ConsumedRecord {
        let pointee = message.pointee
        let key = pointee.key.map { Array(UnsafeRawBufferPointer(start: $0, count: pointee.key_len)) }
        let value = pointee.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: pointee.len)) }
        var headers: [OutboundRecord.Header] = []
        var headerList: OpaquePointer?
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var valuePointer: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &valuePointer, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let bytes = valuePointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                headers.append(OutboundRecord.Header(name: RDKafkaConfig.string(name), value: bytes))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        return ConsumedRecord(
            topic: topic,
            partition: pointee.partition,
            offset: pointee.offset,
            key: key,
            value: value,
            headers: headers,
            timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
        )
    }
}
