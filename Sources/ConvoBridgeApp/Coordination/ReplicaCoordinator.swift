import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeStore
import Logging
import ServiceLifecycle
import Synchronization

/// Makes this process one replica of a group coordinated by Kafka (`coordination.mode: kafka`).
///
/// The replicas are one consumer group on the watch topic; the partitions the group assigns this replica decide which
/// conversations it polls. On assignment of a partition it opens the partition's transactional producer (fencing
/// whichever replica had it), restores the partition's conversations from the internal state topic
/// (`read_committed`, to its end), and only then polls them; the watch topic's records of the partition (read from
/// its start on every assignment: it is compacted) add the conversations that have no state yet. On revocation it
/// stops polling them, waits for their polls in flight, publishes what it has pending for them, closes the producer,
/// and, when everything was published, keeps a ``PartitionCheckpoint``: taking the partition again then reads only
/// the state records written since. ``PartitionOwnershipMachine`` decides; this carries out its actions, one at a time.
///
/// Every webhook event comes through the handoff topic, whichever replica received it: the owner of the
/// conversation forwards it, and its partition's next transaction commits the group's position past it
/// (``HandoffProgress``), so it is forwarded once, even when the owner crashes or the partition moves.
final class ReplicaCoordinator: Service, Sendable {
    let group: BridgeConfiguration.Coordination.KafkaGroup
    let ownership: ReplicaOwnership
    private let bootstrapServers: String
    private let kafkaProperties: [String: String]
    private let store: BridgeStore
    private let relay: TransactionalOutboxRelay
    private let pollers: [String: SourcePoller]
    private let webhooks: BridgeEventSink
    private let configuredIDs: [(source: String, ids: [String])]
    private let metrics: BridgeMetrics
    private let time: TimeSource
    private let logger: Logger
    private let machine: Mutex<PartitionOwnershipMachine>
    private let work: (stream: AsyncStream<Work>, continuation: AsyncStream<Work>.Continuation)
    /// Watch records read for partitions not (yet) restored: applied once they are, dropped if the group gives the
    /// partition elsewhere.
    private let waitingWatches = Mutex<[Int32: [WatchRecord]]>([:])
    /// Handoff records read for partitions not (yet) restored, the same way.
    private let waitingHandoffs = Mutex<[Int32: [ConsumedRecord]]>([:])
    private let handoffCursor = Mutex(HandoffCursor())
    /// The group member, once `run` made it: a restore reads its committed handoff offsets.
    private let member = Mutex<KafkaGroupConsumer?>(nil)
    private let releaseDeadline: Duration
    /// Renewed every second while the process runs; the relay commits only while it is fresh.
    let lease: ReplicaLease

    enum Work: Sendable {
        case assigned(Set<Int32>)
        case records([ConsumedRecord])
        case fenced(Int32)
        /// A handoff record of the partition could not be forwarded (the store failed): given up, and taken up again
        /// after the wait, from the group's last committed position.
        case handoffFailed(Int32)
        /// The process was paused this long; the relay already dropped these partitions' producers.
        case frozen(Duration, Set<Int32>)
        case tick
    }

    init(
        group: BridgeConfiguration.Coordination.KafkaGroup, ownership: ReplicaOwnership, bootstrapServers: String,
        kafkaProperties: [String: String], store: BridgeStore, relay: TransactionalOutboxRelay, pollers: [SourcePoller],
        webhooks: BridgeEventSink, configuredIDs: [(source: String, ids: [String])], releaseDeadline: Duration, metrics: BridgeMetrics,
        time: TimeSource,
        logger: Logger
    ) {
        self.group = group
        self.ownership = ownership
        self.bootstrapServers = bootstrapServers
        self.kafkaProperties = kafkaProperties
        self.store = store
        self.relay = relay
        self.pollers = Dictionary(uniqueKeysWithValues: pollers.map { ($0.source, $0) })
        self.webhooks = webhooks
        self.configuredIDs = configuredIDs
        self.releaseDeadline = releaseDeadline
        self.metrics = metrics
        self.time = time
        var logger = logger
        logger[metadataKey: "replica"] = "\(group.replicaID)"
        self.logger = logger
        self.machine = Mutex(
            PartitionOwnershipMachine(
                reacquireAfterMilliseconds: group.sessionTimeout.wholeMilliseconds * 2, startedAt: time.elapsed.wholeMilliseconds))
        self.work = AsyncStream<Work>.makeStream()
        self.lease = ReplicaLease(validFor: group.sessionTimeout / 2)
    }

