import ConvoBridgeCore
import Crdkafka
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Consumes one topic (or several co-partitioned ones) as a member of a consumer group, committing only the offsets
/// it is told to: for the webhook deliverer, which commits past events once they are delivered or dead-lettered, and
/// for the replicas, which commit theirs in their transactions (``groupMetadata()``).
///
/// Partitions are shared among the group's members by librdkafka's eager `range` assignor (its cooperative one has
/// known bugs in 2.0.2); `group.instance.id` (static membership) keeps a restarted member's partitions through a
/// restart shorter than the session timeout. Changes of this member's assignment are reported in the stream.
///
/// The poll loop runs on a thread of its own. When the consumer of the stream falls behind (`bufferLimit` records
/// read and not taken), the loop pauses the assigned partitions and keeps polling, so that a member whose
/// subscriber is down for hours stays in the group instead of being expelled for not polling
/// (`max.poll.interval.ms`).
public final class KafkaGroupConsumer: Sendable {
    public enum Event: Sendable, Hashable {
        case records([ConsumedRecord])
        /// The partitions now assigned to this member (all of them, after every change).
        case assigned(Set<Int32>)
    }

    /// The first topic: the one whose partitions ``Event/assigned(_:)`` reports and ``commit(_:)`` commits.
    public let topic: String
    /// Every topic subscribed. With the `range` assignor, topics of one partition count are co-partitioned: a member
    /// is assigned the same partition numbers of each.
    public let topics: [String]
    public let groupID: String
    private let client: RDKafkaClient
    private let closed = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    private let started = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)

    /// - Parameters:
    ///   - instanceID: `group.instance.id`, for static membership; nil for a dynamic member.
    ///   - properties: extra librdkafka consumer properties (SASL, SSL, `session.timeout.ms`…).
    /// - Throws: ``KafkaError`` when a property is rejected.
    public convenience init(
        bootstrapServers: String, groupID: String, topic: String, instanceID: String? = nil, properties: [String: String] = [:]
    ) throws {
        try self.init(bootstrapServers: bootstrapServers, groupID: groupID, topics: [topic], instanceID: instanceID, properties: properties)
    }

    /// A member consuming several topics; `topics` must not be empty.
    public init(
        bootstrapServers: String, groupID: String, topics: [String], instanceID: String? = nil, properties: [String: String] = [:]
    ) throws {
        guard let first = topics.first else { throw KafkaError(code: .consume, message: "a consumer needs at least one topic") }
        var all: [(String, String)] = [
            ("bootstrap.servers", bootstrapServers),
            ("group.id", groupID),
            ("enable.auto.commit", "false"),
            ("enable.auto.offset.store", "false"),
            ("auto.offset.reset", "earliest"),
            ("partition.assignment.strategy", "range"),
            ("enable.partition.eof", "false"),
            ("queued.max.messages.kbytes", "4096"),
            ("log_level", "3"),
        ]
        if let instanceID { all.append(("group.instance.id", instanceID)) }
        all.append(contentsOf: properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        client = try RDKafkaClient(kind: .consumer, properties: all, events: 0)
        self.topic = first
        self.topics = topics
        self.groupID = groupID
        rd_kafka_poll_set_consumer(client.handle)
    }

    /// Joins the group (the subscription starts with the poll loop, so a consumer made only to read committed
    /// offsets never takes partitions from the members that consume).
    private func subscribe() throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA) }
        let error = rd_kafka_subscribe(client.handle, list)
        guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(
                code: .consume, message: "cannot subscribe to \(topics.map { "'\($0)'" }.joined(separator: ", ")): \(RDKafkaConfig.errorName(error))",
                rdKafkaCode: error.rawValue)
        }
    }

    /// Joins the group and starts the poll loop (once). The loop stops, and the member leaves the group, when the
    /// stream's consumer stops iterating or ``close()`` is called.
    public func events(bufferLimit: Int = 1000) -> CountedStream<Event> {
        let (stream, continuation) = AsyncThrowingStream<Event, any Error>.makeStream()
        let buffered = CountedStream<Event>.Counter()
        let events = CountedStream(stream: stream, counter: buffered) { event in
            if case .records(let records) = event { records.count } else { 0 }
        }
        guard !started.exchange(true, ordering: .relaxed) else {
            continuation.finish(throwing: KafkaError(code: .consume, message: "the consumer of '\(topic)' is already started"))
            return events
        }
        do {
            try subscribe()
        } catch {
            // No poll loop to wait for: `close()` returns at once.
            closed.withLock { $0.done = true }
            continuation.finish(throwing: error)
            return events
        }
        continuation.onTermination = { [self] _ in stopped.store(true, ordering: .relaxed) }
        let batch = max(1, min(500, bufferLimit))
        BlockingWork.start(name: "convobridge-kafka-group") { [self] in
            var assignment: Set<Int32> = []
            var paused = false
            while !stopped.load(ordering: .relaxed) {
                let current = assignedPartitions()
                if current != assignment {
                    assignment = current
                    paused = false
                    continuation.yield(.assigned(current))
                }
                let full = buffered.count + batch > bufferLimit
                if full != paused {
                    setPaused(full, assignment)
                    paused = full
                }
                let records = client.consume(maxRecords: batch, timeoutMilliseconds: 100, topic: topics.count == 1 ? topic : nil)
                guard !records.isEmpty else { continue }
                buffered.add(records.count)
                continuation.yield(.records(records))
            }
            rd_kafka_consumer_close(client.handle)
            continuation.finish()
            let waiters = closed.withLock { state in
                state.done = true
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume() }
        }
        return events
    }

    /// A committed position: the offset to read next, and the metadata committed with it.
    public struct CommittedOffset: Sendable, Hashable {
        public var offset: Int64
        public var metadata: String?

        public init(offset: Int64, metadata: String? = nil) {
            self.offset = offset
            self.metadata = metadata
        }
    }

    /// Commits, for each partition, the offset to read next (and its metadata), and waits for the broker's answer.
    /// - Throws: ``KafkaError`` (e.g. the group rebalanced and this member's generation is stale: the new owner
    ///   reads from the last commit that succeeded).
    public func commit(_ offsets: [Int32: CommittedOffset]) async throws {
        guard !offsets.isEmpty else { return }
        let topic = self.topic
        let client = self.client
        try await BlockingWork.run {
            let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for (partition, committed) in offsets {
                guard let element = rd_kafka_topic_partition_list_add(list, topic, partition) else { continue }
                element.pointee.offset = committed.offset
                if let metadata = committed.metadata, !metadata.isEmpty {
                    // The list owns it from here: librdkafka frees it with the list.
                    let bytes = Array(metadata.utf8)
                    let copy = malloc(bytes.count)!
                    bytes.withUnsafeBytes { copy.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                    element.pointee.metadata = copy
                    element.pointee.metadata_size = bytes.count
                }
            }
            let error = rd_kafka_commit(client.handle, list, 0)
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else {
                throw KafkaError(code: .consume, message: "commit refused: \(RDKafkaConfig.errorName(error))", rdKafkaCode: error.rawValue)
            }
        }
    }

    /// The group's committed positions for `partitions` of `topic` (the first topic when nil; absent where none is
    /// committed).
    public func committed(_ partitions: [Int32], of topic: String? = nil, timeout: Duration = .seconds(5)) async throws -> [Int32: CommittedOffset] {
        let topic = topic ?? self.topic
        let client = self.client
        return try await BlockingWork.run {
            let list = rd_kafka_topic_partition_list_new(Int32(partitions.count))
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for partition in partitions { rd_kafka_topic_partition_list_add(list, topic, partition) }
            let error = rd_kafka_committed(client.handle, list, Int32(clamping: timeout.wholeMilliseconds))
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR, let list else {
                throw KafkaError(code: .consume, message: "cannot read committed offsets: \(RDKafkaConfig.errorName(error))")
            }
            var result: [Int32: CommittedOffset] = [:]
            for index in 0..<Int(list.pointee.cnt) {
                let element = list.pointee.elems[index]
                guard element.offset >= 0 else { continue }
                let metadata = element.metadata.map {
                    String(decoding: UnsafeRawBufferPointer(start: $0, count: element.metadata_size), as: UTF8.self)
                }
                result[element.partition] = CommittedOffset(offset: element.offset, metadata: metadata)
            }
            return result
        }
    }

    /// Stops the poll loop and leaves the group; returns when the member has left.
    public func close() async {
        stopped.store(true, ordering: .relaxed)
        guard started.load(ordering: .relaxed) else { return }
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let done = closed.withLock { state in
                if !state.done { state.waiters.append(waiter) }
                return state.done
            }
            if done { waiter.resume() }
        }
    }

    private func assignedPartitions() -> Set<Int32> {
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        guard rd_kafka_assignment(client.handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return Set(
            (0..<Int(list.pointee.cnt)).compactMap { index in
                let element = list.pointee.elems[index]
                return RDKafkaConfig.string(element.topic) == topic ? element.partition : nil
            })
    }

    /// The member's group metadata (group, generation, member id) as of now, for a transactional producer to commit
    /// this member's offsets with its records; the broker refuses them once the group has moved to a newer generation.
    public func groupMetadata() -> KafkaGroupMetadata? {
        rd_kafka_consumer_group_metadata(client.handle).map(KafkaGroupMetadata.init)
    }

    private func setPaused(_ pause: Bool, _ partitions: Set<Int32>) {
        guard !partitions.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(partitions.count * topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { for partition in partitions { rd_kafka_topic_partition_list_add(list, topic, partition) } }
        _ = pause ? rd_kafka_pause_partitions(client.handle, list) : rd_kafka_resume_partitions(client.handle, list)
    }
}
