import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeSigning
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// Delivers the events topic to one subscription: reads it in the subscription's own consumer group, feeds
/// ``SubscriptionDeliveryMachine`` and carries out what it decides (POST, dead-letter, commit).
///
/// A consumer group per subscription keeps subscribers apart: one that is down for hours holds back only its own
/// offsets, never another's. Reading pauses at `maxPending` events not done (the consumer keeps polling with its
/// partitions paused, so it stays in the group). Offsets are committed every `commitInterval` and on shutdown.
///
/// On graceful shutdown it stops reading and starting attempts, lets those in flight finish (each is bounded by the
/// subscription's timeout), commits, and leaves the group; what was not done is read again by the next owner with
/// the same `webhook-id`.
final class SubscriptionDeliverer: Sendable {
    let subscription: BridgeConfiguration.Delivery.Subscription
    private let machine: Mutex<SubscriptionDeliveryMachine>
    private let client: WebhookDeliveryClient
    private let makeConsumer: @Sendable () throws -> KafkaGroupConsumer
    private let makeReader: @Sendable () throws -> KafkaTopicReader
    private let publisher: any RecordPublisher
    private let deadLetterTopic: String
    private let maxPending: Int
    private let commitInterval: Duration
    private let metrics: BridgeMetrics.SubscriptionMetrics
    private let time: TimeSource
    private let logger: Logger
    /// New work for the dispatcher (a retry came due, the subscription resumed) or room for the reader.
    private let changed = WakeSignal()
    private let stopping = Atomic<Bool>(false)
    private let work: (stream: AsyncStream<Work>, continuation: AsyncStream<Work>.Continuation)
    private let replayState = Mutex<(running: Bool, queued: Int)>((false, 0))
    /// The partitions the consumer was last assigned.
    private let assignment = Mutex<Set<Int32>>([])
    /// POSTs under way (the machine's in-flight count also holds attempts that stopping kept from starting).
    private let runningAttempts = Atomic<Int>(0)

    enum Work: Sendable {
        case actions([SubscriptionDeliveryMachine.Action])
        case replay(ReplayRequest)
    }

    /// Events of the topic to send again: one conversation's, or those of a time range, or both.
    struct ReplayRequest: Sendable, Hashable {
        var conversationKey: String?
        var from: Timestamp?
        var to: Timestamp?

        func matches(_ item: DeliveryItem) -> Bool {
            if let conversationKey, item.conversationKey != conversationKey { return false }
            if let from, (item.time ?? from) < from { return false }
            if let to, (item.time ?? to) > to { return false }
            return true
        }
    }

    init(
        subscription: BridgeConfiguration.Delivery.Subscription, settings: BridgeConfiguration.Delivery, client: WebhookDeliveryClient,
        makeConsumer: @escaping @Sendable () throws -> KafkaGroupConsumer, makeReader: @escaping @Sendable () throws -> KafkaTopicReader,
        publisher: any RecordPublisher, metrics: BridgeMetrics, time: TimeSource, logger: Logger
    ) {
        self.subscription = subscription
        self.machine = Mutex(SubscriptionDeliveryMachine(maxConcurrency: subscription.concurrency, schedule: settings.schedule))
        self.client = client
        self.makeConsumer = makeConsumer
        self.makeReader = makeReader
        self.publisher = publisher
        self.deadLetterTopic = settings.deadLetterTopic
        self.maxPending = settings.maxPending
        self.commitInterval = settings.commitInterval
        self.metrics = metrics.subscriptionMetrics(subscription.name)
        self.time = time
        var logger = logger
        logger[metadataKey: "subscription"] = "\(subscription.name)"
        self.logger = logger
        self.work = AsyncStream<Work>.makeStream()
    }

    private var now: Int64 { time.elapsed.wholeMilliseconds }

    // MARK: Running

