/// Where a partition's transaction may end: after its last record of the internal state topic. The records of one
/// write (a poll's events, then the state that follows them) are committed together or not at all, so a new owner
/// restoring that state never continues from a sequence consumers did not see, nor misses one they did.
public enum TransactionBoundary {
    /// How many of `topics` (one partition's pending records, in write order) the next transaction takes: up to and
    /// including the last state record; 0 when there is none yet (the rest of the write is still to be read).
    public static func committableCount(of topics: some BidirectionalCollection<String>, stateTopic: String) -> Int {
        guard let last = topics.lastIndex(of: stateTopic) else { return 0 }
        return topics.distance(from: topics.startIndex, to: last) + 1
    }
}
