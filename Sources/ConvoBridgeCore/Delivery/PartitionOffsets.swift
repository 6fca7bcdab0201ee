/// The offsets of one partition read but not yet done, in the order they were read, and how far the consumer may
/// commit: up to (not including) the first offset not done. Events finish out of order (conversations are delivered
/// in parallel); the commit point only moves past a contiguous run of finished ones, so a restart re-reads at most
/// what was unfinished.
struct PartitionOffsets: Sendable {
    private var order: [Int64] = []
    private var head = 0
    private var done: Set<Int64> = []
    /// The last offset tracked; a record at or below it was already read (a consumer that went back).
    private(set) var lastTracked: Int64?
    /// The next offset to read after a restart: what to commit.
    private(set) var commitPoint: Int64?

    var outstanding: Int { order.count - head }

    /// Starts tracking `offset`; false when it is not past the last one (read again, already tracked).
    mutating func track(_ offset: Int64) -> Bool {
        if let lastTracked, offset <= lastTracked { return false }
        lastTracked = offset
        order.append(offset)
        return true
    }

    /// Marks `offset` done. Returns the new commit point when it moved.
    mutating func finish(_ offset: Int64) -> Int64? {
        done.insert(offset)
        let before = commitPoint
        while head < order.count, done.remove(order[head]) != nil {
            commitPoint = order[head] + 1
            head += 1
        }
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        return commitPoint != before ? commitPoint : nil
    }
}
