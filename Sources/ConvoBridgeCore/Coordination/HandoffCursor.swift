/// Where a replica stands on each partition of the handoff topic: the offset of the next record to forward.
///
/// The group consumer does not go back when a partition is taken up again without a rebalance (after a fence, or a
/// failed restore), and goes back to the committed offset on every rebalance. Neither is what forwarding needs: a
/// record is forwarded once per committed state. So each partition has a cursor: a record below it was forwarded
/// already and is skipped; on every restore the cursor goes back to the group's committed offset, and the records
/// between it and where the replica had got to are read again (their forwarding was not committed, so the restored
/// state does not have it).
public struct HandoffCursor: Sendable, Hashable {
    private var next: [Int32: Int64] = [:]

    public init() {}

    public enum Decision: Sendable, Hashable {
        case forward
        /// Forwarded already (this replica read it before a rebalance, or a catch-up read it again).
        case skip
    }

    /// A record of an owned partition, in offset order.
    public mutating func received(partition: Int32, offset: Int64) -> Decision {
        if let next = next[partition], offset < next { return .skip }
        next[partition] = offset + 1
        return .forward
    }

    /// The partition was restored; the group's committed offset on it is `committed` (nil: none). Returns the
    /// offsets to read again and forward before anything newer: those this replica forwarded without a commit.
    public mutating func restored(partition: Int32, committed: Int64?) -> Range<Int64>? {
        let start = committed ?? 0
        defer { next[partition] = start }
        guard let reached = next[partition], reached > start else { return nil }
        return start..<reached
    }
}
