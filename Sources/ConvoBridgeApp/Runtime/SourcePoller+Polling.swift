import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeStore
import Foundation
import Logging
import Prometheus
import Synchronization

extension SourcePoller {
    /// Polls one conversation and records the answer. Errors are counted, logged and rescheduled, never thrown:
    /// one bad conversation or answer must not stop the others.
    func poll(_ conversationID: String) async {
        // The store's disk filled up since this poll was dispatched: the answer could not be kept, so do not ask.
        guard !store.isDiskFull else { return finish(conversationID, at: time.wallClock) }
        let requestedAt = time.wallClock
        // The body behind the stored snapshot: the same bytes again are not even parsed.
        let known = engine.withLock { engine in engine.memos[conversationID].flatMap { $0.canSkipUnchanged ? $0.fingerprint : nil } }
        let answer: ConversationRead
        do {
            answer = try await reader.read(conversationID: conversationID, unlessFingerprint: known)
        } catch {
            if error is CancellationError || Task.isCancelled { return finish(conversationID, at: requestedAt) }
            return failed(conversationID, error)
        }
        let answeredAt = time.wallClock
        let memo = engine.withLock { $0.memos[conversationID] }
        var outcome: ConversationTracker.Outcome
        var times = (requestedAt: requestedAt, answeredAt: answeredAt)
        switch answer.fetch {
        case .unchanged:
            guard let memo, memo.canSkipUnchanged, memo.fingerprint == known else {
                // A list row changed what the store holds while the request was out: read it in full at once.
                engine.withLock { $0.finished(conversationID, nextDueAt: answeredAt) }
                return
            }
            return unchanged(conversationID, memo: memo, requestedAt: requestedAt, answeredAt: answeredAt)
        case .found(let observed):
            // Newly listed: the row and the full read make one observation, of the full read's time.
            outcome = .observed(memo?.pendingListing.map { $0.observation.combined(with: observed) } ?? observed)
        case .notFound:
            if let pending = memo?.pendingListing {
                // Listed, then gone by the time it was read: what the list said, as of the list's answer.
                outcome = .observed(pending.observation)
                times = (pending.requestedAt, pending.answeredAt)
            } else {
                outcome = .notFound
            }
        }
        let fingerprint: Int? = if case .found = answer.fetch { answer.bodyFingerprint } else { nil }
        do {
            try await record(
                outcome, conversationID: conversationID, requestedAt: times.requestedAt, answeredAt: times.answeredAt,
                discoveredBy: memo?.pendingListing == nil ? .poll : .discovery, fingerprint: fingerprint, fromPoll: true)
        } catch {
            logger.error(
                "could not store an observation; it will be polled again", metadata: ["conversation_id": "\(conversationID)", "error": "\(error)"])
            failed(conversationID, error, counted: false)
        }
    }

    /// The same payload as the last one applied: the snapshot cannot have changed. Nothing is written; the new
    /// schedule is saved by the next flush.
    private func unchanged(_ conversationID: String, memo: PollEngineState.Memo, requestedAt: Timestamp, answeredAt: Timestamp) {
        let next = random.withLock { settings.schedule.nextPoll(of: memo.facts, now: answeredAt, using: &$0) }
        engine.withLock { engine in
            engine.memos[conversationID]?.lastObservedAt = max(memo.lastObservedAt ?? requestedAt, requestedAt)
            engine.memos[conversationID]?.consecutiveFailures = 0
            engine.finished(conversationID, nextDueAt: next)
        }
        sourceMetrics.polls.increment()
        succeeded(at: answeredAt)
    }

