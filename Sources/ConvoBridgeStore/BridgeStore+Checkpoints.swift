public import ConvoBridgeCore
import GRDB

extension BridgeStore {
    /// A release of `partition` starts: any checkpoint of it is replaced by a mark that a write dropping one of its
    /// unpublished outbox records erases, so that ``completeCheckpoint(_:)`` cannot vouch for rows that changed meanwhile.
    public func beginCheckpoint(partition: Int32) async throws {
        try await writing("begin a partition checkpoint") { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO partition_checkpoints (partition, next_offset) VALUES (?, NULL)", arguments: [partition])
        }
    }

    /// The release is over with everything published: the mark becomes `checkpoint`. Returns false when the mark
    /// is gone (an unpublished record of the partition was dropped since): no checkpoint then.
    @discardableResult
    public func completeCheckpoint(_ checkpoint: PartitionCheckpoint) async throws -> Bool {
        try await writing("complete a partition checkpoint") { db in
            try db.execute(
                sql: """
                    UPDATE partition_checkpoints SET state_topic = ?, partitions = ?, next_offset = ?, written_at = ?
                    WHERE partition = ? AND next_offset IS NULL
                    """,
                arguments: [
                    checkpoint.stateTopic, checkpoint.partitions, checkpoint.nextOffset, checkpoint.writtenAt.millisecondsSinceEpoch,
                    checkpoint.partition,
                ])
            return db.changesCount > 0
        }
    }

    /// The partition's checkpoint, if it has a complete one (a row this version cannot read counts as none).
    public func checkpoint(partition: Int32) async throws -> PartitionCheckpoint? {
        try await reading("read a partition checkpoint") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM partition_checkpoints WHERE partition = ?", arguments: [partition]).flatMap {
                Self.checkpoint(partition: partition, $0)
            }
        }
    }

    /// Forgets the partition's checkpoint or mark (a release that could not publish everything).
    public func forgetCheckpoint(partition: Int32) async throws {
        try await writing("forget a partition checkpoint") { db in try Self.forgetCheckpoint(partition: partition, db) }
    }

    /// Removes outbox records that will never be published (their partition is not this replica's), and forgets the
    /// checkpoints of their partitions (`nil`: of every partition, when some records' partition is unknown): the
    /// local rows that wrote them are ahead of Kafka now.
    public func dropUnpublishedOutbox(ids: [Int64], partitions: Set<Int32>?) async throws {
        guard !ids.isEmpty else { return }
        try await writing("drop unpublished outbox records") { db in
            let delete = try db.cachedStatement(sql: "DELETE FROM outbox WHERE id = ?")
            for id in ids { try delete.execute(arguments: [id]) }
            if let partitions {
                for partition in partitions { try Self.forgetCheckpoint(partition: partition, db) }
            } else {
                try db.execute(sql: "DELETE FROM partition_checkpoints")
            }
        }
    }

    static func forgetCheckpoint(partition: Int32, _ db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM partition_checkpoints WHERE partition = ?").execute(arguments: [partition])
    }

    static func checkpoint(partition: Int32, _ row: Row) -> PartitionCheckpoint? {
        guard let topic = String.fromDatabaseValue(row["state_topic"]), let partitions = Int.fromDatabaseValue(row["partitions"]),
            let nextOffset = Int64.fromDatabaseValue(row["next_offset"]), let writtenAt = Int64.fromDatabaseValue(row["written_at"])
        else { return nil }
        return PartitionCheckpoint(
            partition: partition, stateTopic: topic, partitions: partitions, nextOffset: nextOffset,
            writtenAt: Timestamp(millisecondsSinceEpoch: writtenAt))
    }
}
