/// The deliveries of one webhook subscription, as a state machine without I/O: events in (an event read, an attempt's
/// result, a dead-letter written, time passing, the operator's pause), actions out (send, dead-letter, commit).
///
/// Per conversation (the record key) events go one at a time in read order: the next is not sent before the one
/// ahead of it was delivered or dead-lettered. Different conversations go in parallel, up to `maxConcurrency`
/// attempts in flight. A failed attempt waits its turn in the retry schedule; after the last, the event is
/// dead-lettered and the conversation goes on. Offsets are committed only past events that are done.
///
/// Time is milliseconds on a monotonic clock the caller reads (`now`), so tests drive it.
public struct SubscriptionDeliveryMachine: Sendable {
    public enum Status: Sendable, Hashable, CustomStringConvertible {
        case active
        /// By the operator: nothing is sent until resumed; events keep being read up to the pending limit.
        case paused
        /// By the receiver (410 Gone): nothing is sent until the operator resumes the subscription.
        case disabled(reason: String)

        public var description: String {
            switch self {
            case .active: "active"
            case .paused: "paused"
            case .disabled(let reason): "disabled: \(reason)"
            }
        }
    }

    public enum Action: Sendable, Hashable {
        /// POST `item`; report the result with `attemptFinished(token:…)`. `attempt` counts from 1.
        case send(DeliveryItem, attempt: Int, token: UInt64)
        /// Write `item` to the dead-letter topic; report with `deadLettered(token:)`.
        case deadLetter(DeliveryItem, attempts: Int, lastFailure: DeliveryAttemptResult, token: UInt64)
        /// Commit `offset` (the next to read) for `partition`.
        case commit(partition: Int32, offset: Int64)
        /// The receiver answered 410 Gone: the subscription is disabled.
        case disable(reason: String)
    }

    /// One conversation's queue: its head is in flight, waiting for a retry, being dead-lettered, or ready.
    struct Lane: Sendable {
        enum Phase: Sendable, Hashable {
            case ready
            case inFlight(token: UInt64)
            case waiting(token: UInt64, until: Int64)
            case deadLettering(token: UInt64)
        }

        var items: [DeliveryItem]
        var head = 0
        var failedAttempts = 0
        var phase: Phase = .ready
        var lastFailure: DeliveryAttemptResult?

        var first: DeliveryItem { items[head] }
        var count: Int { items.count - head }

        mutating func popFirst() -> DeliveryItem {
            let item = items[head]
            head += 1
            if head > 64, head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            failedAttempts = 0
            lastFailure = nil
            phase = .ready
            return item
        }
    }

    public let maxConcurrency: Int
    public let schedule: DeliveryRetrySchedule
    public private(set) var status: Status = .active
    private var lanes: [String: Lane] = [:]
    private var ready: [String] = []
    private var readyHead = 0
    private var retries = DueHeap()
    private var offsets: [Int32: PartitionOffsets] = [:]
    private var inFlightTokens: Set<UInt64> = []
    /// The lane each live token (in flight, waiting, dead-lettering) belongs to.
    private var owners: [UInt64: String] = [:]
    private var nextToken: UInt64 = 0
    /// The last token given out before the latest resume: a 410 to one of those attempts is the answer the operator
    /// resumed after, so it does not disable the subscription again.
    private var lastTokenBeforeResume: UInt64 = 0
    /// Events queued and not yet done (in flight, waiting, ready).
    public private(set) var pending = 0
    /// Events read that an earlier reader of their partition had already finished: not sent again.
    public private(set) var skippedAsDoneBefore = 0

    public init(maxConcurrency: Int, schedule: DeliveryRetrySchedule) {
        self.maxConcurrency = max(1, maxConcurrency)
        self.schedule = schedule
    }

    // MARK: Events

