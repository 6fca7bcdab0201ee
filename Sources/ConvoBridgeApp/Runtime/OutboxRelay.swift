import ConvoBridgeCore
import ConvoBridgeStore
import Logging
import ServiceLifecycle
import Synchronization

/// Publishes the outbox to Kafka in write order and deletes an entry only once Kafka acknowledged it (`acks=all`).
///
/// An entry that is not acknowledged stays, and so does every later entry of the same key, so a key's events are
/// re-published in order from its first unacknowledged one (the gapless producer makes that the whole tail of the
/// partition). Re-publication keeps the original bytes, `ce_id` included. On graceful shutdown it keeps publishing
/// until the outbox is empty or `drainDeadline` has passed; what is left is published first on the next start.
final class OutboxRelay: Service, Sendable {
    private let store: BridgeStore
    private let publisher: any RecordPublisher
    private let batchSize: Int
    private let drainDeadline: Duration
    private let logger: Logger
    private let metrics: BridgeMetrics
    let wake = WakeSignal()
    private let counters = Mutex(RelayStatistics())
    private let spaceGate: StoreSpaceGate
    /// Entries Kafka acknowledged that the store could not delete (its disk was full): never published again by this
    /// process, deleted once the store writes. After a crash before that they are published once more, byte-identical.
    private let acknowledgedNotRemoved = Mutex<[Int64]>([])

    init(store: BridgeStore, publisher: any RecordPublisher, batchSize: Int, drainDeadline: Duration, spaceGate: StoreSpaceGate,
         metrics: BridgeMetrics, logger: Logger) {
        self.metrics = metrics
        self.spaceGate = spaceGate
        self.store = store
        self.publisher = publisher
        self.batchSize = batchSize
        self.drainDeadline = drainDeadline
        self.logger = logger
    }

    var statistics: RelayStatistics { counters.withLock { $0 } }

    func run() async throws {
        var failures = 0
        let pending = try await store.outboxCount()
        if pending > 0 { logger.info("publishing the outbox left from the previous run first", metadata: ["entries": "\(pending)"]) }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let published = try await publishBatch()
            failures = published.failed ? failures + 1 : 0
            if published.failed {
                // Kafka refused or timed out: back off (the publisher retries inside librdkafka already).
                let backoff = Duration.milliseconds(min(250 << min(failures, 7), 30_000))
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: backoff) }
            } else if published.count == 0 {
                await cancelWhenGracefulShutdown { await self.wake.wait(timeout: .milliseconds(500), clock: ContinuousClock()) }
            }
        }
        try await drain()
    }

    /// Publishes up to one batch; returns how many entries it took and whether any failed.
    private func publishBatch() async throws -> (count: Int, failed: Bool) {
        let leftover = acknowledgedNotRemoved.withLock { $0 }
        if !leftover.isEmpty {
            try await spaceGate.waitUntilWritable("publishing", logger: logger)
            guard await remove(leftover) else { return (0, true) }
        }
        let entries = try await store.pendingOutbox(limit: batchSize)
        guard !entries.isEmpty else { return (0, false) }
        let started = ContinuousClock.now
        let reports = try await publisher.publish(entries.map(\.record))
        let delivery = ContinuousClock.now - started
        var acknowledged: [Int64] = []
        var blockedKeys: Set<[UInt8]> = []
        var firstError: String?
        for (entry, report) in zip(entries, reports) {
            let key = entry.record.key ?? []
            if report.status == .persisted && !blockedKeys.contains(key) {
                acknowledged.append(entry.id)
            } else {
                if report.status != .persisted, firstError == nil { firstError = report.error ?? "\(report.status)" }
                if !key.isEmpty { blockedKeys.insert(key) }
            }
        }
        _ = await remove(acknowledged)
        metrics.published(acknowledged.count, delivery: delivery)
        if acknowledged.count < entries.count { metrics.deliveryFailed(entries.count - acknowledged.count) }
        counters.withLock {
            $0.published += acknowledged.count
            $0.retried += entries.count - acknowledged.count
        }
        if let firstError {
            logger.warning("Kafka did not acknowledge every event; they stay in the outbox and will be published again in order",
                           metadata: ["unacknowledged": "\(entries.count - acknowledged.count)", "error": "\(firstError)"])
        }
        return (entries.count, firstError != nil)
    }

    /// Deletes acknowledged entries; when the store refuses (its disk is full), keeps their ids to delete later.
    private func remove(_ ids: [Int64]) async -> Bool {
        do {
            try await store.removeOutbox(ids: ids)
            acknowledgedNotRemoved.withLock { $0 = [] }
            return true
        } catch {
            acknowledgedNotRemoved.withLock { $0 = ids }
            logger.error("published events cannot be deleted from the outbox yet; they are not published again unless the bridge restarts first",
                         metadata: ["entries": "\(ids.count)", "error": "\(error)"])
            return false
        }
    }

    private func drain() async throws {
        let deadline = ContinuousClock.now + drainDeadline
        while ContinuousClock.now < deadline {
            let remaining = try await store.outboxCount()
            guard remaining > 0 else { return logger.info("outbox drained") }
            let result = try await withThrowingTaskGroup(of: (count: Int, failed: Bool)?.self) { group in
                group.addTask { try await self.publishBatch() }
                group.addTask {
                    try await Task.sleep(until: deadline, clock: .continuous)
                    return nil
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            guard let result, !result.failed else { break }
        }
        let left = (try? await store.outboxCount()) ?? -1
        if left > 0 { logger.warning("shutdown deadline reached; the rest of the outbox is published on the next start", metadata: ["entries": "\(left)"]) }
    }
}

/// What the relay has done since start.
struct RelayStatistics: Sendable, Hashable {
    var published = 0
    var retried = 0
}