    /// Whether the first assignment is restored (the replica is ready), and the partitions it polls.
    var readiness: (ready: Bool, owned: Set<Int32>, restoring: Int) {
        machine.withLock { ($0.hasRestoredFirstAssignment, $0.owned, $0.restoring) }
    }

    /// The relay's report: the partition's producer was fenced.
    func fenced(_ partition: Int32) { work.continuation.yield(.fenced(partition)) }

    func run() async throws {
        try await ensureTopics()
        try await watchConfiguredConversations()
        var properties = kafkaProperties
        properties["session.timeout.ms"] = String(group.sessionTimeout.wholeMilliseconds)
        properties["heartbeat.interval.ms"] = String(max(100, group.sessionTimeout.wholeMilliseconds / 10))
        let consumer = try KafkaGroupConsumer(
            bootstrapServers: bootstrapServers, groupID: group.groupID, topics: [group.watchTopic, group.handoffTopic],
            instanceID: group.staticMembership ? group.replicaID : nil,
            properties: properties)
        member.withLock { $0 = consumer }
        relay.useGroupMetadata { consumer.groupMetadata() }
        logger.info(
            "joining the replica group",
            metadata: [
                "group": "\(group.groupID)", "watch_topic": "\(group.watchTopic)", "handoff_topic": "\(group.handoffTopic)",
                "partitions": "\(group.partitions)",
            ])
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { tasks in
                tasks.addTask {
                    do {
                        for try await event in consumer.events(bufferLimit: 5000) {
                            switch event {
                            case .assigned(let partitions): self.work.continuation.yield(.assigned(partitions))
                            case .records(let records): self.work.continuation.yield(.records(records))
                            }
                        }
                    } catch {
                        self.logger.error("reading the watch topic failed; the replica stops", metadata: ["error": "\(error)"])
                    }
                    self.work.continuation.finish()
                }
                tasks.addTask {
                    var last = ContinuousClock.now
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        let gap = ContinuousClock.now - last
                        last = .now
                        if gap > self.group.sessionTimeout / 2 {
                            // Woken from a pause: the relay (which commits nothing while the lease is stale) stops
                            // publishing everything before the lease is renewed; what the partitions may be another's.
                            let held = self.relay.dropAll()
                            self.work.continuation.yield(.frozen(gap, held))
                        }
                        self.lease.renew()
                        self.work.continuation.yield(.tick)
                    }
                }
                for await item in self.work.stream {
                    await self.handle(item)
                }
                // Stopping: give every partition up (publishing what is pending), then leave the group so the others
                // take over at once rather than after the session timeout.
                let held = self.machine.withLock { machine in machine.assigned([]) }
                await self.perform(held)
                await consumer.close()
                tasks.cancelAll()
            }
        } onGracefulShutdown: {
            self.work.continuation.finish()
        }
        logger.info("left the replica group")
    }

    // MARK: Work

    private func handle(_ item: Work) async {
        let now = time.elapsed.wholeMilliseconds
        switch item {
        case .assigned(let partitions):
            metrics.rebalanced()
            logger.info("partitions assigned", metadata: ["partitions": "\(partitions.sorted())"])
            waitingWatches.withLock { waiting in waiting = waiting.filter { partitions.contains($0.key) } }
            // The consumer reads the others again from the committed position when they come back.
            waitingHandoffs.withLock { waiting in waiting = waiting.filter { partitions.contains($0.key) } }
            await perform(machine.withLock { $0.assigned(partitions) })
        case .records(let records):
            await apply(records)
        case .fenced(let partition), .handoffFailed(let partition):
            await perform(machine.withLock { $0.fenced(partition, now: now) })
        case .frozen(let gap, let held):
            logger.warning(
                "this replica was frozen longer than half its session; giving its partitions up until the group settles",
                metadata: ["frozen_ms": "\(gap.wholeMilliseconds)"])
            // Nothing pending is published: the new owner derives it again from the state it restores.
            let partitioner = ownership.partitioner
            _ = try? await store.discardOutbox(belongs: { held.contains(partitioner.partition(source: $0, conversationID: $1)) })
            await perform(machine.withLock { $0.frozen(now: now) })
        case .tick:
            await perform(machine.withLock { $0.tick(now: now) })
        }
        metrics.setOwnedPartitions(ownership.ownedPartitions.count, replica: group.replicaID)
    }

    private func perform(_ actions: [PartitionOwnershipMachine.Action]) async {
        // Partitions taken over together are restored together: a takeover costs the slowest restore, not their sum.
        let restores = actions.compactMap { if case .restore(let partition) = $0 { partition } else { nil } }
        let outcomes = await withTaskGroup(of: (Int32, Result<Restored, any Error>).self) { group in
            for partition in restores {
                group.addTask {
                    do {
                        return (partition, .success(try await self.restore(partition)))
                    } catch {
                        return (partition, .failure(error))
                    }
                }
            }
            return await group.reduce(into: [Int32: Result<Restored, any Error>]()) { $0[$1.0] = $1.1 }
        }
        var started: [Int32] = []
        var catchUp: [Int32: [ConsumedRecord]] = [:]
        for action in actions {
            switch action {
            case .restore(let partition):
                let now = time.elapsed.wholeMilliseconds
                guard let outcome = outcomes[partition] else { continue }
                switch outcome {
                case .success(let restored):
                    let next = machine.withLock { $0.restored(partition) }
                    if next.isEmpty { continue }  // given away meanwhile
                    relay.attach(partition, producer: restored.producer)
                    started.append(partition)
                    catchUp[partition] = restored.handoffs
                case .failure(let error):
                    metrics.restoreFailed()
                    logger.error("cannot take over the partition; trying again", metadata: ["partition": "\(partition)", "error": "\(error)"])
                    await perform(machine.withLock { $0.restoreFailed(partition, now: now) })
                }
            case .startPolling(let partition):
                started.append(partition)
            case .release(let partition):
                ownership.set(partition, owned: false)
                for poller in pollers.values { await poller.release(partition: partition, deadline: releaseDeadline) }
                await detachKeepingCheckpoint(partition)
            }
        }
        await startPolling(Set(started), catchUp: catchUp)
    }

    /// Hands the partitions just restored to the pollers (one read of each source's schedule for all of them), then
    /// applies the watch records that waited for them, and forwards their handoff records: those read again from
    /// the committed position first, then those that waited.
    private func startPolling(_ partitions: Set<Int32>, catchUp: [Int32: [ConsumedRecord]] = [:]) async {
        guard !partitions.isEmpty else { return }
        for partition in partitions { ownership.set(partition, owned: true) }
        for poller in pollers.values {
            do {
                try await poller.take(partitions: partitions)
            } catch {
                logger.error("cannot load the partitions' schedule", metadata: ["partitions": "\(partitions.sorted())", "error": "\(error)"])
            }
        }
        let waiting = waitingWatches.withLock { waiting in partitions.flatMap { waiting.removeValue(forKey: $0) ?? [] } }
        await apply(waiting)
        let handoffs = waitingHandoffs.withLock { waiting in
            partitions.sorted().flatMap { (catchUp[$0] ?? []) + (waiting.removeValue(forKey: $0) ?? []) }
        }
        await forward(handoffs)
    }

    /// What a restore hands over: the partition's producer, and the handoff records to forward again.
    private struct Restored: Sendable {
        var producer: KafkaTransactionalProducer
        var handoffs: [ConsumedRecord]
    }

    /// Fences the partition's last producer, then reads its state back into the store, and where its handoff records
    /// start again: the group's committed position, read once the fenced producer's transaction is over.
    private func restore(_ partition: Int32) async throws -> Restored {
        let started = ContinuousClock.now
        let producer = try KafkaTransactionalProducer(
            bootstrapServers: bootstrapServers, transactionalID: group.transactionalID(partition: partition), properties: kafkaProperties)
        try await producer.initialize()
        let handoffs = try await handoffsToForwardAgain(partition)
        let checkpoint = try await store.checkpoint(partition: partition)
        var start = PartitionCheckpoint.restoreStart(
            checkpoint, stateTopic: group.stateTopic, partitions: group.partitions, now: time.wallClock)
        var updated: StateRestore?
        if case .incremental(let offset) = start, let checkpoint {
            do {
                updated = try await restore(partition, since: checkpoint, from: offset)
                if updated == nil { start = .full(reason: "an unpublished record of the partition was written after its checkpoint") }
            } catch let error as KafkaError where error.code == .offsetOutOfRange {
                start = .full(reason: "the state topic no longer has the checkpoint's offset")
            }
        }
        let state: StateRestore
        if let updated { state = updated } else { state = try await restoreInFull(partition) }
        let duration = ContinuousClock.now - started
        var metadata: Logger.Metadata = [
            "partition": "\(partition)", "kind": "\(start.kind)", "state_records": "\(state.records)",
            "conversations": "\(state.conversations)", "local_rows_changed": "\(state.rowsChanged)",
            "unpublished_dropped": "\(state.outboxDropped)", "unreadable": "\(state.unreadable)", "handoffs_again": "\(handoffs.count)",
            "ms": "\(duration.wholeMilliseconds)",
        ]
        switch start {
        case .full(let reason): metadata["why_full"] = "\(reason)"
        case .incremental(let offset): metadata["from_offset"] = "\(offset)"
        }
        metrics.restored(kind: start.kind, records: state.records, conversations: state.conversations, duration: duration)
        logger.info("partition restored", metadata: metadata)
        return Restored(producer: producer, handoffs: handoffs)
    }

    /// What a restore read and changed.
    private struct StateRestore: Sendable, Hashable {
        var records: Int
        var unreadable: Int
        var conversations: Int
        var rowsChanged: Int
        var outboxDropped: Int
    }

    /// Replaces the partition's rows with its whole state partition.
    private func restoreInFull(_ partition: Int32) async throws -> StateRestore {
        let read = try await readState(partition, from: nil)
        let changed = try await store.restorePartition(partition, states: read.states, belongs: belongs(partition), now: time.wallClock)
        return StateRestore(
            records: read.records, unreadable: read.unreadable, conversations: read.states.count, rowsChanged: changed.conversations,
            outboxDropped: changed.outbox)
    }

    /// Writes the state records from `offset` over the partition's rows, kept since `checkpoint`. Nil when the
    /// checkpoint no longer holds (nothing was changed).
    /// - Throws: ``KafkaError/Code/offsetOutOfRange`` when the state topic no longer has `offset`.
    private func restore(_ partition: Int32, since checkpoint: PartitionCheckpoint, from offset: Int64) async throws -> StateRestore? {
        let read = try await readState(partition, from: offset)
        let belongs = belongs(partition)
        guard
            let changed = try await store.restorePartition(
                partition, since: checkpoint, states: read.states, deleted: read.deleted.filter { belongs($0.source, $0.conversationID) },
                belongs: belongs, now: time.wallClock)
        else { return nil }
        return StateRestore(
            records: read.records, unreadable: read.unreadable, conversations: read.states.count, rowsChanged: changed.conversations,
            outboxDropped: changed.outbox)
    }

    private func belongs(_ partition: Int32) -> BridgeStore.ConversationFilter {
        let partitioner = ownership.partitioner
        return { partitioner.partition(source: $0, conversationID: $1) == partition }
    }

    /// The last state of each conversation in the partition's state records from `offset` (nil: all of them), and
    /// the keys whose last record is a tombstone.
    private func readState(
        _ partition: Int32, from offset: Int64?
    ) async throws
        -> (records: Int, unreadable: Int, states: [ConversationStateRecord], deleted: [(source: String, conversationID: String)])
    {
        let records = try await KafkaPartitionReader.readToEnd(
            bootstrapServers: bootstrapServers, topic: group.stateTopic, partition: partition, from: offset, exactlyFrom: true,
            properties: kafkaProperties)
        var latest: [String: ConversationStateRecord?] = [:]
        var unreadable = 0
        for record in records {
            guard let key = record.keyString else { continue }
            guard let value = record.value else {
                latest[key] = .some(nil)
                continue
            }
            do {
                latest[key] = try ConversationStateRecord(value: value)
            } catch {
                unreadable += 1
                logger.error(
                    "a state record cannot be restored; its conversation keeps its last readable state",
                    metadata: ["partition": "\(partition)", "offset": "\(record.offset)", "reason": "\(error)"])
            }
        }
        let states = latest.values.compactMap { $0 }.filter { pollers[$0.tracked.source] != nil }
        let deleted = latest.compactMap { key, state in state == nil ? BridgeStore.conversation(ofKey: Array(key.utf8)) : nil }
        return (records.count, unreadable, states, deleted)
    }

    /// Publishes what the partition has pending and stops publishing it; when that was everything, keeps a checkpoint
    /// of it (the state topic's end now), so that taking it again reads only what the next owners wrote.
    private func detachKeepingCheckpoint(_ partition: Int32) async {
        let marked = (try? await store.beginCheckpoint(partition: partition)) != nil
        let drained = await relay.detach(partition, deadline: releaseDeadline)
        var checkpointed = false
        if marked, drained {
            do {
                let end = try await KafkaPartitionReader.bounds(
                    bootstrapServers: bootstrapServers, topic: group.stateTopic, partition: partition, properties: kafkaProperties
                ).end
                checkpointed = try await store.completeCheckpoint(
                    PartitionCheckpoint(
                        partition: partition, stateTopic: group.stateTopic, partitions: group.partitions, nextOffset: end,
                        writtenAt: time.wallClock))
            } catch {
                logger.warning("cannot keep a checkpoint of the partition", metadata: ["partition": "\(partition)", "error": "\(error)"])
            }
        }
        if !checkpointed { try? await store.forgetCheckpoint(partition: partition) }
        logger.info(
            "partition released",
            metadata: ["partition": "\(partition)", "published_everything": "\(drained)", "checkpoint": "\(checkpointed)"])
    }

    /// Moves the partition's handoff cursor back to the group's committed position, and reads the records between
    /// it and where this replica had got to: it forwarded them in transactions that did not commit.
    private func handoffsToForwardAgain(_ partition: Int32) async throws -> [ConsumedRecord] {
        guard let member = member.withLock({ $0 }) else { return [] }
        let committed = try await member.committed([partition], of: group.handoffTopic)[partition]?.offset
        guard let again = handoffCursor.withLock({ $0.restored(partition: partition, committed: committed) }) else { return [] }
        return try await KafkaPartitionReader.readToEnd(
            bootstrapServers: bootstrapServers, topic: group.handoffTopic, partition: partition, from: again.lowerBound,
            before: again.upperBound, properties: kafkaProperties)
    }

    /// Watch and handoff records: those of owned partitions are applied here; the others wait for their
    /// partition's restore or are not this replica's.
    private func apply(_ records: [ConsumedRecord]) async {
        let handoffTopic = group.handoffTopic
        await apply(
            records.compactMap { record in
                guard record.topic != handoffTopic else { return nil }
                guard let watch = WatchRecord(value: record.value) else {
                    metrics.watchRecords("skipped")
                    return nil
                }
                return watch
            })
        await forward(records.filter { $0.topic == handoffTopic })
    }

    /// Forwards handoff records of owned partitions, each once (``HandoffCursor``), and tells the relay each one's
    /// write is in the outbox. A partition whose record cannot be forwarded is given up: what it read after that
    /// record is read again when it is taken up.
    private func forward(_ records: [ConsumedRecord]) async {
        var failed: Set<Int32> = []
        for record in records {
            let partition = record.partition
            guard ownership.owns(partition: partition) else {
                waitingHandoffs.withLock { $0[partition, default: []].append(record) }
                continue
            }
            guard handoffCursor.withLock({ $0.received(partition: partition, offset: record.offset) }) == .forward,
                !failed.contains(partition)
            else { continue }
            relay.handoffForwarding(partition: partition)
            do {
                let outboxThrough = try await forward(record)
                relay.handoffApplied(partition: partition, nextOffset: record.offset + 1, outboxThrough: outboxThrough)
            } catch {
                relay.handoffFailed(partition: partition)
                failed.insert(partition)
                logger.error(
                    "cannot forward a webhook event handed over; the partition is given up and taken up again",
                    metadata: ["partition": "\(partition)", "offset": "\(record.offset)", "error": "\(error)"])
            }
        }
        for partition in failed.sorted() { work.continuation.yield(.handoffFailed(partition)) }
    }

    /// One handoff record: the event forwarded as if this replica had received it (a record nobody can forward is
    /// counted and passed). Returns the last outbox row the forwarding wrote.
    private func forward(_ record: ConsumedRecord) async throws -> Int64? {
        let handoff: WebhookHandoffRecord
        do {
            handoff = try WebhookHandoffRecord(value: record.value)
        } catch {
            return skip(record, because: error.reason)
        }
        let conversationID = handoff.event.conversationID
        guard let poller = pollers[handoff.source] else {
            return skip(record, because: "\(handoff.source) is not a configured source")
        }
        guard handoff.event.platform == poller.settings.platform else {
            return skip(
                record, because: "a \(handoff.event.platform.rawValue) event for the \(poller.settings.platform.rawValue) source \(handoff.source)")
        }
        if let problem = poller.reader.problem(withConversationID: conversationID) { return skip(record, because: "\(problem)") }
        guard ownership.partition(source: handoff.source, conversationID: conversationID) == record.partition else {
            return skip(record, because: "its conversation belongs to another partition")
        }
        let outcome = try await webhooks.forward(
            handoff.event, source: handoff.source, bodyDigest: handoff.bodyDigest, receivedAt: handoff.receivedAt)
        metrics.webhookHandoffs(outcome.acceptance == .duplicate ? "duplicate" : "forwarded")
        return outcome.outboxThrough
    }

    private func skip(_ record: ConsumedRecord, because reason: String) -> Int64? {
        metrics.webhookHandoffs("skipped")
        logger.warning(
            "a handoff record cannot be forwarded; skipped",
            metadata: ["partition": "\(record.partition)", "offset": "\(record.offset)", "reason": "\(reason)"])
        return nil
    }

    private func apply(_ watches: [WatchRecord]) async {
        var applied = 0
        for watch in watches {
            let partition = ownership.partition(source: watch.source, conversationID: watch.conversationID)
            guard ownership.owns(partition: partition) else {
                waitingWatches.withLock { $0[partition, default: []].append(watch) }
                continue
            }
            guard let poller = pollers[watch.source] else {
                metrics.watchRecords("skipped")
                continue
            }
            if let problem = poller.reader.problem(withConversationID: watch.conversationID) {
                metrics.watchRecords("skipped")
                logger.warning("a watch record names an invalid conversation id; skipped", metadata: ["problem": "\(problem)"])
                continue
            }
            let at = time.wallClock
            let pollNow = watch.pollNow
            do {
                let write = try await store.write(source: watch.source, conversationID: watch.conversationID, discoveredBy: .watch, now: at) {
                    tracked in
                    // New here (no observation yet) or asked to: polled now; a conversation already watched keeps its schedule.
                    let due = !tracked.vanished && (pollNow || tracked.snapshot == nil)
                    return ConversationWrite(tracked: tracked, poll: due ? .noLaterThan(at) : .keep)
                }
                poller.scheduled(watch.conversationID, by: write)
                applied += 1
            } catch {
                logger.error("cannot store a watched conversation", metadata: ["conversation_id": "\(watch.conversationID)", "error": "\(error)"])
            }
        }
        if applied > 0 { metrics.watchRecords("applied", count: applied) }
    }

    // MARK: Setting up

    /// Creates the coordination topics, or checks the partition count of existing ones. The watch and state topics are
    /// compacted (the last record of each conversation is what counts); the handoff topic keeps every event.
    private func ensureTopics() async throws {
        for (topic, compacted) in [(group.watchTopic, true), (group.stateTopic, true), (group.handoffTopic, false)] {
            let existing = try await KafkaTopicAdmin.ensure(
                bootstrapServers: bootstrapServers, topic: topic, partitions: group.partitions, compacted: compacted,
                properties: kafkaProperties)
            guard existing.partitions == group.partitions else {
                throw CoordinationError.partitionCountChanged(topic: topic, configured: group.partitions, existing: existing.partitions)
            }
            if existing.created {
                logger.notice("created a coordination topic", metadata: ["topic": "\(topic)", "partitions": "\(group.partitions)"])
            }
        }
    }

    /// The configuration's conversation ids, on the watch topic (every replica writes them: the same key again costs
    /// a record, and the owner polls each once).
    private func watchConfiguredConversations() async throws {
        let watches = configuredIDs.flatMap { source, ids in
            ids.map { WatchRecord(source: source, conversationID: $0, origin: DiscoveredBy.configuration.rawValue) }
        }
        try await ownership.handOff(watches)
    }
}

/// Why a replica cannot join its group.
enum CoordinationError: Error, CustomStringConvertible {
    case partitionCountChanged(topic: String, configured: Int, existing: Int)

    var description: String {
        switch self {
        case .partitionCountChanged(let topic, let configured, let existing):
            "coordination.partitions is \(configured) but the topic \(topic) has \(existing) partitions. The partition count decides "
                + "which replica owns which conversation and cannot change for an existing deployment: set partitions: \(existing), "
                + "or start a new deployment with a new group_id and new coordination topics."
        }
    }
}
