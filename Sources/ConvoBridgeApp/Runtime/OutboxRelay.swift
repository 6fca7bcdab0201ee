import ConvoBridgeCore
import ConvoBridgeStore
import Logging
import ServiceLifecycle
import Synchronization

/// Publishes the outbox to Kafka in write order and deletes an entry only once Kafka acknowledged it (`acks=all`).
///
/// An entry that is not acknowledged stays, and so does every later entry of the same key, so a key's events are
/// re-published in order from its first unacknowledged one. That key waits (``KeyBackoff``: doubling, up to 30 s)
/// while every other key goes on. Re-publication keeps the original bytes, `ce_id` included.
///
/// A record Kafka refuses for good (too large, invalid) or an outbox row that cannot be read is moved to the
/// quarantine, with a metric and a log line; its key's later records wait behind it until an operator retries or
/// drops it (admin API). A store error is logged and retried here, never thrown out of the service.
///
/// On graceful shutdown it keeps publishing until the outbox is empty or `drainDeadline` has passed, counted from
/// the shutdown signal (a publish in progress is cancelled then; what Kafka has not answered stays in the outbox);
/// what is left is published first on the next start.
final class OutboxRelay: Service, Sendable {
    private let store: BridgeStore
    private let publisher: any RecordPublisher
    private let batchSize: Int
    private let drainDeadline: Duration
    private let logger: Logger
    private let metrics: BridgeMetrics
    private let now: @Sendable () -> Timestamp
    let wake = WakeSignal()
    private let spaceGate: StoreSpaceGate
    /// Entries Kafka acknowledged that the store could not delete (its disk was full): never published again by this
    /// process, deleted once the store writes. After a crash before that they are published once more, byte-identical.
    private let acknowledgedNotRemoved = Mutex<[Int64]>([])
    private let keyBackoff = Mutex(KeyBackoff<ContinuousClock.Instant>())
    /// When graceful shutdown was asked for: the drain deadline counts from then.
    private let shutdownAskedAt = Mutex<ContinuousClock.Instant?>(nil)
    /// How many rows one cycle reads at most looking for keys that are not waiting, in batches.
    private static let scanLimitInBatches = 8

    init(
        store: BridgeStore, publisher: any RecordPublisher, batchSize: Int, drainDeadline: Duration, spaceGate: StoreSpaceGate,
        metrics: BridgeMetrics, now: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.metrics = metrics
        self.now = now
        self.spaceGate = spaceGate
        self.store = store
        self.publisher = publisher
        self.batchSize = batchSize
        self.drainDeadline = drainDeadline
        self.logger = logger
    }

    func run() async throws {
        if let pending = try? await store.outboxCount(), pending > 0 {
            logger.info("publishing the outbox left from the previous run first", metadata: ["entries": "\(pending)"])
        }
        await withGracefulShutdownHandler {
            await relay()
        } onGracefulShutdown: {
            self.shutdownAskedAt.withLock { $0 = $0 ?? .now }
            self.wake.signal()
        }
    }

    /// The loop: publish, wait when there is nothing to publish, stop at cancellation or once drained after a
    /// shutdown signal.
    private func relay() async {
        var storeFailures = 0
        while !Task.isCancelled {
            let draining = shutdownAskedAt.withLock { $0 }.map { $0 + drainDeadline }
            if let draining, ContinuousClock.now >= draining { return await logLeftover() }
            let cycle: Cycle?
            do {
                cycle = try await untilDrainDeadline { try await self.publishBatch() }
                storeFailures = 0
            } catch is CancellationError {
                return await logLeftover()
            } catch {
                storeFailures += 1
                let delay = DoublingDelay.storeRetry.delay(afterFailures: storeFailures)
                logger.error("the outbox cannot be read or updated; retrying", metadata: ["error": "\(error)", "retry_in": "\(delay)"])
                if draining != nil { return await logLeftover() }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                continue
            }
            guard let cycle else { return await logLeftover() }
            if draining != nil {
                // Draining: stop at the first failure or once nothing is left that may be published now.
                if cycle.failed || cycle.published == 0 { return await logLeftover() }
                continue
            }
            if cycle.published == 0 {
                // Nothing to publish, or every pending key waits: until a write, a shutdown or the first key's retry.
                let timeout = cycle.nextRetry.map { min(max($0 - .now, .milliseconds(1)), .milliseconds(500)) } ?? .milliseconds(500)
                await wake.wait(timeout: timeout, clock: ContinuousClock())
            }
        }
    }

