/// Which coordination partitions this replica polls, as the consumer group assigns them: a partition is restored
/// (its producer fences the previous owner, its state is read back from Kafka) before it is polled, released when
/// the group takes it away, and given up when its producer is fenced. No I/O: the coordinator carries out the
/// actions and reports back.
///
/// A fenced partition the group still assigns to this replica is taken up again only after `reacquireAfter`: if
/// this replica was the zombie (paused past its session), its consumer learns it left the group before then, and it
/// never fences the rightful owner in turn.
public struct PartitionOwnershipMachine: Sendable {
    public enum State: Sendable, Hashable {
        /// Its producer is being initialized and its state restored.
        case restoring
        /// Restored: its conversations are polled.
        case owned
        /// Fenced, or its restore failed, at this monotonic time (milliseconds): waiting before it is taken up again.
        case waiting(since: Int64)
    }

    public enum Action: Sendable, Hashable {
        /// Stop polling the partition's conversations, flush what is published for it, close its producer.
        case release(Int32)
        /// Open its producer (fencing any other), restore its state, then report ``restored(_:)``.
        case restore(Int32)
        /// Poll its conversations.
        case startPolling(Int32)
    }

    public let reacquireAfter: Int64
    public private(set) var assignment: Set<Int32> = []
    public private(set) var states: [Int32: State] = [:]
    /// Whether the group has answered (an assignment, even an empty one) and every partition it gave is restored:
    /// the replica is ready once this has been true.
    public private(set) var hasRestoredFirstAssignment = false
    private var heardFromGroup = false

    private let startedAt: Int64

    /// - Parameter startedAt: when the replica joined (monotonic milliseconds). A replica the group gives nothing
    ///   (more replicas than partitions) hears of no assignment: it counts as restored `reacquireAfter` later.
    public init(reacquireAfterMilliseconds: Int64, startedAt: Int64) {
        self.reacquireAfter = reacquireAfterMilliseconds
        self.startedAt = startedAt
    }

    /// The group's assignment changed (eager protocol: the full new set).
    public mutating func assigned(_ partitions: Set<Int32>) -> [Action] {
        heardFromGroup = true
        var actions: [Action] = []
        for (partition, state) in states.sorted(by: { $0.key < $1.key }) where !partitions.contains(partition) {
            // A waiting partition was released when it started to wait.
            if case .waiting = state {} else { actions.append(.release(partition)) }
            states[partition] = nil
        }
        for partition in partitions.sorted() {
            switch states[partition] {
            case nil, .waiting:
                // A new assignment means the group settled: a fenced partition it still gives us is ours again.
                states[partition] = .restoring
                actions.append(.restore(partition))
            case .restoring, .owned:
                break
            }
        }
        assignment = partitions
        updateReadiness()
        return actions
    }

    /// The partition's producer is initialized and its state restored.
    public mutating func restored(_ partition: Int32) -> [Action] {
        guard states[partition] == .restoring else { return [] }
        states[partition] = .owned
        updateReadiness()
        return [.startPolling(partition)]
    }

    /// Restoring failed (the broker is unreachable, say): tried again after `reacquireAfter`.
    public mutating func restoreFailed(_ partition: Int32, now: Int64) -> [Action] {
        guard states[partition] == .restoring else { return [] }
        states[partition] = .waiting(since: now)
        return [.release(partition)]
    }

    /// The partition's producer was fenced: another replica owns it now.
    public mutating func fenced(_ partition: Int32, now: Int64) -> [Action] {
        switch states[partition] {
        case .owned, .restoring:
            states[partition] = .waiting(since: now)
            return [.release(partition)]
        case .waiting, nil:
            return []
        }
    }

    /// The process was frozen (paused, swapped out) longer than its session: the group has probably given its
    /// partitions to others while their producers here do not know yet. Every partition is given up, as if fenced,
    /// and taken up again only by a new assignment or after the wait.
    public mutating func frozen(now: Int64) -> [Action] {
        states.keys.sorted().flatMap { fenced($0, now: now) }
    }

    /// Time passed: partitions waiting long enough, and still assigned, are taken up again.
    public mutating func tick(now: Int64) -> [Action] {
        if !heardFromGroup, now - startedAt >= reacquireAfter {
            heardFromGroup = true
            updateReadiness()
        }
        var actions: [Action] = []
        for (partition, state) in states.sorted(by: { $0.key < $1.key }) {
            guard case .waiting(let since) = state, now - since >= reacquireAfter, assignment.contains(partition) else { continue }
            states[partition] = .restoring
            actions.append(.restore(partition))
        }
        return actions
    }

    public func owns(_ partition: Int32) -> Bool { states[partition] == .owned }

    /// The partitions polled now.
    public var owned: Set<Int32> { Set(states.filter { $0.value == .owned }.keys) }

    public var restoring: Int { states.values.count { $0 == .restoring } }

    private mutating func updateReadiness() {
        if heardFromGroup, !states.values.contains(.restoring) { hasRestoredFirstAssignment = true }
    }
}
