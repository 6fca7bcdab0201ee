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
    /// The next offset to read after a restart: what to commit (from the first offset tracked on).
    private(set) var commitPoint: Int64?

    /// Offsets a previous reader of the partition finished beyond the commit point it left (``DoneOffsets``).
    private var doneBefore: Set<Int64> = []

    var outstanding: Int { order.count - head }

    /// Offsets finished beyond the commit point: what the commit's metadata carries.
    var doneBeyondCommitPoint: Set<Int64> { done }

    enum Tracked {
        case new
        /// Not past the last one tracked: read again.
        case readAgain
        /// Finished by an earlier reader: tracked and finished at once.
        case doneBefore
    }

    mutating func track(_ offset: Int64) -> Tracked {
        if let lastTracked, offset <= lastTracked { return .readAgain }
        lastTracked = offset
        // Where reading started is a valid commit point from the start: the metadata can then carry what is done
        // beyond it even while the first event waits for a retry.
        if commitPoint == nil { commitPoint = offset }
        order.append(offset)
        return doneBefore.remove(offset) != nil ? .doneBefore : .new
    }

    /// Offsets an earlier reader finished (read from the committed metadata when the partition was assigned).
    mutating func finishedBefore(_ offsets: Set<Int64>) {
        doneBefore = offsets.filter { offset in lastTracked.map { offset > $0 } ?? true }
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
