import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeStore
import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// The poll engine of one source, of any platform: polls each owned conversation when its schedule says so (the
/// platform's ``ConversationReader``), discovers conversations from its list endpoint when it has one
/// (``ConversationLister``), and turns every answer into stored snapshots and outbox events.
///
/// A continuous pipeline: the schedule (``PollScheduler``) lives in memory, and the dispatcher hands the most
/// overdue conversation to a worker the moment one is free and the source's pacer gives a turn; no batch waits for
/// its slowest poll. A failed attempt goes back into the schedule with its backoff; no worker sleeps on a retry.
/// Answers are stored through the store's group commit; an answer identical to the last one applied costs no
/// store access at all, and its schedule is saved lazily.
///
/// A failed or unreadable answer never advances the snapshot. While the outbox holds more than `maxBacklog`
/// entries (Kafka is down or slow), polling pauses; nothing is dropped.
final class SourcePoller: Service, Sendable {
    let settings: BridgeConfiguration.Source
    let reader: any ConversationReader
    let lister: (any ConversationLister)?
    /// Whether a conversation seen in the list for the first time is read in full before it is recorded (Jelou's
    /// Advisor list lacks fields Get Conversation has; Chatvolt's list items are complete).
    let readsNewlyListed: Bool
    /// The fields both endpoints report: of an answer overtaken by a newer one, only the others are still news.
    let sharedCoverage: Set<SnapshotField>
    let http: SourceHTTPClient
    let store: BridgeStore
    let spaceGate: StoreSpaceGate
    let tracker: ConversationTracker
    let time: TimeSource
    let maxBacklog: Int
    let outboxWritten: @Sendable () -> Void
    let metrics: BridgeMetrics
    let sourceMetrics: BridgeMetrics.SourceMetrics
    let logger: Logger
    let startedAt: Timestamp
    let lastSuccess = Mutex<Timestamp?>(nil)
    let lastFailure = Mutex<Timestamp?>(nil)
    private let operatorPause = Mutex(false)
    let random = Mutex(SplitMix64(seed: UInt64.random(in: .min ... .max)))
    let engine = Mutex(PollEngineState())
    let lags = Mutex(RecentLags())
    /// Whether failures are sporadic (a bad answer among good ones) or the platform fails most requests.
    let failureRate = Mutex(FailureRate())
    let inFlightPolls = InFlightPolls()
    /// A worker each: the dispatcher waits here for a free one, without a timer (a poll's end releases it).
    private let workers: AsyncSemaphore
    /// Wakes the dispatcher: a conversation became due early (webhook, operator, discovery) or a worker is free.
    let wake = WakeSignal()
    /// The longest the dispatcher sleeps without looking again (a wall clock that moves, a lost wake-up).
    private let tick: Duration
    /// How often schedules that changed without a row write are saved.
    private let scheduleFlushInterval: Duration
    /// With replicas coordinated by Kafka: the partitions this replica polls (nil: standalone, it polls everything).
    let ownership: ReplicaOwnership?
    /// With replicas: the listed conversations of other replicas this one's discovery wrote a watch record for.
    let handedOffByDiscovery = Mutex<Set<String>>([])
    /// At most this many are remembered; past it, the memory starts again.
    static let handedOffMemory = 1_000_000

    init(
        settings: BridgeConfiguration.Source, http: SourceHTTPClient, redactor: SecretRedactor, store: BridgeStore,
        encoder: CloudEventEncoder, time: TimeSource, maxBacklog: Int, tick: Duration = .milliseconds(200),
        scheduleFlushInterval: Duration = .seconds(5), ownership: ReplicaOwnership? = nil,
        outboxWritten: @escaping @Sendable () -> Void, metrics: BridgeMetrics, logger: Logger
    ) {
        self.ownership = ownership
        self.settings = settings
        self.metrics = metrics
        self.sourceMetrics = metrics.sourceMetrics(settings.name)
        self.startedAt = time.wallClock
        self.http = http
        self.workers = AsyncSemaphore(permits: http.policy.maxConcurrentRequests)
        let clients = PlatformClients(source: settings, http: http, redactor: redactor)
        self.reader = clients.reader
        self.lister = clients.lister
        self.readsNewlyListed = clients.readsNewlyListed
        self.sharedCoverage = clients.reader.coverage.intersection(clients.lister?.coverage ?? [])
        self.store = store
        self.spaceGate = StoreSpaceGate(store: store, time: time)
        self.tracker = ConversationTracker(
            encoder: CloudEventEncoder(configuration: encoder.configuration),
            vanishAfterNotFound: settings.vanishAfterNotFound)
        self.time = time
        self.maxBacklog = maxBacklog
        self.tick = tick
        self.scheduleFlushInterval = scheduleFlushInterval
        self.outboxWritten = outboxWritten
        var logger = logger
        logger[metadataKey: "source"] = "\(settings.name)"
        self.logger = logger
    }

