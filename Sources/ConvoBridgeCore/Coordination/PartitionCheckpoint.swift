/// What a replica kept of a partition it gave up cleanly: its local rows of the partition's conversations are exactly
/// the internal state topic's records before `nextOffset`. Taking the partition again then reads only the records
/// from there (what the owners in between wrote) instead of the whole partition.
///
/// Written only after a release that waited for the partition's polls and published everything pending for it;
/// forgotten as soon as an unpublished outbox record of the partition is dropped (local rows would be ahead of
/// Kafka) and whenever the partition is taken again.
public struct PartitionCheckpoint: Sendable, Hashable {
    public var partition: Int32
    public var stateTopic: String
    /// The coordination partition count it was taken under.
    public var partitions: Int
    /// The state topic partition's end when the release was over: the first offset the next owner wrote.
    public var nextOffset: Int64
    public var writtenAt: Timestamp

    public init(partition: Int32, stateTopic: String, partitions: Int, nextOffset: Int64, writtenAt: Timestamp) {
        self.partition = partition
        self.stateTopic = stateTopic
        self.partitions = partitions
        self.nextOffset = nextOffset
        self.writtenAt = writtenAt
    }

    /// The oldest checkpoint used: well within the broker's default `delete.retention.ms` (24 h), so that a
    /// tombstone written after it cannot have been compacted away before it is read.
    public static let maximumAge: Duration = .seconds(12 * 3600)

    /// Where a restore of a partition starts reading the state topic.
    public enum RestoreStart: Sendable, Hashable {
        /// From the partition's start, replacing every local row of the partition.
        case full(reason: String)
        /// From the checkpoint's offset, updating the local rows with what was written since.
        case incremental(from: Int64)

        /// `full` or `incremental`, for metrics and logs.
        public var kind: String {
            switch self {
            case .full: "full"
            case .incremental: "incremental"
            }
        }
    }

    /// Decides how to restore a partition of `stateTopic` (`partitions` partitions), given the checkpoint this replica
    /// kept of it (nil: none). (Whether the log still has the checkpoint's offset is for the read to say: the restore
    /// is full when it does not.)
    public static func restoreStart(
        _ checkpoint: PartitionCheckpoint?, stateTopic: String, partitions: Int, now: Timestamp
    ) -> RestoreStart {
        guard let checkpoint else { return .full(reason: "no checkpoint") }
        guard checkpoint.stateTopic == stateTopic, checkpoint.partitions == partitions else {
            return .full(reason: "the checkpoint is of another state topic or partition count")
        }
        let age = now.millisecondsSinceEpoch - checkpoint.writtenAt.millisecondsSinceEpoch
        guard age >= 0, age <= maximumAge.wholeMilliseconds else { return .full(reason: "the checkpoint is older than 12 h") }
        return .incremental(from: checkpoint.nextOffset)
    }
}
