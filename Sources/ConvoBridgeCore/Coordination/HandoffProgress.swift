/// Which consumed offsets of the handoff topic a partition's next transaction may commit.
///
/// A handoff record is applied by one write to the outbox, and its offset must be committed in the very transaction
/// that publishes that write: committed before, a crash in between loses the webhook event; committed after, a crash
/// in between has the event published while the record is read and forwarded again. Each applied record is noted with
/// the id of its write's last outbox row (its state record); a transaction publishes a prefix of the partition's rows,
/// so it covers the record exactly when it publishes that row. A record whose forwarding wrote nothing (a repeated
/// body, one skipped) is covered by any transaction.
public struct HandoffProgress: Sendable, Hashable {
    private struct Applied: Sendable, Hashable {
        var nextOffset: Int64
        var outboxThrough: Int64?
    }

    /// Per partition, in offset order.
    private var applied: [Int32: [Applied]] = [:]

    public init() {}

    /// A handoff record of `partition` was applied; `nextOffset` is the offset after it, `outboxThrough` the id of
    /// the last outbox row its write added (nil: none).
    public mutating func applied(partition: Int32, nextOffset: Int64, outboxThrough: Int64?) {
        applied[partition, default: []].append(Applied(nextOffset: nextOffset, outboxThrough: outboxThrough))
    }

    /// The offset to commit with a transaction of `partition` that publishes its outbox rows up to the id
    /// `publishedThrough` (nil: none, offsets only). Nil when no applied record is covered.
    public func committable(partition: Int32, publishedThrough: Int64?) -> Int64? {
        var offset: Int64?
        for record in applied[partition] ?? [] {
            if let row = record.outboxThrough, row > (publishedThrough ?? .min) { break }
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