    /// An event read from the topic. `matches`: whether the subscription's filter takes it; one that does not is done
    /// at once (it only moves the commit point).
    public mutating func received(_ item: DeliveryItem, matches: Bool, now: Int64) -> [Action] {
        var actions: [Action] = []
        if let offset = item.offset {
            switch offsets[item.partition, default: PartitionOffsets()].track(offset) {
            case .readAgain: return []
            case .doneBefore:
                skippedAsDoneBefore += 1
                finish(partition: item.partition, offset: offset, into: &actions)
                return actions
            case .new: break
            }
            if !matches {
                finish(partition: item.partition, offset: offset, into: &actions)
                return actions
            }
        } else if !matches {
            return []
        }
        pending += 1
        if lanes[item.conversationKey] == nil {
            lanes[item.conversationKey] = Lane(items: [item])
            ready.append(item.conversationKey)
        } else {
            lanes[item.conversationKey]!.items.append(item)
        }
        dispatch(now: now, into: &actions)
        return actions
    }

    /// A record that is no event (it cannot be read as one): done, so the commit point moves past it.
    public mutating func skipped(partition: Int32, offset: Int64) -> [Action] {
        guard offsets[partition, default: PartitionOffsets()].track(offset) != .readAgain else { return [] }
        var actions: [Action] = []
        finish(partition: partition, offset: offset, into: &actions)
        return actions
    }

    /// The result of the attempt `send` started with `token`. A result for a lane given up since (its partition
    /// revoked) is ignored.
    public mutating func attemptFinished(token: UInt64, result: DeliveryAttemptResult, now: Int64) -> [Action] {
        inFlightTokens.remove(token)
        var actions: [Action] = []
        guard let key = owners.removeValue(forKey: token), lanes[key]?.phase == .inFlight(token: token) else {
            dispatch(now: now, into: &actions)
            return actions
        }
        switch result {
        case .delivered:
            completeHead(of: key, into: &actions)
        case .gone:
            lanes[key]!.phase = .ready
            lanes[key]!.lastFailure = result
            ready.append(key)
            if token > lastTokenBeforeResume, status == .active || status == .paused {
                let reason = "the receiver answered 410 Gone"
                status = .disabled(reason: reason)
                actions.append(.disable(reason: reason))
            }
        case .rejected(_, let retryAfter):
            fail(key, result, retryAfter: retryAfter, now: now, into: &actions)
        case .timedOut, .failed:
            fail(key, result, retryAfter: nil, now: now, into: &actions)
        }
        dispatch(now: now, into: &actions)
        return actions
    }

    /// The dead-letter record of `token` is written: the conversation goes on.
    public mutating func deadLettered(token: UInt64, now: Int64) -> [Action] {
        var actions: [Action] = []
        if let key = owners.removeValue(forKey: token), lanes[key]?.phase == .deadLettering(token: token) {
            completeHead(of: key, into: &actions)
        }
        dispatch(now: now, into: &actions)
        return actions
    }

    /// Time passed: retries that are due become ready.
    public mutating func tick(now: Int64) -> [Action] {
        var actions: [Action] = []
        dispatch(now: now, into: &actions)
        return actions
    }

    public mutating func pause() { if status == .active { status = .paused } }

    /// Resumes a paused or disabled subscription.
    public mutating func resume(now: Int64) -> [Action] {
        status = .active
        lastTokenBeforeResume = nextToken
        var actions: [Action] = []
        dispatch(now: now, into: &actions)
        return actions
    }

    /// `partition` was assigned with these offsets already done by its previous reader (``DoneOffsets`` in the
    /// committed metadata): they are finished without being sent when read.
    public mutating func assigned(_ partition: Int32, doneBefore: Set<Int64>) {
        offsets[partition, default: PartitionOffsets()].finishedBefore(doneBefore)
    }

    /// What to commit for `partition`: its commit point, and as metadata its offsets done beyond it (read together,
    /// so the metadata's distances are from that very offset). nil before anything of it is done.
    public func commitPosition(partition: Int32) -> (offset: Int64, metadata: String)? {
        guard let partitionOffsets = offsets[partition], let point = partitionOffsets.commitPoint else { return nil }
        return (point, DoneOffsets.encode(partitionOffsets.doneBeyondCommitPoint, above: point))
    }

