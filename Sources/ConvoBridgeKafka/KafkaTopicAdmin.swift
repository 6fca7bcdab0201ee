import ConvoBridgeCore
import Crdkafka

/// Creates the topics the bridge owns (the coordination topics) and reads their partition counts.
public enum KafkaTopicAdmin {
    /// What ``ensure(bootstrapServers:topic:partitions:compacted:properties:timeout:)`` found.
    public struct Existing: Sendable, Hashable {
        public var partitions: Int
        /// Whether this call created it.
        public var created: Bool

        public init(partitions: Int, created: Bool) {
            self.partitions = partitions
            self.created = created
        }
    }

    /// Creates `topic` with `partitions` partitions (compacted when asked) unless it exists, and returns its partition
    /// count, which the caller compares with what it expects.
    public static func ensure(
        bootstrapServers: String, topic: String, partitions: Int, compacted: Bool, properties: [String: String] = [:],
        timeout: Duration = .seconds(15)
    ) async throws -> Existing {
        var all: [(String, String)] = properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        all.append(contentsOf: [("bootstrap.servers", bootstrapServers), ("log_level", "3")])
        // A consumer handle: its metadata requests never auto-create the topic they ask about.
        let client = try RDKafkaClient(kind: .consumer, properties: all, events: 0)
        let milliseconds = Int32(clamping: timeout.wholeMilliseconds)
        return try await BlockingWork.run {
            if let count = try partitionCount(client, topic, milliseconds) { return Existing(partitions: count, created: false) }
            var errorText = [CChar](repeating: 0, count: 512)
            // -1: the broker's default replication factor.
            guard let newTopic = rd_kafka_NewTopic_new(topic, Int32(clamping: partitions), -1, &errorText, errorText.count) else {
                throw KafkaError(code: .metadata, message: "cannot describe topic '\(topic)': \(RDKafkaConfig.string(buffer: errorText))")
            }
            defer { rd_kafka_NewTopic_destroy(newTopic) }
            if compacted { _ = rd_kafka_NewTopic_set_config(newTopic, "cleanup.policy", "compact") }
            let queue = rd_kafka_queue_new(client.handle)
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, milliseconds, &errorText, errorText.count)
            var topics: [OpaquePointer?] = [newTopic]
            rd_kafka_CreateTopics(client.handle, &topics, 1, options, queue)
            guard let event = rd_kafka_queue_poll(queue, milliseconds + 1000) else {
                throw KafkaError(code: .metadata, message: "creating topic '\(topic)' got no answer within \(timeout)")
            }
            defer { rd_kafka_event_destroy(event) }
            if let result = rd_kafka_event_CreateTopics_result(event) {
                var count = 0
                if let results = rd_kafka_CreateTopics_result_topics(result, &count), count > 0 {
                    let code = rd_kafka_topic_result_error(results[0])
                    if code != RD_KAFKA_RESP_ERR_NO_ERROR && code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS {
                        let text = RDKafkaConfig.string(rd_kafka_topic_result_error_string(results[0]))
                        throw KafkaError(code: .metadata, message: "cannot create topic '\(topic)': \(text)", rdKafkaCode: code.rawValue)
                    }
                }
            } else if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
                throw KafkaError(
                    code: .metadata, message: "cannot create topic '\(topic)': \(RDKafkaConfig.string(rd_kafka_event_error_string(event)))")
            }
            // Metadata can lag the creation by a moment.
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if let count = try partitionCount(client, topic, milliseconds) { return Existing(partitions: count, created: true) }
                BlockingWork.pause(milliseconds: 100)
            }
            throw KafkaError(code: .metadata, message: "topic '\(topic)' was created but its metadata did not appear within \(timeout)")
        }
    }

    /// The topic's partition count, nil when it does not exist.
    private static func partitionCount(_ client: RDKafkaClient, _ topic: String, _ timeoutMilliseconds: Int32) throws -> Int? {
        guard let handle = rd_kafka_topic_new(client.handle, topic, nil) else {
            throw KafkaError(code: .metadata, message: "librdkafka refused the topic name '\(topic)'")
        }
        defer { rd_kafka_topic_destroy(handle) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        let error = rd_kafka_metadata(client.handle, 0, handle, &metadata, timeoutMilliseconds)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            throw KafkaError(code: .metadata, message: "no metadata for '\(topic)': \(RDKafkaConfig.errorName(error))")
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        guard metadata.pointee.topic_cnt > 0 else { return nil }
        let described = metadata.pointee.topics[0]
        guard described.err == RD_KAFKA_RESP_ERR_NO_ERROR, described.partition_cnt > 0 else { return nil }
        return Int(described.partition_cnt)
    }
}
