import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeStore
import Logging
import ServiceLifecycle
import Synchronization

/// The outbox relay of a replica coordinated by Kafka: publishes each owned partition's outbox records with that
/// partition's transactional producer, one transaction per partition and cycle, and deletes them once committed.
///
/// A transaction ends after a record of the internal state topic, never in the middle of one write: the events of a
/// poll and the state that follows them are committed together, so the state a new owner restores always matches
/// the last event consumers saw (`read_committed`), and its next sequence continues them.
///
/// A transaction also commits the group's position on the handoff topic past the webhook events whose writes it
/// publishes (``HandoffProgress``): an event handed over by another replica is forwarded once, even when the owner
/// crashes or the partition moves in between.
///
/// Records of a partition this replica does not hold (it was released or fenced, or they were written by a poll
/// that ended after) are deleted unpublished: no transaction committed them, and the owner derives them again from
/// the restored state.
final class TransactionalOutboxRelay: Service, Sendable {
    private let store: BridgeStore
    private let partitioner: CoordinationPartitioner
    private let stateTopic: String
    private let handoffTopic: String
    private let batchSize: Int
    private let drainDeadline: Duration
    private let metrics: BridgeMetrics
    private let logger: Logger
    let wake = WakeSignal()
    private let producers = Mutex<[Int32: KafkaTransactionalProducer]>([:])
    /// Partitions whose last transaction failed, and when to try again.
    private let backoff = Mutex<[Int32: (failures: Int, until: ContinuousClock.Instant)]>([:])
    /// One cycle at a time: the loop's, or a release's final flush.
    private let cycleLock = AsyncSemaphore(permits: 1)
    private let fenced: @Sendable (Int32) -> Void
    /// Set once the coordinator exists: nothing is committed while it is stale.
    private let lease = Mutex<ReplicaLease?>(nil)

    func useLease(_ lease: ReplicaLease) { self.lease.withLock { $0 = lease } }
    /// Handoff records applied and not committed yet, per partition.
    private let handoffs = Mutex(HandoffProgress())
    /// The replica group member's metadata, once the coordinator's consumer exists.
    private let groupMetadata = Mutex<(@Sendable () -> KafkaGroupMetadata?)?>(nil)

    func useGroupMetadata(_ metadata: @escaping @Sendable () -> KafkaGroupMetadata?) { groupMetadata.withLock { $0 = metadata } }

    /// Partitions with a handoff record being forwarded: not published until it is noted (``handoffApplied``), so
    /// that no transaction publishes its write without its offset.
    private let forwarding = Mutex<Set<Int32>>([])

    /// A handoff record of `partition` is about to be forwarded.
    func handoffForwarding(partition: Int32) { forwarding.withLock { _ = $0.insert(partition) } }

    /// The handoff record was forwarded; its write's last outbox row is `outboxThrough` (nil: it wrote none).
    func handoffApplied(partition: Int32, nextOffset: Int64, outboxThrough: Int64?) {
        handoffs.withLock { $0.applied(partition: partition, nextOffset: nextOffset, outboxThrough: outboxThrough) }
        forwarding.withLock { _ = $0.remove(partition) }
        wake.signal()
    }

    /// The handoff record could not be forwarded (the partition is given up).
    func handoffFailed(partition: Int32) { forwarding.withLock { _ = $0.remove(partition) } }

    /// When graceful shutdown was asked for: the drain deadline counts from then.
    private let stoppingSince = Mutex<ContinuousClock.Instant?>(nil)

    /// - Parameter fenced: told when a partition's producer was fenced (another replica owns the partition now).
    init(
        store: BridgeStore, partitioner: CoordinationPartitioner, stateTopic: String, handoffTopic: String, batchSize: Int,
        drainDeadline: Duration,
        metrics: BridgeMetrics, logger: Logger, fenced: @escaping @Sendable (Int32) -> Void
    ) {
        self.store = store
        self.partitioner = partitioner
        self.stateTopic = stateTopic
        self.handoffTopic = handoffTopic
        self.batchSize = batchSize
        self.drainDeadline = drainDeadline
        self.metrics = metrics
        self.logger = logger
        self.fenced = fenced
    }

    /// The partition is restored and `producer` (initialized, so every older one is fenced) publishes it from now.
    func attach(_ partition: Int32, producer: KafkaTransactionalProducer) {
        producers.withLock { $0[partition] = producer }
        backoff.withLock { $0[partition] = nil }
        handoffs.withLock { $0.forget(partition: partition) }
        wake.signal()
    }

