/// Which consumed offsets of the handoff topic a partition's next transaction may commit.
///
/// A handoff record is applied by a write to the outbox; its offset may be committed only in a transaction that
/// also commits that write (or after it), never before: otherwise a crash between the two loses the webhook event,
/// and committing it too late only reads it again. Each applied record is noted with the outbox's high-water mark
/// after its write (every row the write added has an id at or below it); the record is covered once no row of its
/// partition at or below the mark is left outside the transaction.
public struct HandoffProgress: Sendable, Hashable {
    private struct Applied: Sendable, Hashable {
        var nextOffset: Int64
        var outboxMark: Int64
    }

    /// Per partition, in offset order.
    private var applied: [Int32: [Applied]] = [:]

    public init() {}

    /// A handoff record of `partition` was applied (or skipped); `nextOffset` is the offset after it.
    public mutating func applied(partition: Int32, nextOffset: Int64, outboxMark: Int64) {
        applied[partition, default: []].append(Applied(nextOffset: nextOffset, outboxMark: outboxMark))
    }

    /// The offset to commit with a transaction of `partition`.
    /// - Parameters:
    ///   - firstRemaining: the id of the partition's first outbox row the transaction leaves pending, nil when none
    ///     is left within what was read.
    ///   - readThrough: the last outbox id read, when the read stopped at its limit (rows after it are unknown);
    ///     nil when it read every pending row.
    /// - Returns: nil when no applied record is covered yet.
    public func committable(partition: Int32, firstRemaining: Int64?, readThrough: Int64?) -> Int64? {
        var offset: Int64?
        for record in applied[partition] ?? [] {
            if let firstRemaining, record.outboxMark >= firstRemaining { break }
            if let readThrough, record.outboxMark > readThrough { break }
            offset = record.nextOffset
        }
        return offset
    }

    /// The transaction committed `partition`'s records up to `nextOffset`.
    public mutating func committed(partition: Int32, through nextOffset: Int64) {
        applied[partition]?.removeAll { $0.nextOffset <= nextOffset }
        if applied[partition]?.isEmpty == true { applied[partition] = nil }
    }

    /// The partition is no longer this replica's: its next owner reads from the last committed offset.
    public mutating func forget(partition: Int32) { applied[partition] = nil }

    public mutating func forgetAll() { applied = [:] }

    /// Partitions with applied records not committed yet.
    public var waitingPartitions: Set<Int32> { Set(applied.keys) }
}
