import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Watches one source of any platform: polls each watched conversation when its schedule says so (the platform's
/// ``ConversationReader``), discovers conversations from its list endpoint when it has one (``ConversationLister``),
/// and turns every answer into stored snapshots and outbox events in one transaction.
///
/// A failed or unreadable answer never advances the snapshot: the conversation is retried with backoff. While the
/// outbox holds more than `maxBacklog` entries (Kafka is down or slow), polling pauses; nothing is dropped.
final class SourcePoller: Service, Sendable {
    let settings: BridgeConfiguration.Source
    let reader: any ConversationReader
    private let lister: (any ConversationLister)?
    /// Whether a conversation seen in the list for the first time is read in full before it is recorded (Jelou's
    /// Advisor list lacks fields Get Conversation has; Chatvolt's list items are complete).
    private let readsNewlyListed: Bool
    /// The fields both endpoints report: of an answer overtaken by a newer one, only the others are still news.
    private let sharedCoverage: Set<SnapshotField>
    private let http: SourceHTTPClient
    private let store: BridgeStore
    let spaceGate: StoreSpaceGate
    private let tracker: ConversationTracker
    private let time: TimeSource
    private let maxBacklog: Int
    private let outboxWritten: @Sendable () -> Void
    private let metrics: BridgeMetrics
    private let logger: Logger
    private let startedAt: Timestamp
    private let lastSuccess = Mutex<Timestamp?>(nil)
    private let lastFailure = Mutex<Timestamp?>(nil)
    private let paused = Mutex(false)
    private let random = Mutex(SplitMix64(seed: UInt64.random(in: .min ... .max)))
    private let counters = Mutex(PollerStatistics())
    let wake = WakeSignal()
    /// How often the loop looks for due polls when nothing wakes it.
    private let tick: Duration

    init(settings: BridgeConfiguration.Source, http: SourceHTTPClient, redactor: SecretRedactor, store: BridgeStore,
         encoder: CloudEventEncoder, time: TimeSource, maxBacklog: Int, tick: Duration = .milliseconds(200),
         outboxWritten: @escaping @Sendable () -> Void, metrics: BridgeMetrics, logger: Logger) {
        self.settings = settings
        self.metrics = metrics
        self.startedAt = time.wallClock
        self.http = http
        let clients = PlatformClients(source: settings, http: http, redactor: redactor)
        self.reader = clients.reader
        self.lister = clients.lister
        self.readsNewlyListed = clients.readsNewlyListed
        self.sharedCoverage = clients.reader.coverage.intersection(clients.lister?.coverage ?? [])
        self.store = store
        self.spaceGate = StoreSpaceGate(store: store, time: time)
        self.tracker = ConversationTracker(encoder: CloudEventEncoder(configuration: encoder.configuration),
                                           vanishAfterNotFound: settings.vanishAfterNotFound)
        self.time = time
        self.maxBacklog = maxBacklog
        self.tick = tick
        self.outboxWritten = outboxWritten
        var logger = logger
        logger[metadataKey: "source"] = "\(settings.name)"
        self.logger = logger
    }

    var source: String { settings.name }

    var statistics: PollerStatistics { counters.withLock { $0 } }

    func run() async throws {
        let now = time.wallClock
        for id in settings.conversationIDs {
            try store.write(source: source, conversationID: id, discoveredBy: "config", now: now) { tracked in
                ConversationWrite(tracked: tracked, poll: tracked.vanished ? .keep : .noLaterThan(now))
            }
        }
        try await untilGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await self.pollLoop() }
                if let lister = self.lister, let discovery = self.settings.discovery {
                    group.addTask { try await self.discoveryLoop(lister, discovery) }
                }
                try await group.waitForAll()
            }
        }
    }

    // MARK: Polling

    /// Waits while the outbox holds more than `maxBacklog` entries: Kafka is down or slower than the platforms.
    private func waitForBacklog() async throws {
        var paused = false
        while true {
            let backlog = try store.outboxCount()
            guard backlog > maxBacklog else {
                if paused { logger.notice("polling resumed", metadata: ["outbox": "\(backlog)"]) }
                return
            }
            if !paused { logger.warning("polling paused: Kafka is behind", metadata: ["outbox": "\(backlog)", "max_backlog": "\(maxBacklog)"]) }
            paused = true
            counters.withLock { $0.backlogPauses += 1 }
            try await time.sleep(for: .seconds(1))
        }
    }

    /// An operator paused this source (admin API): no polls and no discovery until resumed; webhooks still land.
    var isPaused: Bool { paused.withLock { $0 } }

    func setPaused(_ value: Bool) {
        paused.withLock { $0 = value }
        logger.notice(value ? "source paused by an operator" : "source resumed by an operator")
        wake.signal()
    }

    private func waitWhilePaused() async {
        while isPaused && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(200)) }
    }

    private func pollLoop() async throws {
        while !Task.isCancelled {
            await waitWhilePaused()
            try await spaceGate.waitUntilWritable("polling", logger: logger)
            try await waitForBacklog()
            let due = try store.duePolls(source: source, now: time.wallClock, limit: http.policy.maxConcurrentRequests * 4)
            if due.isEmpty {
                await wake.wait(timeout: tick, clock: ContinuousClock())
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                var next = due.makeIterator()
                for _ in 0..<min(due.count, http.policy.maxConcurrentRequests) {
                    if let id = next.next() { group.addTask { await self.poll(id) } }
                }
                while await group.next() != nil {
                    if let id = next.next() { group.addTask { await self.poll(id) } }
                }
            }
        }
    }

    /// Polls one conversation and records the answer. Errors are counted and logged, never thrown: one bad
    /// conversation or answer must not stop the others.
    func poll(_ conversationID: String) async {
        // The store's disk filled up since this batch was read: the answer could not be kept, so do not ask.
        guard !store.isDiskFull else { return }
        let requestedAt = time.wallClock
        let outcome: ConversationTracker.Outcome
        do {
            switch try await reader.fetch(conversationID: conversationID) {
            case .found(let observed): outcome = .observed(observed)
            case .notFound: outcome = .notFound
            }
        } catch is CancellationError {
            return
        } catch {
            await recordFailure(conversationID, error)
            return
        }
        do {
            try record(outcome, conversationID: conversationID, requestedAt: requestedAt, discoveredBy: "poll")
        } catch {
            logger.error("could not store an observation; it will be polled again", metadata: ["conversation_id": "\(conversationID)", "error": "\(error)"])
        }
    }

    private func record(_ outcome: ConversationTracker.Outcome, conversationID: String, requestedAt: Timestamp, discoveredBy: String) throws {
        let now = time.wallClock
        let observation = Observation(source: source, id: UUID().uuidString.lowercased(), observedAt: now, raw: outcome.raw)
        var applied: (before: ConversationSnapshot?, result: ConversationTracker.Result)?
        let written = try store.write(source: source, conversationID: conversationID, discoveredBy: discoveredBy, now: now) { tracked in
            // A newer request's answer was applied meanwhile (a poll racing a discovery walk): of this one, only what
            // the other endpoint cannot know is still news. Applying the rest would move the state back and invent
            // a transition.
            if tracked.isStale(requestedAt: requestedAt) {
                guard case .observed(let observed) = outcome else { return ConversationWrite(tracked: tracked, poll: .keep) }
                let result = tracker.apply(.observed(observed.excluding(sharedCoverage)), to: tracked, observation: observation)
                applied = (tracked.snapshot, result)
                return ConversationWrite(tracked: result.tracked, records: result.records, poll: .keep)
            }
            var result = tracker.apply(outcome, to: tracked, observation: observation)
            result.tracked.lastObservedAt = requestedAt
            applied = (tracked.snapshot, result)
            let next = random.withLock { settings.schedule.nextPoll(of: result.tracked, now: now, using: &$0) }
            // Unscheduled while this poll was in flight (an operator removed it): the answer counts, the removal stays.
            if discoveredBy == "poll" && !tracked.isScheduled && tracked.snapshot != nil {
                return ConversationWrite(tracked: result.tracked, records: result.records, poll: .keep)
            }
            return ConversationWrite(tracked: result.tracked, records: result.records, poll: next.map(PollPlan.at) ?? .retire)
        }
        counters.withLock {
            $0.polls += 1
            $0.events += written.records.count(where: { $0.topic != tracker.encoder.configuration.stateTopic })
        }
        lastSuccess.withLock { $0 = max($0 ?? now, now) }
        metrics.pollSucceeded(source: source, at: now)
        if let applied {
            for event in applied.result.events { metrics.event(event) }
            let key = "time_replied_operator_ms"
            if applied.before?.attributes[key] == nil || applied.before?.attributes[key] == .null,
               let replied = applied.result.tracked.snapshot?.attributes[key]?.int64Value {
                metrics.operatorFirstReply(source: source, milliseconds: replied)
            }
        }
        if !written.records.isEmpty { outboxWritten() }
    }

    /// Counts a request that gave no observation, for statistics, metrics and readiness.
    private func countFailure(_ error: any Error) {
        let kind = (error as? SourceError)?.kind ?? "other"
        counters.withLock { $0.failures[kind, default: 0] += 1 }
        lastFailure.withLock { $0 = time.wallClock }
        metrics.pollFailed(source: source, kind: kind)
    }

    private func recordFailure(_ conversationID: String, _ error: any Error) async {
        countFailure(error)
        let now = time.wallClock
        do {
            try store.write(source: source, conversationID: conversationID, discoveredBy: "poll", now: now) { tracked in
                var tracked = tracked
                tracked.consecutiveFailures += 1
                var retryAt = random.withLock { settings.schedule.nextPollAfterFailure(failures: tracked.consecutiveFailures, now: now, using: &$0) }
                if case .circuitOpen(let retryIn)? = error as? SourceError {
                    retryAt = max(retryAt, now.adding(milliseconds: retryIn.wholeMilliseconds))
                }
                return ConversationWrite(tracked: tracked, poll: .at(retryAt))
            }
        } catch {
            logger.error("could not store a failed poll", metadata: ["conversation_id": "\(conversationID)", "error": "\(error)"])
        }
        logger.warning("poll failed; the snapshot is unchanged and the conversation will be polled again",
                       metadata: ["conversation_id": "\(conversationID)", "error": "\(error)"])
    }

    // MARK: Discovery

    private func discoveryLoop(_ lister: any ConversationLister, _ settings: BridgeConfiguration.Discovery) async throws {
        while !Task.isCancelled {
            await waitWhilePaused()
            try await spaceGate.waitUntilWritable("discovery", logger: logger)
            try await waitForBacklog()
            await discover(lister, settings)
            try await time.sleep(for: settings.interval)
        }
    }

    /// One walk of the list endpoint over the sliding window. Where listed conversations are partial (Jelou's
    /// Advisor list), one seen for the first time is read in full at once, so that its `conversation.discovered`
    /// carries everything both endpoints know.
    func discover(_ lister: any ConversationLister, _ settings: BridgeConfiguration.Discovery) async {
        let requestedAt = time.wallClock
        let range = settings.window.range(previousEnd: (try? store.discoveryWindowEnd(source: source)) ?? nil, now: requestedAt)
        let listed: [ObservedConversation]
        do {
            listed = try await lister.list(range: range)
        } catch is CancellationError {
            return
        } catch {
            countFailure(error)
            logger.warning("discovery failed; the window will be asked again", metadata: ["error": "\(error)"])
            return
        }
        var allStored = true
        for observed in listed {
            var observation = observed
            if readsNewlyListed, (try? store.conversation(source: source, conversationID: observed.conversationID))??.snapshot == nil,
               case .found(let full)? = try? await reader.fetch(conversationID: observed.conversationID) {
                observation = observed.combined(with: full)
            }
            do {
                try record(.observed(observation), conversationID: observed.conversationID, requestedAt: requestedAt, discoveredBy: "discovery")
            } catch {
                allStored = false
                logger.error("could not store a discovered conversation; the window will be asked again", metadata: ["conversation_id": "\(observed.conversationID)", "error": "\(error)"])
            }
        }
        counters.withLock { $0.discoveries += 1 }
        // The window moves on only once everything it listed is stored, so a refused write cannot lose a discovery.
        if allStored { try? store.setDiscoveryWindowEnd(source: source, range.end) }
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
        let paused = http.isPaused
        metrics.setCircuitOpen(source: source, paused)
        // A source an operator paused is not polled on purpose: it does not make the bridge unready.
        return SourceHealth(source: source, ready: (fresh || isPaused) && !paused, circuitOpen: paused, lastSuccess: last)
    }

    /// A webhook scheduled a conversation for now (in the store): look for due polls without waiting for the tick.
    func pollDueNow() {
        wake.signal()
    }
}

/// A source's part of the readiness probe.
struct SourceHealth: Sendable, Hashable {
    var source: String
    var ready: Bool
    var circuitOpen: Bool
    var lastSuccess: Timestamp?
}

/// What a source's poller has done since start.
struct PollerStatistics: Sendable, Hashable {
    var polls = 0
    var events = 0
    var discoveries = 0
    var backlogPauses = 0
    var failures: [String: Int] = [:]
}

extension ConversationTracker.Outcome {
    var raw: JSONValue? {
        if case .observed(let observed) = self { return observed.raw }
        return nil
    }
}