    func run() async throws {
        let consumer = try makeConsumer()
        logger.info("delivering", metadata: ["group": "\(consumer.groupID)", "topic": "\(consumer.topic)"])
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.read(consumer) }
                group.addTask { await self.retryTimer() }
                group.addTask { await self.commitLoop(consumer) }
                for await work in self.work.stream {
                    switch work {
                    case .actions(let actions):
                        for action in actions { self.start(action, in: &group) }
                    case .replay(let request):
                        group.addTask { await self.replay(request) }
                    }
                }
                // Stopping: the attempts in flight end within their timeout; then the last commit, then leave.
                await self.waitForAttempts(deadline: .now + self.subscription.timeout + .seconds(1))
                try? await self.commitNow(consumer)
                await consumer.close()
                self.changed.signal()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        logger.info("delivery stopped", metadata: ["pending": "\(machine.withLock { $0.pending })"])
    }

    /// Ends the loops; the attempts in flight finish.
    func stop() {
        guard !stopping.exchange(true, ordering: .relaxed) else { return }
        work.continuation.finish()
        changed.signal()
    }

    private var isStopping: Bool { stopping.load(ordering: .relaxed) }

    private func start(_ action: SubscriptionDeliveryMachine.Action, in group: inout DiscardingTaskGroup) {
        switch action {
        case .send(let item, let attempt, let token):
            group.addTask { await self.attempt(item, attempt: attempt, token: token) }
        case .deadLetter(let item, let attempts, let failure, let token):
            group.addTask { await self.deadLetter(item, attempts: attempts, failure: failure, token: token) }
        case .commit:
            break  // the commit loop reads each partition's position from the machine
        case .disable(let reason):
            metrics.disabled.set(to: 1)
            logger.error("subscription disabled; resume it with the admin API once the receiver is back", metadata: ["reason": "\(reason)"])
        }
    }

    /// Hands actions to the dispatcher (a finished stream drops them: stopping). Commits need no task: the commit
    /// loop reads each partition's position, with its metadata, from the machine.
    private func perform(_ actions: [SubscriptionDeliveryMachine.Action]) {
        let rest = actions.filter { if case .commit = $0 { false } else { true } }
        if !rest.isEmpty { work.continuation.yield(.actions(rest)) }
    }

    private func read(_ consumer: KafkaGroupConsumer) async {
        let filter = subscription.filter
        do {
            for try await event in consumer.events(bufferLimit: min(5000, maxPending)) {
                if isStopping { break }
                switch event {
                case .assigned(let partitions):
                    let (lost, gained) = assignment.withLock { held in
                        defer { held = partitions }
                        return (held.subtracting(partitions), partitions.subtracting(held))
                    }
                    await restoreDone(of: gained, consumer)
                    if !lost.isEmpty {
                        machine.withLock { $0.revoked(lost) }
                        committed.withLock { points in for partition in lost { points[partition] = nil } }
                    }
                    logger.info("partitions assigned", metadata: ["partitions": "\(partitions.sorted())", "revoked": "\(lost.sorted())"])
                case .records(let records):
                    for record in records {
                        while machine.withLock({ $0.pending }) >= maxPending && !isStopping {
                            await changed.wait(timeout: .seconds(1), clock: ContinuousClock())
                        }
                        if isStopping { break }
                        perform(received(record, filter: filter))
                    }
                }
            }
        } catch {
            // Not one that waiting fixes (a subscription librdkafka refused): stop, so the process says so and exits.
            logger.error("reading the events topic failed; delivery stops", metadata: ["error": "\(error)"])
            stop()
        }
    }

    private func received(_ record: ConsumedRecord, filter: SubscriptionFilter) -> [SubscriptionDeliveryMachine.Action] {
        let now = self.now
        do {
            let item = try DeliveryItem(
                partition: record.partition, offset: record.offset, key: record.key, value: record.value, headers: record.headers,
                timestamp: record.timestamp)
            return machine.withLock { $0.received(item, matches: filter.matches(type: item.type, source: item.source), now: now) }
        } catch {
            metrics.skipped.increment()
            logger.warning(
                "skipping a record that is no event",
                metadata: ["partition": "\(record.partition)", "offset": "\(record.offset)", "reason": "\(error)"])
            return machine.withLock { $0.skipped(partition: record.partition, offset: record.offset) }
        }
    }

    private func attempt(_ item: DeliveryItem, attempt: Int, token: UInt64) async {
        if isStopping { return }
        let timestamp = time.wallClock.millisecondsSinceEpoch / 1000
        var headers: [(String, String)] = [
            ("content-type", "application/cloudevents+json"),
            ("webhook-id", item.eventID),
            ("webhook-timestamp", String(timestamp)),
            ("webhook-signature", subscription.signer.signature(id: item.eventID, timestamp: timestamp, body: item.body)),
            ("user-agent", "convobridge-webhooks"),
        ]
        headers.append(contentsOf: subscription.headers.map { ($0.name, $0.value) })
        let result: DeliveryAttemptResult
        runningAttempts.add(1, ordering: .relaxed)
        defer { runningAttempts.subtract(1, ordering: .relaxed) }
        do {
            result = try await client.post(headers: headers, body: item.body, timeout: subscription.timeout, now: time.wallClock)
        } catch {
            return  // cancelled: stopping
        }
        switch result {
        case .delivered:
            metrics.delivered.increment()
            if let eventTime = item.time {
                metrics.latency.record(
                    .milliseconds(max(0, time.wallClock.millisecondsSinceEpoch.subtractingSaturated(eventTime.millisecondsSinceEpoch))))
            }
        default:
            metrics.attemptFailed(result)
            logger.debug(
                "delivery attempt failed", metadata: ["webhook_id": "\(item.eventID)", "attempt": "\(attempt)", "result": "\(result)"])
        }
        let now = self.now
        perform(machine.withLock { $0.attemptFinished(token: token, result: result, now: now) })
        changed.signal()
    }

    private func deadLetter(_ item: DeliveryItem, attempts: Int, failure: DeliveryAttemptResult, token: UInt64) async {
        let record = DeadLetterRecord.make(
            item, topic: deadLetterTopic, subscription: subscription.name, attempts: attempts, lastFailure: failure, at: time.wallClock)
        var wait = Duration.seconds(1)
        // Kafka is the bridge's own durable store: keep trying until it takes the record (or the process stops,
        // and the event is read and tried again on the next start).
        while !isStopping {
            if let report = try? await publisher.publish([record]).first, report.status == .persisted {
                metrics.deadLettered.increment()
                logger.warning(
                    "event dead-lettered after its last attempt",
                    metadata: ["webhook_id": "\(item.eventID)", "attempts": "\(attempts)", "last_failure": "\(failure)"])
                let now = self.now
                perform(machine.withLock { $0.deadLettered(token: token, now: now) })
                changed.signal()
                return
            }
            logger.error("cannot write to the dead-letter topic; trying again", metadata: ["topic": "\(deadLetterTopic)"])
            try? await Task.sleep(for: wait)
            wait = min(wait * 2, .seconds(30))
        }
    }

    private func retryTimer() async {
        while !isStopping {
            let now = self.now
            let next = machine.withLock { $0.nextRetryAt() }
            let wait = next.map { Duration.milliseconds(max(0, min($0 - now, 1000))) } ?? .seconds(1)
            if wait > .zero { await changed.wait(timeout: wait, clock: ContinuousClock()) }
            if isStopping { break }
            let later = self.now
            perform(machine.withLock { $0.tick(now: later) })
        }
    }

    private func commitLoop(_ consumer: KafkaGroupConsumer) async {
        while !isStopping {
            try? await Task.sleep(for: commitInterval)
            try? await commitNow(consumer)
            updateGauges()
        }
    }

    /// What was last committed per partition: a commit is sent only when the offset or its metadata changed.
    private let committed = Mutex<[Int32: KafkaGroupConsumer.CommittedOffset]>([:])

    /// For partitions just assigned, the offsets their previous reader finished beyond its commit point (in the
    /// commit's metadata): read before their records, so those events are not delivered again.
    private func restoreDone(of partitions: Set<Int32>, _ consumer: KafkaGroupConsumer) async {
        guard !partitions.isEmpty else { return }
        do {
            let positions = try await consumer.committed(partitions.sorted())
            var skipped = 0
            machine.withLock { machine in
                for (partition, position) in positions {
                    let done = DoneOffsets.decode(position.metadata, above: position.offset)
                    skipped += done.count
                    machine.assigned(partition, doneBefore: done)
                }
            }
            committed.withLock { committed in for (partition, position) in positions { committed[partition] = position } }
            if skipped > 0 { logger.info("events already done beyond the committed offsets", metadata: ["events": "\(skipped)"]) }
        } catch {
            // Only an optimisation: without it those events are delivered again, with their webhook-id.
            logger.notice("cannot read the committed offsets' metadata", metadata: ["error": "\(error)"])
        }
    }

    private func commitNow(_ consumer: KafkaGroupConsumer) async throws {
        let partitions = assignment.withLock { $0 }
        // From the machine, offset and metadata in one reading.
        let positions = machine.withLock { machine in
            partitions.compactMap { partition in
                machine.commitPosition(partition: partition).map {
                    (partition, KafkaGroupConsumer.CommittedOffset(offset: $0.offset, metadata: $0.metadata))
                }
            }
        }
        let due = committed.withLock { committed in
            Dictionary(uniqueKeysWithValues: positions.filter { committed[$0.0] != $0.1 })
        }
        guard !due.isEmpty else { return }
        do {
            try await consumer.commit(due)
            committed.withLock { committed in for (partition, offset) in due { committed[partition] = offset } }
        } catch {
            // After a rebalance the new owner reads from the last commit that succeeded: at most a re-delivery.
            logger.notice("offset commit refused", metadata: ["error": "\(error)"])
            throw error
        }
    }

    private func waitForAttempts(deadline: ContinuousClock.Instant) async {
        while runningAttempts.load(ordering: .relaxed) > 0, ContinuousClock.now < deadline {
            await changed.wait(timeout: .milliseconds(100), clock: ContinuousClock())
        }
    }

    // MARK: Replay

    /// Queues a replay; false when one is already running.
    func requestReplay(_ request: ReplayRequest) -> Bool {
        let accepted = replayState.withLock { state in
            guard !state.running else { return false }
            state.running = true
            return true
        }
        if accepted { work.continuation.yield(.replay(request)) }
        return accepted
    }

    /// Reads the topic from its start to its end at the time of the request, and queues the matching events again
    /// (behind what is pending for their conversations; a replay commits nothing).
    private func replay(_ request: ReplayRequest) async {
        defer { replayState.withLock { $0.running = false } }
        do {
            let reader = try makeReader()
            let ends = try await reader.endOffsets()
            var reached: [Int32: Int64] = [:]
            func done() -> Bool { ends.allSatisfy { partition, end in end <= 0 || (reached[partition] ?? -1) >= end - 1 } }
            var queued = 0
            var quiet = 0
            while !done(), !isStopping, quiet < 30 {
                let records = try await reader.read(count: 500, timeout: .seconds(1))
                quiet = records.isEmpty ? quiet + 1 : 0
                for record in records where record.offset < (ends[record.partition] ?? 0) {
                    reached[record.partition] = max(reached[record.partition] ?? -1, record.offset)
                    guard
                        var item = try? DeliveryItem(
                            partition: record.partition, offset: nil, key: record.key, value: record.value, headers: record.headers,
                            timestamp: record.timestamp),
                        subscription.filter.matches(type: item.type, source: item.source), request.matches(item)
                    else { continue }
                    item.offset = nil
                    while machine.withLock({ $0.pending }) >= maxPending && !isStopping {
                        await changed.wait(timeout: .seconds(1), clock: ContinuousClock())
                    }
                    let now = self.now
                    perform(machine.withLock { $0.received(item, matches: true, now: now) })
                    queued += 1
                    replayState.withLock { $0.queued += 1 }
                }
            }
            logger.info("replay queued", metadata: ["events": "\(queued)"])
        } catch {
            logger.error("replay failed", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Control and readings

    func pause() {
        machine.withLock { $0.pause() }
        updateGauges()
    }

    func resume() {
        let now = self.now
        perform(machine.withLock { $0.resume(now: now) })
        metrics.disabled.set(to: 0)
        changed.signal()
    }

    struct Summary: Sendable {
        var status: SubscriptionDeliveryMachine.Status
        var pending: Int
        var inFlight: Int
        var retrying: Int
        var conversations: Int
        var oldestPendingTime: Timestamp?
        var replaying: Bool
        var replayedEvents: Int
    }

    func summary() -> Summary {
        let replay = replayState.withLock { $0 }
        return machine.withLock { machine in
            Summary(
                status: machine.status, pending: machine.pending, inFlight: machine.inFlight, retrying: machine.retrying,
                conversations: machine.conversations, oldestPendingTime: machine.oldestPendingTime, replaying: replay.running,
                replayedEvents: replay.queued)
        }
    }

    func updateGauges() {
        let summary = summary()
        metrics.pending.set(to: Double(summary.pending))
        metrics.retrying.set(to: Double(summary.retrying))
        metrics.paused.set(to: summary.status == .paused ? 1 : 0)
        let age = summary.oldestPendingTime.map { max(0, time.wallClock.millisecondsSinceEpoch.subtractingSaturated($0.millisecondsSinceEpoch)) } ?? 0
        metrics.oldestPendingAge.set(to: Double(age) / 1000)
    }

    func shutdownClient() async {
        await client.shutdown()
    }
}
