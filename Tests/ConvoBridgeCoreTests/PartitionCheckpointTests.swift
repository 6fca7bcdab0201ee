import ConvoBridgeCore
import Testing

@Suite("Partition checkpoint: when a partition taken again is restored from where this replica left it")
struct PartitionCheckpointTests {
    static let writtenAt = Timestamp(millisecondsSinceEpoch: 1_780_000_000_000)
    static let checkpoint = PartitionCheckpoint(
        partition: 3, stateTopic: "convobridge-state", partitions: 12, nextOffset: 4_210, writtenAt: writtenAt)

    static func start(_ checkpoint: PartitionCheckpoint?, afterMilliseconds: Int64 = 60_000) -> PartitionCheckpoint.RestoreStart {
        PartitionCheckpoint.restoreStart(
            checkpoint, stateTopic: "convobridge-state", partitions: 12, now: writtenAt.adding(milliseconds: afterMilliseconds))
    }

    @Test("A young checkpoint of the same topic and partition count restores from its offset")
    func incremental() {
        #expect(Self.start(Self.checkpoint) == .incremental(from: 4_210))
        #expect(Self.start(Self.checkpoint, afterMilliseconds: 12 * 3_600_000) == .incremental(from: 4_210))
    }

    @Test("Anything that could make the local rows disagree with the topic restores in full")
    func full() {
        #expect(Self.start(nil) == .full(reason: "no checkpoint"))
        var otherTopic = Self.checkpoint
        otherTopic.stateTopic = "other-state"
        #expect(Self.start(otherTopic) == .full(reason: "the checkpoint is of another state topic or partition count"))
        var otherCount = Self.checkpoint
        otherCount.partitions = 24
        #expect(Self.start(otherCount) == .full(reason: "the checkpoint is of another state topic or partition count"))
        // Older than tombstones are kept, or from a clock that has since gone back.
        #expect(Self.start(Self.checkpoint, afterMilliseconds: 12 * 3_600_000 + 1) == .full(reason: "the checkpoint is older than 12 h"))
        #expect(Self.start(Self.checkpoint, afterMilliseconds: -1) == .full(reason: "the checkpoint is older than 12 h"))
    }
}