    /// Applies an answer in the store, against the conversation's stored state, and schedules what follows.
    /// - Parameter fromPoll: the answer of this conversation's poll (in flight in the scheduler), rather than a
    ///   row of a list page.
    func record(
        _ outcome: ConversationTracker.Outcome, conversationID: String, requestedAt: Timestamp, answeredAt: Timestamp,
        discoveredBy: DiscoveredBy, fingerprint: Int?, fromPoll: Bool
    ) async throws {
        let observation = Observation(source: source, id: UUID().uuidString.lowercased(), observedAt: answeredAt, raw: outcome.raw)
        let known = engine.withLock { $0.memos[conversationID]?.lastObservedAt }
        let (written, outcomeApplied) = try await store.write(
            source: source, conversationID: conversationID, discoveredBy: discoveredBy, now: answeredAt
        ) { stored in
            var tracked = stored
            if let known, tracked.lastObservedAt.map({ $0 < known }) ?? true { tracked.lastObservedAt = known }
            let next: Timestamp?
            let result: ConversationTracker.Result
            let stale = tracked.isStale(requestedAt: requestedAt)
            if stale {
                // A newer request's answer was applied meanwhile (a poll racing a list page): of this one, only what
                // the other endpoint cannot know is still news. Applying the rest would move the state back and
                // invent a transition.
                guard case .observed(let observed) = outcome else {
                    let plan: PollPlan = fromPoll ? .at(self.nextPoll(of: tracked, now: answeredAt) ?? answeredAt) : .keep
                    return (ConversationWrite(tracked: tracked, poll: plan), AppliedAnswer?.none)
                }
                result = self.tracker.apply(.observed(observed.excluding(self.sharedCoverage)), to: tracked, observation: observation)
                next = self.nextPoll(of: result.tracked, now: answeredAt)
            } else {
                var fresh = self.tracker.apply(outcome, to: tracked, observation: observation)
                fresh.tracked.lastObservedAt = requestedAt
                result = fresh
                next = self.nextPoll(of: result.tracked, now: answeredAt)
            }
            // A list row for a conversation already scheduled leaves its schedule alone; a new one is scheduled.
            let plan: PollPlan = if fromPoll || stored.snapshot == nil { next.map(PollPlan.at) ?? .retire } else { .keep }
            return (
                ConversationWrite(tracked: result.tracked, records: result.records, poll: plan),
                AppliedAnswer(before: tracked.snapshot, result: result, stale: stale)
            )
        }
        let next: Timestamp? =
            switch written.poll {
            case .at(let at), .noLaterThan(let at): at
            case .retire: nil
            case .keep: nil
            }
        // Released meanwhile (replicas): its memo and schedule are the partition's new owner's business.
        let owned = isOwned(conversationID)
        engine.withLock { engine in
            guard owned else { return }
            var memo = engine.memos[conversationID] ?? PollEngineState.Memo()
            let changed = outcomeApplied.map { $0.before != $0.result.tracked.snapshot } ?? false
            memo.facts = PollFacts(written.tracked)
            memo.hasSnapshot = written.tracked.snapshot != nil
            memo.lastObservedAt = max(memo.lastObservedAt ?? requestedAt, written.tracked.lastObservedAt ?? requestedAt)
            memo.consecutiveFailures = 0
            if fromPoll {
                memo.pendingListing = nil
                // Only a fresh answer of this endpoint, fully applied, vouches for the snapshot.
                memo.fingerprint = outcomeApplied?.stale == false ? fingerprint : nil
            } else if changed {
                memo.fingerprint = nil
            }
            engine.memos[conversationID] = memo
            if fromPoll {
                engine.finished(conversationID, nextDueAt: written.tracked.vanished ? nil : next, saved: true)
            } else if case .at(let at) = written.poll, !written.tracked.vanished {
                engine.scheduler.own(conversationID, dueAt: at)
            }
        }
        if fromPoll { sourceMetrics.polls.increment() }
        succeeded(at: answeredAt)
        if let outcomeApplied {
            for event in outcomeApplied.result.events { metrics.event(event) }
            let key = "time_replied_operator_ms"
            if outcomeApplied.before?.attributes[key] == nil || outcomeApplied.before?.attributes[key] == .null,
                let replied = outcomeApplied.result.tracked.snapshot?.attributes[key]?.int64Value
            {
                metrics.operatorFirstReply(source: source, milliseconds: replied)
            }
        }
        if !written.records.isEmpty { outboxWritten() }
    }

