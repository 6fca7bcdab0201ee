import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeStore
import Logging
import Prometheus
import Synchronization

extension SourcePoller {
    func discoveryLoop(_ lister: any ConversationLister, _ settings: BridgeConfiguration.Discovery) async throws {
        while !Task.isCancelled {
            // With replicas, one of them walks the list: the owner of the source's partition.
            if let ownership, !ownership.ownsDiscovery(of: source) {
                try await time.sleep(for: .seconds(1))
                continue
            }
            await waitWhilePaused()
            try await spaceGate.waitUntilWritable("discovery", logger: logger)
            try await waitForBacklog()
            try await discover(lister, settings)
            try await time.sleep(for: settings.interval)
        }
    }

    /// One walk of the list endpoint over the sliding window, page by page. Each page's rows are observations as of
    /// that page's request, applied as soon as it answers; a conversation new to the store goes into the schedule
    /// as due now (read in full first where list rows are partial: Jelou's Advisor list), so new conversations are
    /// read concurrently and paced with every other request of the source.
    ///
    /// A failed page is asked again on its own, from its page number or cursor, after the retry policy's backoff;
    /// after `retry.maxAttempts` failures in a row the walk is given up and the window is asked again next time.
    func discover(_ lister: any ConversationLister, _ settings: BridgeConfiguration.Discovery) async throws {
        let started = time.wallClock
        let range = settings.window.range(previousEnd: (try? await store.discoveryWindowEnd(source: source)) ?? nil, now: started)
        var cursor: ListCursor? = .first
        var failures = 0
        var allStored = true
        while let current = cursor {
            try Task.checkCancellation()
            let requestedAt = time.wallClock
            let page: ListPage
            do {
                page = try await lister.page(current, of: range)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                countFailure(error)
                failures += 1
                let retry = http.policy.retry
                guard let delay = random.withLock({ retry.delay(beforeRetry: failures, retryAfter: (error as? SourceError)?.retryAfter, using: &$0) })
                else {
                    logger.warning(
                        "discovery gave up this walk; the window will be asked again",
                        metadata: [
                            "page": "\(current.page)", "failures": "\(failures)", "error": "\(error)",
                        ])
                    return
                }
                sourceMetrics.retries.increment()
                logger.debug(
                    "discovery page failed; asking it again",
                    metadata: [
                        "page": "\(current.page)", "error": "\(error)",
                        "retry_in_ms": "\(delay.wholeMilliseconds)",
                    ])
                try await time.sleep(for: delay)
                continue
            }
            failures = 0
            let answeredAt = time.wallClock
            if !(await receive(page, requestedAt: requestedAt, answeredAt: answeredAt)) { allStored = false }
            cursor = page.next
        }
        // The window moves on only once everything it listed is stored, so a refused write cannot lose a discovery.
        if allStored { try? await store.setDiscoveryWindowEnd(source: source, range.end) }
    }

    /// Applies one page: rows of known conversations (and, where rows are complete, new ones) are stored at once,
    /// together (one group-committed transaction); new ones whose rows are partial are scheduled for a full read.
    /// Returns whether everything was stored.
    private func receive(_ page: ListPage, requestedAt: Timestamp, answeredAt: Timestamp) async -> Bool {
        var rows = page.conversations.keepingLastOfEachConversation()
        if let ownership {
            // Rows of conversations another replica owns: a watch record each, and their owner polls them.
            let source = self.source
            let others = rows.filter { !ownership.owns(source: source, conversationID: $0.conversationID) }
            rows.removeAll { !ownership.owns(source: source, conversationID: $0.conversationID) }
            // Each once: its watch record stays on the compacted watch topic, and its owner reads it from there.
            let unseen = handedOffByDiscovery.withLock { seen in Set(others.map(\.conversationID)).filter { !seen.contains($0) } }
            do {
                try await ownership.handOff(
                    unseen.sorted().map { WatchRecord(source: source, conversationID: $0, origin: DiscoveredBy.discovery.rawValue) })
            } catch {
                logger.error("could not hand listed conversations to their owners; the window will be asked again", metadata: ["error": "\(error)"])
                return false
            }
            handedOffByDiscovery.withLock { seen in
                // Bounded: past the limit, every conversation is handed off once more.
                if seen.count + unseen.count > Self.handedOffMemory { seen.removeAll() }
                seen.formUnion(unseen)
            }
        }
        var toStore: [ObservedConversation] = []
        var toRead: [String] = []
        var discovered = 0
        engine.withLock { engine in
            for observed in rows {
                let id = observed.conversationID
                let memo = engine.memos[id]
                if memo == nil { discovered += 1 }
                guard readsNewlyListed, memo?.hasSnapshot != true else {
                    toStore.append(observed)
                    continue
                }
                // Seen for the first time: read it in full now, with every other due poll.
                engine.memos[id, default: PollEngineState.Memo()].pendingListing =
                    PollEngineState.PendingListing(observation: observed, requestedAt: requestedAt, answeredAt: answeredAt)
                engine.scheduler.schedule(id, noLaterThan: requestedAt)
                toRead.append(id)
            }
        }
        if discovered > 0 {
            sourceMetrics.discovered.increment(by: Int64(discovered))
            wake.signal()
        }
        return await withTaskGroup(of: Bool.self) { group in
            // Conversations waiting for their full read are on the watch list from now on, so a crash before the read
            // loses none of them (the window moves on once everything it listed is stored).
            for id in toRead {
                group.addTask {
                    do {
                        try await self.store.write(source: self.source, conversationID: id, discoveredBy: .discovery, now: answeredAt) { tracked in
                            ConversationWrite(tracked: tracked, poll: tracked.vanished ? .keep : .noLaterThan(requestedAt))
                        }
                        return true
                    } catch {
                        self.logger.error(
                            "could not store a listed conversation; the window will be asked again",
                            metadata: ["conversation_id": "\(id)", "error": "\(error)"])
                        return false
                    }
                }
            }
            for observed in toStore {
                group.addTask {
                    do {
                        try await self.record(
                            .observed(observed), conversationID: observed.conversationID, requestedAt: requestedAt,
                            answeredAt: answeredAt, discoveredBy: .discovery, fingerprint: nil, fromPoll: false)
                        return true
                    } catch {
                        self.logger.error(
                            "could not store a listed conversation; the window will be asked again",
                            metadata: ["conversation_id": "\(observed.conversationID)", "error": "\(error)"])
                        return false
                    }
                }
            }
            return await group.reduce(true) { $0 && $1 }
        }
    }
}