    /// Runs `body`; once a graceful shutdown was asked for, no longer than the drain deadline (nil when cut off).
    private func untilDrainDeadline<Value: Sendable>(_ body: @escaping @Sendable () async throws -> Value) async throws -> Value? {
        try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await gracefulShutdown()
                let asked = self.shutdownAskedAt.withLock { $0 } ?? .now
                try await Task.sleep(until: asked + self.drainDeadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    private func logLeftover() async {
        let left = (try? await store.outboxCount()) ?? -1
        if left == 0 { return logger.info("outbox drained") }
        logger.warning("the rest of the outbox is published on the next start", metadata: ["entries": "\(left)"])
    }

    /// What one cycle did.
    struct Cycle: Sendable {
        /// Records handed to Kafka.
        var published = 0
        var failed = false
        /// When the first waiting key may be published again.
        var nextRetry: ContinuousClock.Instant?
    }

    /// Publishes up to one batch of the records whose key is not waiting.
    private func publishBatch() async throws -> Cycle {
        let leftover = acknowledgedNotRemoved.withLock { $0 }
        if !leftover.isEmpty {
            try await spaceGate.waitUntilWritable("publishing", logger: logger)
            guard await remove(leftover) else { return Cycle(failed: true) }
        }
        let now = ContinuousClock.now
        let (entries, unreadable) = try await eligibleEntries(at: now)
        if !unreadable.isEmpty {
            try await quarantine(unreadable.map { ($0.id, $0.key, "unreadable outbox row: \($0.reason)") })
        }
        guard !entries.isEmpty else { return Cycle(nextRetry: keyBackoff.withLock { $0.nextRetry(after: now) }) }
        let started = ContinuousClock.now
        let reports = try await publisher.publish(entries.map(\.record))
        let delivery = ContinuousClock.now - started
        var acknowledged: [Int64] = []
        var refused: [(id: Int64, key: [UInt8]?, reason: String)] = []
        var blockedKeys: Set<[UInt8]> = []
        var firstError: String?
        let finished = ContinuousClock.now
        keyBackoff.withLock { backoff in
            for (entry, report) in zip(entries, reports) {
                let key = entry.record.key ?? []
                if report.status == .persisted && !blockedKeys.contains(key) {
                    acknowledged.append(entry.id)
                    backoff.succeeded(key)
                    continue
                }
                if report.status == .refused && !blockedKeys.contains(key) {
                    refused.append((entry.id, entry.record.key, "Kafka refused it for good: \(report.error ?? "refused")"))
                    backoff.succeeded(key)
                } else if report.status != .persisted {
                    if firstError == nil { firstError = report.error ?? "\(report.status)" }
                    if !blockedKeys.contains(key) { backoff.failed(key, at: finished) }
                }
                if !key.isEmpty { blockedKeys.insert(key) }
            }
        }
        // Counted before the outbox changes, so that whoever sees the rows gone sees them counted.
        metrics.published(acknowledged.count, delivery: delivery)
        let unacknowledged = entries.count - acknowledged.count - refused.count
        if unacknowledged > 0 { metrics.deliveryFailed(unacknowledged) }
        _ = await remove(acknowledged)
        if !refused.isEmpty { try await quarantine(refused) }
        if let firstError {
            logger.warning(
                "Kafka did not acknowledge every event; their conversations wait and are published again in order",
                metadata: ["unacknowledged": "\(unacknowledged)", "error": "\(firstError)"])
        }
        return Cycle(published: entries.count, failed: firstError != nil, nextRetry: keyBackoff.withLock { $0.nextRetry(after: finished) })
    }

    /// Up to a batch of outbox entries, oldest first, skipping keys that wait, and the unreadable rows met on the way
    /// (their keys are skipped too: their later records wait behind them).
    private func eligibleEntries(at now: ContinuousClock.Instant) async throws -> ([OutboxEntry], [UnreadableOutboxRow]) {
        var entries: [OutboxEntry] = []
        var unreadable: [UnreadableOutboxRow] = []
        var held: Set<[UInt8]> = []
        var after: Int64 = 0
        var scanned = 0
        while entries.count < batchSize && scanned < batchSize * Self.scanLimitInBatches {
            let page = try await store.pendingOutbox(after: after, limit: batchSize)
            guard let last = page.lastID else { break }
            after = last
            scanned += page.entries.count + page.unreadable.count
            for row in page.unreadable {
                unreadable.append(row)
                if let key = row.key { held.insert(key) }
            }
            let waiting = keyBackoff.withLock { backoff in
                Set(page.entries.compactMap(\.record.key).filter { backoff.isWaiting($0, at: now) })
            }
            held.formUnion(waiting)
            for entry in page.entries where entries.count < batchSize {
                if let key = entry.record.key, held.contains(key) { continue }
                entries.append(entry)
            }
            if page.entries.count + page.unreadable.count < batchSize { break }
        }
        return (entries, unreadable)
    }

    private func quarantine(_ rows: [(id: Int64, key: [UInt8]?, reason: String)]) async throws {
        try await spaceGate.waitUntilWritable("quarantining", logger: logger)
        let moved = try await store.quarantineOutbox(rows.map { ($0.id, $0.reason) }, at: now())
        metrics.quarantined(moved)
        for row in rows {
            logger.error(
                "record quarantined: its conversation's later records wait until it is retried or dropped (admin API /admin/quarantine)",
                metadata: [
                    "outbox_id": "\(row.id)", "key": "\(row.key.map { String(decoding: $0, as: UTF8.self) } ?? "none")",
                    "reason": "\(row.reason)",
                ])
        }
    }

    /// Deletes acknowledged entries; when the store refuses (its disk is full), keeps their ids to delete later.
    private func remove(_ ids: [Int64]) async -> Bool {
        do {
            try await store.removeOutbox(ids: ids)
            acknowledgedNotRemoved.withLock { $0 = [] }
            return true
        } catch {
            acknowledgedNotRemoved.withLock { $0 = ids }
            logger.error(
                "published events cannot be deleted from the outbox yet; they are not published again unless the bridge restarts first",
                metadata: ["entries": "\(ids.count)", "error": "\(error)"])
            return false
        }
    }
}