    /// Publishes what the partition has pending (within `deadline`), then stops publishing it. Returns whether
    /// everything was published.
    @discardableResult
    func detach(_ partition: Int32, deadline: Duration) async -> Bool {
        let until = ContinuousClock.now + deadline
        var drained = false
        while ContinuousClock.now < until, producers.withLock({ $0[partition] != nil }) {
            guard let pending = try? await cycle(only: partition) else { break }
            if pending == 0 {
                drained = true
                break
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        producers.withLock { $0[partition] = nil }
        handoffs.withLock { $0.forget(partition: partition) }
        return drained
    }

    /// Stops publishing every partition at once, without a last flush (the replica was frozen: they may be another's).
    func dropAll() -> Set<Int32> {
        handoffs.withLock { $0.forgetAll() }
        return Set(
            producers.withLock { producers in
                defer { producers = [:] }
                return producers.keys
            })
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            var storeFailures = 0
            while !Task.isCancelled {
                do {
                    let pending = try await cycle(only: nil)
                    storeFailures = 0
                    if let since = self.stoppingSince.withLock({ $0 }) {
                        if pending == 0 || ContinuousClock.now - since > self.drainDeadline { return }
                    } else if pending == 0 {
                        await self.wake.wait(timeout: .milliseconds(200), clock: ContinuousClock())
                    }
                } catch is CancellationError {
                    return
                } catch {
                    storeFailures += 1
                    logger.error("cannot read the outbox; trying again", metadata: ["error": "\(error)"])
                    try? await Task.sleep(for: DoublingDelay.storeRetry.delay(afterFailures: storeFailures))
                }
            }
        } onGracefulShutdown: {
            self.stoppingSince.withLock { $0 = $0 ?? .now }
            self.wake.signal()
        }
    }

    /// Publishes one page; returns how many records of attached partitions are still pending in it.
    private func cycle(only: Int32?) async throws -> Int {
        try await cycleLock.acquire()
        defer { cycleLock.release() }
        let page = try await store.pendingOutbox(limit: batchSize * 4)
        var byPartition: [Int32: [OutboxEntry]] = [:]
        for entry in page.entries {
            guard let key = entry.record.key, let conversation = BridgeStore.conversation(ofKey: key) else {
                byPartition[-1, default: []].append(entry)
                continue
            }
            byPartition[partitioner.partition(source: conversation.source, conversationID: conversation.conversationID), default: []].append(entry)
        }
        let attached = producers.withLock { $0 }
        let lease = self.lease.withLock { $0 }
        var orphans = page.unreadable.map(\.id)
        // Whose checkpoints the dropped records void (nil: every partition's, a record's partition is unknown).
        var orphaned: Set<Int32>? = page.unreadable.isEmpty ? [] : nil
        var pending = 0
        let now = ContinuousClock.now
        for partition in handoffs.withLock({ $0.waitingPartitions }) where attached[partition] != nil && byPartition[partition] == nil {
            byPartition[partition] = []
        }
        for (partition, entries) in byPartition.sorted(by: { $0.key < $1.key }) {
            if let only, partition != only { continue }
            guard let producer = attached[partition] else {
                orphans.append(contentsOf: entries.map(\.id))
                if partition < 0 { orphaned = nil } else { orphaned?.insert(partition) }
                continue
            }
            if let wait = backoff.withLock({ $0[partition] }), wait.until > now {
                pending += entries.count
                continue
            }
            guard !forwarding.withLock({ $0.contains(partition) }) else {
                pending += entries.count
                continue
            }
            // Up to the last state record: a transaction never splits a write.
            let count = TransactionBoundary.committableCount(of: entries.map(\.record.topic), stateTopic: stateTopic)
            let handoffOffset = handoffs.withLock {
                $0.committable(partition: partition, publishedThrough: entries.prefix(count).last?.id)
            }
            let consumed = handoffOffset.flatMap { offset in
                groupMetadata.withLock { $0 }?().map {
                    KafkaTransactionalProducer.ConsumedOffsets(topic: handoffTopic, nextOffsets: [partition: offset], group: $0)
                }
            }
            guard count > 0 || consumed != nil else {
                pending += entries.count
                continue
            }
            let batch = Array(entries.prefix(count))
            pending += entries.count - batch.count
            let records = batch.map { entry in
                var record = entry.record
                if record.topic == stateTopic { record.partition = partition }
                return record
            }
            // Frozen past the lease (woken from a pause, even in the middle of this cycle): the coordinator decides
            // first whether the partition is still ours.
            if let lease, !lease.isValid || producers.withLock({ $0[partition] }) == nil {
                pending += batch.count
                continue
            }
            let started = ContinuousClock.now
            do {
                try await producer.commit(records, offsets: consumed)
                metrics.transaction(.committed)
                if !records.isEmpty { metrics.published(records.count, delivery: ContinuousClock.now - started) }
                backoff.withLock { $0[partition] = nil }
                if let handoffOffset { handoffs.withLock { $0.committed(partition: partition, through: handoffOffset) } }
                try await store.removeOutbox(ids: batch.map(\.id))
            } catch let error as KafkaError where error.code == .fenced {
                metrics.transaction(.fenced)
                logger.warning("partition producer fenced: another replica owns the partition now", metadata: ["partition": "\(partition)"])
                producers.withLock { $0[partition] = nil }
                fenced(partition)
            } catch let error as KafkaError {
                metrics.transaction(.aborted)
                pending += batch.count
                let failures = (backoff.withLock { $0[partition]?.failures } ?? 0) + 1
                let delay = DoublingDelay.storeRetry.delay(afterFailures: failures)
                backoff.withLock { $0[partition] = (failures, ContinuousClock.now + delay) }
                logger.error(
                    "transaction aborted; the partition's records are published again",
                    metadata: ["partition": "\(partition)", "error": "\(error)", "retry_in_ms": "\(delay.wholeMilliseconds)"])
            }
        }
        if only == nil, !orphans.isEmpty {
            try await store.dropUnpublishedOutbox(ids: orphans, partitions: orphaned)
            logger.debug("dropped outbox records of partitions this replica does not own", metadata: ["records": "\(orphans.count)"])
        }
        return pending
    }
}