    private func nextPoll(of tracked: TrackedConversation, now: Timestamp) -> Timestamp? {
        random.withLock { settings.schedule.nextPoll(of: tracked, now: now, using: &$0) }
    }

    private func succeeded(at time: Timestamp) {
        failureRate.withLock { $0.record(failed: false) }
        lastSuccess.withLock { $0 = max($0 ?? time, time) }
        sourceMetrics.lastSuccess.set(to: Double(time.millisecondsSinceEpoch) / 1000)
    }

    /// Puts a conversation whose poll did not happen back as due at `at`.
    private func finish(_ conversationID: String, at: Timestamp) {
        engine.withLock { $0.finished(conversationID, nextDueAt: at) }
    }

    /// Counts a request that gave no observation, for metrics and readiness.
    func countFailure(_ error: any Error) {
        failureRate.withLock { $0.record(failed: true) }
        let kind = (error as? SourceError)?.kind ?? "other"
        lastFailure.withLock { $0 = time.wallClock }
        metrics.pollFailed(source: source, kind: kind)
    }

    /// A failed attempt goes back into the schedule: soon for the first few (quick, jittered), then on the
    /// failure backoff; never before the platform's `Retry-After`, nor before the circuit's next probe.
    private func failed(_ conversationID: String, _ error: any Error, counted: Bool = true) {
        if counted { countFailure(error) }
        let now = time.wallClock
        let sporadic = failureRate.withLock { $0.isSporadic }
        guard isOwned(conversationID) else { return }  // released meanwhile (replicas)
        let (failures, retryAt) = engine.withLock { engine -> (Int, Timestamp) in
            var memo = engine.memos[conversationID] ?? PollEngineState.Memo()
            memo.consecutiveFailures += 1
            engine.memos[conversationID] = memo
            var retryAt = random.withLock {
                settings.schedule.nextAttemptAfterFailure(
                    failures: memo.consecutiveFailures, retry: http.policy.retry, sporadic: sporadic,
                    facts: memo.facts, now: now, using: &$0)
            }
            let source = error as? SourceError
            if let retryAfter = source?.retryAfter { retryAt = max(retryAt, now.adding(milliseconds: retryAfter.wholeMilliseconds)) }
            if case .circuitOpen(let retryIn)? = source { retryAt = max(retryAt, now.adding(milliseconds: retryIn.wholeMilliseconds)) }
            engine.finished(conversationID, nextDueAt: retryAt)
            return (memo.consecutiveFailures, retryAt)
        }
        sourceMetrics.retries.increment()
        let metadata: Logger.Metadata = [
            "conversation_id": "\(conversationID)", "error": "\(error)", "failures": "\(failures)",
            "retry_in_ms": "\(retryAt.millisecondsSinceEpoch - now.millisecondsSinceEpoch)",
        ]
        // A bad answer among good ones is routine (debug); one that keeps failing past the quick retries is news,
        // told when it starts and then at 2, 4, 8… more failures, not at every poll of a poisoned conversation.
        let past = failures - http.policy.retry.maxAttempts
        if past >= 0 && past & (past - 1) == 0 {
            logger.warning("poll failed again; the snapshot is unchanged and the conversation will be polled again", metadata: metadata)
        } else {
            logger.debug("poll failed; retrying soon", metadata: metadata)
        }
    }
}

/// What one answer did to the stored conversation.
struct AppliedAnswer: Sendable {
    var before: ConversationSnapshot?
    var result: ConversationTracker.Result
    /// Overtaken by a newer request's answer: only the fields the other endpoint lacks were applied.
    var stale: Bool
}

extension ConversationTracker.Outcome {
    var raw: JSONValue? {
        if case .observed(let observed) = self { return observed.raw }
        return nil
    }
}