    /// The consumer lost `partitions` (a rebalance): their conversations are dropped unfinished (the new owner
    /// reads them again from the committed offset); results of their attempts in flight will be ignored.
    public mutating func revoked(_ partitions: Set<Int32>) {
        for (key, lane) in lanes where partitions.contains(lane.first.partition) {
            pending -= lane.count
            if case .waiting = lane.phase { retrying -= 1 }
            lanes[key] = nil
        }
        for partition in partitions { offsets[partition] = nil }
        ready = ready[readyHead...].filter { lanes[$0] != nil }
        readyHead = 0
        retries.compact { node in lanes[node.conversationID] != nil }
        owners = owners.filter { lanes[$0.value] != nil }
    }

    // MARK: Readings

    /// The monotonic time of the next retry, if one waits.
    public mutating func nextRetryAt() -> Int64? {
        while let top = retries.top {
            if case .waiting(let token, _) = lanes[top.conversationID]?.phase, token == top.generation { return top.dueAt }
            retries.pop()
        }
        return nil
    }

    public var inFlight: Int { inFlightTokens.count }
    /// Conversations whose head waits for a retry.
    public private(set) var retrying = 0
    /// The time of the oldest event not yet done (by its own time), for the age of the backlog.
    public var oldestPendingTime: Timestamp? { lanes.values.compactMap(\.first.time).min() }
    /// Conversations with events pending.
    public var conversations: Int { lanes.count }

    // MARK: Internals

    private mutating func fail(_ key: String, _ result: DeliveryAttemptResult, retryAfter: Duration?, now: Int64, into actions: inout [Action]) {
        lanes[key]!.failedAttempts += 1
        lanes[key]!.lastFailure = result
        let failed = lanes[key]!.failedAttempts
        let token = makeToken()
        if let delay = schedule.delay(afterFailedAttempts: failed, retryAfter: retryAfter) {
            let due = now.addingSaturated(Int64(delay.wholeMilliseconds))
            lanes[key]!.phase = .waiting(token: token, until: due)
            retrying += 1
            owners[token] = key
            retries.push(.init(dueAt: due, generation: token, conversationID: key))
        } else {
            lanes[key]!.phase = .deadLettering(token: token)
            owners[token] = key
            actions.append(.deadLetter(lanes[key]!.first, attempts: failed, lastFailure: result, token: token))
        }
    }

    private mutating func completeHead(of key: String, into actions: inout [Action]) {
        let item = lanes[key]!.popFirst()
        pending -= 1
        if lanes[key]!.count == 0 {
            lanes[key] = nil
        } else {
            ready.append(key)
        }
        if let offset = item.offset { finish(partition: item.partition, offset: offset, into: &actions) }
    }

    private mutating func finish(partition: Int32, offset: Int64, into actions: inout [Action]) {
        if let point = offsets[partition]?.finish(offset) { actions.append(.commit(partition: partition, offset: point)) }
    }

    /// Moves due retries to the ready queue, then starts attempts while the subscription is active and below its
    /// concurrency.
    private mutating func dispatch(now: Int64, into actions: inout [Action]) {
        while let top = retries.top, top.dueAt <= now {
            retries.pop()
            guard case .waiting(let token, _) = lanes[top.conversationID]?.phase, token == top.generation else { continue }
            owners[token] = nil
            retrying -= 1
            lanes[top.conversationID]!.phase = .ready
            ready.append(top.conversationID)
        }
        guard status == .active else { return }
        while inFlightTokens.count < maxConcurrency, readyHead < ready.count {
            let key = ready[readyHead]
            readyHead += 1
            guard let lane = lanes[key], lane.phase == .ready else { continue }
            let token = makeToken()
            lanes[key]!.phase = .inFlight(token: token)
            inFlightTokens.insert(token)
            owners[token] = key
            actions.append(.send(lane.first, attempt: lane.failedAttempts + 1, token: token))
        }
        if readyHead > 1024, readyHead * 2 > ready.count {
            ready.removeFirst(readyHead)
            readyHead = 0
        }
    }

    private mutating func makeToken() -> UInt64 {
        nextToken += 1
        return nextToken
    }
}
