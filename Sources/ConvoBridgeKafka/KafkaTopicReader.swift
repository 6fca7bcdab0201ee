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
            // librdkafka's own read-ahead (64 MiB by default) is what a consumer that waits leaves buffered.
            ("queued.max.messages.kbytes", "4096"),
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
        try await BlockingWork.run { [self] in
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

    /// Every record from the start position on, until the consumer stops iterating. Reading waits while
    /// `bufferLimit` records are read but not yet taken (a consumer that cannot keep up, e.g. while the store's disk
    /// is full, holds back the reader instead of the whole topic piling up in memory).
    public func records(bufferLimit: Int = 1000) -> Records {
        let (stream, continuation) = AsyncThrowingStream<ConsumedRecord, any Error>.makeStream()
        let stopped = Atomic<Bool>(false)
        let counter = Records.Counter()
        continuation.onTermination = { _ in stopped.store(true, ordering: .relaxed) }
        let batch = max(1, min(500, bufferLimit))
        BlockingWork.start(name: "convobridge-kafka-tail") { [self] in
            do {
                while !stopped.load(ordering: .relaxed) {
                    if counter.count + batch > bufferLimit {
                        // On this reader's own thread, never a cooperative one.
                        BlockingWork.pause(milliseconds: 10)
                        continue
                    }
                    for record in try poll(maxRecords: batch, timeout: .milliseconds(200)) {
                        counter.add(1)
                        continuation.yield(record)
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return Records(stream: stream, counter: counter, weight: { _ in 1 })
    }

    /// The records of ``records(bufferLimit:)``, counted out as they are taken.
    public typealias Records = CountedStream<ConsumedRecord>

    /// One blocking poll pass: assigns partitions first if needed, then returns what arrives within `timeout`.
    func poll(maxRecords: Int, timeout: Duration) throws -> [ConsumedRecord] {
        let ready = assigned.withLock { $0 }
        if !ready {
            guard try assignPartitions() else { return [] }
            assigned.withLock { $0 = true }
        }
        return client.consume(maxRecords: maxRecords, timeoutMilliseconds: Int32(clamping: timeout.wholeMilliseconds), topic: topic)
    }

    /// Per partition, the offset the next record written will get (the high watermark), now: where a read that
    /// wants "everything up to now" stops. Empty while the topic does not exist.
    public func endOffsets(timeout: Duration = .seconds(5)) async throws -> [Int32: Int64] {
        try await BlockingWork.run { [self] in
            guard let topicHandle = client.topic(topic) else { return [:] }
            var metadata: UnsafePointer<rd_kafka_metadata>?
            let error = rd_kafka_metadata(client.handle, 0, topicHandle, &metadata, Self.metadataTimeoutMilliseconds)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
                throw KafkaError(code: .metadata, message: "no metadata for '\(topic)': \(RDKafkaConfig.errorName(error))")
            }
            defer { rd_kafka_metadata_destroy(metadata) }
            guard metadata.pointee.topic_cnt > 0, metadata.pointee.topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
            let topicMetadata = metadata.pointee.topics[0]
            var ends: [Int32: Int64] = [:]
            for index in 0..<Int(topicMetadata.partition_cnt) {
                let partition = topicMetadata.partitions[index].id
                var low: Int64 = 0
                var high: Int64 = 0
                let queried = rd_kafka_query_watermark_offsets(
                    client.handle, topic, partition, &low, &high, Int32(clamping: timeout.wholeMilliseconds))
                guard queried == RD_KAFKA_RESP_ERR_NO_ERROR else {
                    throw KafkaError(code: .metadata, message: "no offsets for '\(topic)' [\(partition)]: \(RDKafkaConfig.errorName(queried))")
                }
                ends[partition] = high
            }
            return ends
        }
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
            partition?.pointee.offset =
                switch startPosition {
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
}
