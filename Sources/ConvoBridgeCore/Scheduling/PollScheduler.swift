/// Which owned conversation is polled next, and when: the poll engine's schedule, held in memory.
///
/// A state machine without I/O or clocks: the engine passes the time, asks ``next(now:)`` whenever a worker is free,
/// and reports each attempt's end with ``finished(_:nextDueAt:)``. There is no batch: a slow poll holds only its own
/// conversation. A conversation is never polled twice at once; what is asked of it while a poll is in flight (a
/// webhook's "poll now", an operator's removal) is applied when that poll ends.
///
/// The owned set can grow and shrink at run time (``own(_:dueAt:)``, ``disown(_:)``), so ownership can move
/// between engines.
public struct PollScheduler: Sendable {
    /// What the engine should do now.
    public enum Next: Sendable, Hashable {
        /// Poll this conversation; it was due at `dueAt` (its lag is now − dueAt). It is in flight until finished.
        case poll(conversationID: String, dueAt: Timestamp)
        /// Nothing is due before this time.
        case wait(until: Timestamp)
        /// Nothing is scheduled.
        case idle
    }

    struct Entry: Sendable {
        /// nil: owned but retired (closed past its grace period, vanished, removed by an operator).
        var dueAt: Int64?
        var generation: UInt64
        var inFlight = false
        /// Asked while in flight: poll again no later than this once the poll ends.
        var requestedDueAt: Int64?
        /// Retired while in flight: stays retired whatever the poll's answer says.
        var retireRequested = false
    }

    private var entries: [String: Entry] = [:]
    private var heap = DueHeap()
    private var generations: UInt64 = 0
    public private(set) var inFlightCount = 0
    public private(set) var scheduledCount = 0

    public init() {}

    /// Conversations this scheduler owns (scheduled, retired or in flight).
    public var ownedCount: Int { entries.count }

    public func owns(_ conversationID: String) -> Bool { entries[conversationID] != nil }

    public func isInFlight(_ conversationID: String) -> Bool { entries[conversationID]?.inFlight ?? false }

    /// When the conversation is due, nil when retired or not owned.
    public func dueAt(_ conversationID: String) -> Timestamp? {
        entries[conversationID]?.dueAt.map(Timestamp.init(millisecondsSinceEpoch:))
    }

    /// Takes a conversation on, due at `dueAt` (nil: owned but retired). One already owned is due no later than
    /// `dueAt`.
    public mutating func own(_ conversationID: String, dueAt: Timestamp?) {
        if entries[conversationID] == nil {
            entries[conversationID] = Entry(dueAt: nil, generation: 0)
        }
        if let dueAt { schedule(conversationID, noLaterThan: dueAt) }
    }

    /// Gives a conversation up (ownership moved elsewhere). A poll in flight ends without effect.
    public mutating func disown(_ conversationID: String) {
        guard let entry = entries.removeValue(forKey: conversationID) else { return }
        if entry.inFlight { inFlightCount -= 1 }
        if entry.dueAt != nil { scheduledCount -= 1 }
        compactIfSparse()
    }

    /// Poll no later than `at` (a webhook, an operator, a newly listed conversation). Takes it on if not owned.
    public mutating func schedule(_ conversationID: String, noLaterThan at: Timestamp) {
        guard var entry = entries[conversationID] else {
            entries[conversationID] = Entry(dueAt: nil, generation: 0)
            return schedule(conversationID, noLaterThan: at)
        }
        let at = at.millisecondsSinceEpoch
        if entry.inFlight {
            entry.requestedDueAt = min(entry.requestedDueAt ?? .max, at)
            entry.retireRequested = false
            entries[conversationID] = entry
            return
        }
        if let due = entry.dueAt, due <= at { return }
        setDue(conversationID, &entry, at)
        entries[conversationID] = entry
    }

    /// Stop polling it (an operator's removal); it stays owned. Applied at the end of a poll in flight.
    public mutating func retire(_ conversationID: String) {
        guard var entry = entries[conversationID] else { return }
        if entry.inFlight {
            entry.retireRequested = true
            entry.requestedDueAt = nil
        } else {
            setDue(conversationID, &entry, nil)
        }
        entries[conversationID] = entry
    }

    /// Every scheduled conversation due now (an operator's "poll the whole source"); returns how many.
    @discardableResult
    public mutating func scheduleAll(noLaterThan at: Timestamp) -> Int {
        let ids = entries.compactMap { $0.value.dueAt != nil || $0.value.inFlight ? $0.key : nil }
        for id in ids { schedule(id, noLaterThan: at) }
        return ids.count
    }

    /// The most overdue conversation if one is due at `now` (it is then in flight), else when the next one is.
    public mutating func next(now: Timestamp) -> Next {
        while let top = heap.top {
            guard var entry = entries[top.conversationID], entry.generation == top.generation, let due = entry.dueAt else {
                heap.pop()
                continue
            }
            guard due <= now.millisecondsSinceEpoch else { return .wait(until: Timestamp(millisecondsSinceEpoch: due)) }
            heap.pop()
            entry.dueAt = nil
            scheduledCount -= 1
            entry.inFlight = true
            inFlightCount += 1
            entries[top.conversationID] = entry
            return .poll(conversationID: top.conversationID, dueAt: Timestamp(millisecondsSinceEpoch: due))
        }
        return .idle
    }

    /// The earliest due time, without taking anything.
    public mutating func earliestDue() -> Timestamp? {
        while let top = heap.top {
            if let entry = entries[top.conversationID], entry.generation == top.generation, let due = entry.dueAt {
                return Timestamp(millisecondsSinceEpoch: due)
            }
            heap.pop()
        }
        return nil
    }

    /// A poll ended; poll next at `nextDueAt` (nil: retire), or sooner if asked meanwhile.
    public mutating func finished(_ conversationID: String, nextDueAt: Timestamp?) {
        guard var entry = entries[conversationID], entry.inFlight else { return }
        entry.inFlight = false
        inFlightCount -= 1
        var due = nextDueAt?.millisecondsSinceEpoch
        if let requested = entry.requestedDueAt { due = min(due ?? .max, requested) }
        if entry.retireRequested { due = nil }
        entry.requestedDueAt = nil
        entry.retireRequested = false
        setDue(conversationID, &entry, due)
        entries[conversationID] = entry
    }

    /// Scheduled conversations due at `now` and not yet taken.
    public func dueCount(now: Timestamp) -> Int {
        let limit = now.millisecondsSinceEpoch
        return entries.values.count { $0.dueAt.map { $0 <= limit } ?? false }
    }

    /// Every owned conversation with its due time (nil: retired), for persisting the schedule.
    public var snapshot: [(conversationID: String, dueAt: Timestamp?)] {
        entries.map { ($0.key, $0.value.dueAt.map(Timestamp.init(millisecondsSinceEpoch:))) }
    }

    private mutating func setDue(_ conversationID: String, _ entry: inout Entry, _ due: Int64?) {
        if entry.dueAt != nil { scheduledCount -= 1 }
        entry.dueAt = due
        generations += 1
        entry.generation = generations
        if let due {
            scheduledCount += 1
            heap.push(DueHeap.Node(dueAt: due, generation: generations, conversationID: conversationID))
            compactIfSparse()
        }
    }

    private mutating func compactIfSparse() {
        guard heap.count > 1024, heap.count > 4 * max(scheduledCount, 1) else { return }
        let entries = self.entries
        heap.compact { node in entries[node.conversationID].map { $0.generation == node.generation && $0.dueAt != nil } ?? false }
    }
}
