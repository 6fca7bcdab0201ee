public import ConvoBridgeCore
import Crdkafka
import Synchronization

/// A transactional producer for one `transactional.id`: each ``commit(_:)`` writes its records in one Kafka
/// transaction, so a `read_committed` consumer sees all of them or none.
///
/// ``initialize()`` fences every older producer with the same `transactional.id` (a replica that lost the
/// partition, or one paused past its session that wakes up): the broker bumps the id's epoch, finishes or aborts
/// that producer's open transaction, and refuses its later writes. A producer that was fenced throws
/// ``KafkaError/Code/fenced`` and must be discarded.
///
/// Calls block inside librdkafka and run on the blocking pool; use one call at a time.
public final class KafkaTransactionalProducer: Sendable {
    public let transactionalID: String
    private let client: RDKafkaClient
    private let timeoutMilliseconds: Int32
    private let state = Mutex<Lifecycle>(.created)

    private enum Lifecycle {
        case created
        case ready
        /// Fenced or fatally failed: nothing more can be written.
        case failed(KafkaError)
    }

    /// - Parameters:
    ///   - timeout: how long initialization and each commit may take (`transaction.timeout.ms` is set above it).
    ///   - properties: extra librdkafka properties (SASL, SSL…); they cannot turn off idempotence.
    public init(
        bootstrapServers: String, transactionalID: String, timeout: Duration = .seconds(30), properties: [String: String] = [:]
    ) throws {
        self.transactionalID = transactionalID
        let milliseconds = max(1000, timeout.wholeMilliseconds)
        self.timeoutMilliseconds = Int32(clamping: milliseconds)
        var all: [(String, String)] = properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        all.append(contentsOf: [
            ("bootstrap.servers", bootstrapServers),
            ("transactional.id", transactionalID),
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("transaction.timeout.ms", String(max(60_000, milliseconds * 2))),
            ("log_level", "3"),
        ])
        self.client = try RDKafkaClient(kind: .producer, properties: all, events: 0)
    }

    /// Registers the `transactional.id` with the broker, fencing older producers that use it, and waits until their
    /// open transaction is resolved.
    public func initialize() async throws {
        try await BlockingWork.run { [self] in
            try check(rd_kafka_init_transactions(client.handle, timeoutMilliseconds), doing: "initialize transactions")
            state.withLock { $0 = .ready }
        }
    }

    /// A consumer group's positions to commit in a transaction: the offset to read next of each partition of `topic`.
    public struct ConsumedOffsets: Sendable {
        public var topic: String
        public var nextOffsets: [Int32: Int64]
        public var group: KafkaGroupMetadata

        public init(topic: String, nextOffsets: [Int32: Int64], group: KafkaGroupMetadata) {
            self.topic = topic
            self.nextOffsets = nextOffsets
            self.group = group
        }
    }

    /// Writes `records` in one transaction, with the consumer positions `offsets` (what was read to make them: read
    /// again if the transaction is lost, never twice if it commits), and commits it; returns once the broker committed it.
    /// - Throws: ``KafkaError`` with code ``KafkaError/Code/fenced`` when another producer took over the
    ///   `transactional.id` (discard this one); another code when the transaction was aborted and may be tried again
    ///   (also when the group moved to a generation after `offsets`').
    public func commit(_ records: [OutboundRecord], offsets: ConsumedOffsets? = nil) async throws {
        let offsets = offsets.flatMap { $0.nextOffsets.isEmpty ? nil : $0 }
        guard !records.isEmpty || offsets != nil else { return }
        try await BlockingWork.run { [self] in
            try state.withLock { state in
                switch state {
                case .ready: return
                case .created: throw KafkaError(code: .transaction, message: "\(transactionalID): not initialized")
                case .failed(let error): throw error
                }
            }
            try check(rd_kafka_begin_transaction(client.handle), doing: "begin a transaction")
            var topics = RDKafkaClient.TopicCache()
            for record in records {
                var result = client.produce(record, opaque: 0, topics: &topics)
                while case .queueFull = result {
                    rd_kafka_poll(client.handle, 10)
                    result = client.produce(record, opaque: 0, topics: &topics)
                }
                switch result {
                case .enqueued, .queueFull: continue
                case .fatal:
                    throw recordFatalError()
                case .failed(let reason, _):
                    abort()
                    throw KafkaError(code: .transaction, message: "\(transactionalID): produce to '\(record.topic)' failed: \(reason)")
                }
            }
            if let offsets {
                let list = rd_kafka_topic_partition_list_new(Int32(offsets.nextOffsets.count))
                defer { rd_kafka_topic_partition_list_destroy(list) }
                for (partition, next) in offsets.nextOffsets {
                    rd_kafka_topic_partition_list_add(list, offsets.topic, partition)?.pointee.offset = next
                }
                try check(
                    rd_kafka_send_offsets_to_transaction(client.handle, list, offsets.group.handle, timeoutMilliseconds),
                    doing: "commit the consumed offsets")
            }
            try check(rd_kafka_commit_transaction(client.handle, timeoutMilliseconds), doing: "commit")
        }
    }

    /// Whether the producer was fenced or failed for good.
    public var isFailed: Bool { state.withLock { if case .failed = $0 { true } else { false } } }

    /// Aborts the open transaction, if any, ignoring errors (the caller already reports why).
    private func abort() {
        if let error = rd_kafka_abort_transaction(client.handle, timeoutMilliseconds) { rd_kafka_error_destroy(error) }
    }

    /// The client's fatal error (a fenced producer's, typically), recorded so that every later call throws it.
    private func recordFatalError() -> KafkaError {
        var text = [CChar](repeating: 0, count: 256)
        let code = rd_kafka_fatal_error(client.handle, &text, text.count)
        let error = KafkaError(
            code: Self.isFenced(code) ? .fenced : .transaction, message: "\(transactionalID): \(RDKafkaConfig.string(buffer: text))",
            rdKafkaCode: code.rawValue)
        state.withLock { $0 = .failed(error) }
        return error
    }

    private static func isFenced(_ code: rd_kafka_resp_err_t) -> Bool {
        code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED || code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH
    }

    /// Throws what `error` says, after recording a fatal one and aborting where the transaction requires it.
    private func check(_ error: OpaquePointer?, doing what: String) throws {
        guard let error else {
            if case .failed(let failure) = state.withLock({ $0 }) { throw failure }
            return
        }
        defer { rd_kafka_error_destroy(error) }
        let code = rd_kafka_error_code(error)
        let text = RDKafkaConfig.string(rd_kafka_error_string(error))
        let fenced = Self.isFenced(code)
        if fenced || rd_kafka_error_is_fatal(error) != 0 {
            let failure = KafkaError(
                code: fenced ? .fenced : .transaction, message: "\(transactionalID): \(what): \(text)", rdKafkaCode: code.rawValue)
            state.withLock { $0 = .failed(failure) }
            throw failure
        }
        if rd_kafka_error_txn_requires_abort(error) != 0 { abort() }
        throw KafkaError(code: .transaction, message: "\(transactionalID): \(what): \(text)", rdKafkaCode: code.rawValue)
    }
}