    var source: String { settings.name }

    func run() async throws {
        try await loadSchedule()
        try await untilGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.dispatchLoop() }
                group.addTask { try await self.flushLoop() }
                if let lister = self.lister, let discovery = self.settings.discovery {
                    group.addTask { try await self.discoveryLoop(lister, discovery) }
                }
                try await group.waitForAll()
            }
        }
        // Polls in flight were cancelled and went back into the schedule: save it for the next start.
        try? await flushSchedule()
    }

    /// Adds the configured conversations, then takes on every conversation of the source the store knows. With
    /// replicas, nothing: the coordinator writes the configured ones to the watch topic and hands this poller each
    /// partition it owns once restored (``take(partition:)``).
    private func loadSchedule() async throws {
        guard ownership == nil else { return }
        let now = time.wallClock
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in settings.conversationIDs {
                group.addTask {
                    try await self.store.write(source: self.source, conversationID: id, discoveredBy: .configuration, now: now) { tracked in
                        ConversationWrite(tracked: tracked, poll: tracked.vanished ? .keep : .noLaterThan(now))
                    }
                }
            }
            try await group.waitForAll()
        }
        own(try await store.scheduledConversations(source: source))
    }

    /// Takes on the conversations of partitions just restored (replicas coordinated by Kafka), with one read of the
    /// source's schedule for all of them.
    func take(partitions: Set<Int32>) async throws {
        guard let ownership else { return }
        let source = self.source
        own(
            try await store.scheduledConversations(source: source).filter {
                partitions.contains(ownership.partition(source: source, conversationID: $0.conversationID))
            })
    }

    /// Gives up the conversations of a partition this replica no longer owns, and waits for their polls in flight to
    /// end (cancelling those still running after `deadline`): once it returns, no poll of the partition writes the
    /// store, so what the release publishes is all the partition has.
    func release(partition: Int32, deadline: Duration) async {
        guard let ownership else { return }
        let source = self.source
        let belongs: (String) -> Bool = { ownership.partition(source: source, conversationID: $0) == partition }
        let released = engine.withLock { engine in
            let ids = engine.memos.keys.filter(belongs)
            for id in ids {
                engine.scheduler.disown(id)
                engine.memos[id] = nil
                engine.dirty.remove(id)
            }
            return ids.count
        }
        let inFlight = await inFlightPolls.finish(matching: belongs, within: deadline)
        logger.info(
            "partition released", metadata: ["partition": "\(partition)", "conversations": "\(released)", "polls_waited_for": "\(inFlight)"])
    }

    /// With replicas: whether a conversation belongs to another replica, in which case a watch record hands it over
    /// (`pollNow`: the owner polls it at once) and the caller does nothing more with it.
    func handsOff(_ conversationID: String, origin: DiscoveredBy, pollNow: Bool) async throws -> Bool {
        guard let ownership, !ownership.owns(source: source, conversationID: conversationID) else { return false }
        try await ownership.handOff([WatchRecord(source: source, conversationID: conversationID, origin: origin.rawValue, pollNow: pollNow)])
        return true
    }

    /// Whether this replica polls the conversation (always, standalone).
    func isOwned(_ conversationID: String) -> Bool {
        ownership?.owns(source: source, conversationID: conversationID) ?? true
    }

    private func own(_ scheduled: [ScheduledConversation]) {
        let loadedAt = time.wallClock
        engine.withLock { engine in
            for conversation in scheduled {
                engine.memos[conversation.conversationID] = PollEngineState.Memo(
                    facts: conversation.facts, hasSnapshot: conversation.hasSnapshot, consecutiveFailures: conversation.consecutiveFailures)
                // Overdue at start (the process was down, or its schedule was saved a few seconds before it stopped):
                // due now. The poll lag measures how late this process starts due polls, not the downtime.
                engine.scheduler.own(conversation.conversationID, dueAt: conversation.nextPollAt.map { max($0, loadedAt) })
            }
        }
        logger.info(
            "schedule loaded",
            metadata: [
                "conversations": "\(scheduled.count)",
                "scheduled": "\(scheduled.count { $0.nextPollAt != nil })",
            ])
    }

    // MARK: Dispatching

    /// Waits while the outbox holds more than `maxBacklog` entries: Kafka is down or slower than the platforms.
    func waitForBacklog() async throws {
        var paused = false
        while true {
            let backlog: Int
            do {
                backlog = try await store.outboxCount()
            } catch let error as StoreError {
                // Polls could not be stored either: wait for the store rather than end the service.
                logger.error("cannot count the outbox; polling waits for the store", metadata: ["error": "\(error)"])
                try await time.sleep(for: .seconds(1))
                continue
            }
            guard backlog > maxBacklog else {
                if paused { logger.notice("polling resumed", metadata: ["outbox": "\(backlog)"]) }
                return
            }
            if !paused { logger.warning("polling paused: Kafka is behind", metadata: ["outbox": "\(backlog)", "max_backlog": "\(maxBacklog)"]) }
            paused = true
            sourceMetrics.backlogWaits.increment()
            try await time.sleep(for: .seconds(1))
        }
    }

    /// An operator paused this source (admin API): no polls and no discovery until resumed; webhooks still land.
    var isPausedByOperator: Bool { operatorPause.withLock { $0 } }

    func setPaused(_ value: Bool) {
        operatorPause.withLock { $0 = value }
        logger.notice(value ? "source paused by an operator" : "source resumed by an operator")
        wake.signal()
    }

    func waitWhilePaused() async {
        while isPausedByOperator && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(200)) }
    }

    /// Hands due conversations to workers: at most `max_concurrent` in flight, each started when the pacer gives
    /// the source its turn, most overdue first.
    private func dispatchLoop() async throws {
        var lastBacklogCheck = ContinuousClock.now - .seconds(1)
        do {
            while !Task.isCancelled {
                await waitWhilePaused()
                try await spaceGate.waitUntilWritable("polling", logger: logger)
                // The outbox is counted at most a few times a second, not once a poll.
                if ContinuousClock.now - lastBacklogCheck > .milliseconds(250) {
                    try await waitForBacklog()
                    lastBacklogCheck = .now
                }
                let now = time.wallClock
                let earliest = engine.withLock { $0.scheduler.earliestDue() }
                guard let earliest, earliest <= now else {
                    let untilDue = earliest.map { Duration.milliseconds($0.millisecondsSinceEpoch - now.millisecondsSinceEpoch) } ?? tick
                    await wake.wait(timeout: min(tick, untilDue), clock: ContinuousClock())
                    continue
                }
                try await workers.acquire()
                do {
                    try await http.waitForTurn()
                } catch {
                    workers.release()
                    throw error
                }
                let startedAt = time.wallClock
                guard case .poll(let id, let dueAt) = engine.withLock({ $0.scheduler.next(now: startedAt) }) else {
                    workers.release()
                    continue
                }
                let lag = Duration.milliseconds(max(0, startedAt.millisecondsSinceEpoch - dueAt.millisecondsSinceEpoch))
                sourceMetrics.pollLag.record(lag)
                lags.withLock { $0.record(lag) }
                inFlightPolls.start(id) {
                    await SourceHTTPClient.$caller.withValue(.init(turnTaken: true)) { await self.poll(id) }
                    self.workers.release()
                }
            }
        } catch {
            await inFlightPolls.cancelAllAndWait()
            throw error
        }
        await inFlightPolls.cancelAllAndWait()
    }

    /// Saves, every `scheduleFlushInterval`, the schedules that changed without a row write.
    private func flushLoop() async throws {
        while !Task.isCancelled {
            try await time.sleep(for: scheduleFlushInterval)
            do {
                try await flushSchedule()
            } catch {
                logger.warning("could not save the schedule; it is kept in memory and saved later", metadata: ["error": "\(error)"])
            }
        }
    }

    func flushSchedule() async throws {
        let dirty = engine.withLock { $0.takeDirty() }
        guard !dirty.isEmpty else { return }
        do {
            try await store.persistSchedule(source: source, dirty)
        } catch {
            engine.withLock { engine in for entry in dirty { engine.dirty.insert(entry.conversationID) } }
            throw error
        }
    }

    // MARK: Asked from outside (webhooks, the admin API, the ids topic)

    /// Applies what a write made elsewhere says of a conversation's schedule.
    func scheduled(_ conversationID: String, by write: ConversationWrite) {
        guard !write.tracked.vanished else { return }
        engine.withLock { engine in
            if engine.memos[conversationID] == nil {
                engine.memos[conversationID] = PollEngineState.Memo(facts: PollFacts(write.tracked), hasSnapshot: write.tracked.snapshot != nil)
            }
            switch write.poll {
            case .keep: break
            case .at(let at), .noLaterThan(let at): engine.scheduler.schedule(conversationID, noLaterThan: at)
            case .retire: engine.scheduler.retire(conversationID)
            }
        }
        wake.signal()
    }

    /// Every scheduled conversation due now (an operator's "poll the source"); returns how many.
    func pollAllNow() -> Int {
        let now = time.wallClock
        defer { wake.signal() }
        return engine.withLock { $0.scheduler.scheduleAll(noLaterThan: now) }
    }

    /// A webhook or an operator scheduled a conversation for now: look for due polls without waiting for the tick.
    func pollDueNow() {
        wake.signal()
    }

    /// The schedule's counts now, for metrics and status.
    func scheduleCounts() -> ScheduleCounts {
        let now = time.wallClock
        let lag = lags.withLock { $0.percentiles() }
        return engine.withLock { engine in
            ScheduleCounts(
                owned: engine.scheduler.ownedCount, scheduled: engine.scheduler.scheduledCount,
                inFlight: engine.scheduler.inFlightCount, dueNow: engine.scheduler.dueCount(now: now),
                lagP50: lag.p50, lagP99: lag.p99)
        }
    }

    /// Whether the source answers: its credentials are not being refused, and it gave an answer within `staleAfter`
    /// (or started less than that ago), or has failed no request since its last answer (a source with nothing to
    /// poll, such as a Zild source waiting for ids, is idle, not down).
    func health(now: Timestamp) -> SourceHealth {
        let staleAfter = max(settings.schedule.openInterval * 3, settings.discovery.map { $0.interval * 3 } ?? .zero, .seconds(60))
        let last = lastSuccess.withLock { $0 }
        let reference = last ?? startedAt
        let failingSince = lastFailure.withLock { $0 }.map { $0 > reference } ?? false
        let fresh = !failingSince || now.millisecondsSinceEpoch - reference.millisecondsSinceEpoch <= staleAfter.wholeMilliseconds
        let circuitOpen = http.isCircuitOpen
        metrics.setCircuitOpen(source: source, circuitOpen)
        // A source an operator paused is not polled on purpose: it does not make the bridge unready.
        return SourceHealth(source: source, ready: (fresh || isPausedByOperator) && !circuitOpen, circuitOpen: circuitOpen, lastSuccess: last)
    }
}

/// A source's part of the readiness probe.
struct SourceHealth: Sendable, Hashable {
    var source: String
    var ready: Bool
    var circuitOpen: Bool
    var lastSuccess: Timestamp?
}

/// A source's schedule now.
struct ScheduleCounts: Sendable, Hashable {
    var owned: Int
    var scheduled: Int
    var inFlight: Int
    var dueNow: Int
    /// How late recent polls started (the last 1,024), nil before the first.
    var lagP50: Duration?
    var lagP99: Duration?
}

/// The lags of the most recent polls, for `status`.
struct RecentLags: Sendable {
    private var ring = [Duration](repeating: .zero, count: 1024)
    private var count = 0

    mutating func record(_ lag: Duration) {
        ring[count % ring.count] = lag
        count += 1
    }

    func percentiles() -> (p50: Duration?, p99: Duration?) {
        guard count > 0 else { return (nil, nil) }
        let sorted = ring.prefix(min(count, ring.count)).sorted()
        return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])
    }
}
