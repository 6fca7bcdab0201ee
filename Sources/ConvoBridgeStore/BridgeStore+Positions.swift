public import ConvoBridgeCore
import GRDB

extension BridgeStore {
    // MARK: Topics of ids to watch

    /// Where reading a topic of ids resumes: per partition, the offset after the last record consumed.
    public func topicPositions(source: String, topic: String) async throws -> [Int32: Int64] {
        try await reading("read topic positions") { db in
            var positions: [Int32: Int64] = [:]
            for row in try Row.fetchAll(
                db, sql: "SELECT partition, next_offset FROM topic_positions WHERE source = ? AND topic = ?",
                arguments: [source, topic])
            {
                positions[row[0]] = row[1]
            }
            return positions
        }
    }

    /// Moves past a record that names nothing to watch (a malformed one), so it is not read again.
    public func advance(source: String, to position: TopicPosition) async throws {
        try await writing("write topic position") { db in try Self.store(position, source: source, db) }
    }

    static func store(_ position: TopicPosition, source: String, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO topic_positions (source, topic, partition, next_offset) VALUES (?, ?, ?, ?)
                ON CONFLICT (source, topic, partition) DO UPDATE SET next_offset = MAX(next_offset, excluded.next_offset)
                """
        ).execute(arguments: [source, position.topic, position.partition, position.nextOffset])
    }

    // MARK: Discovery cursor

    public func discoveryWindowEnd(source: String) async throws -> Timestamp? {
        try await reading("read cursor") { db in
            try Int64.fetchOne(db, sql: "SELECT advisor_window_end FROM source_cursors WHERE source = ?", arguments: [source])
                .map(Timestamp.init(millisecondsSinceEpoch:))
        }
    }

    public func setDiscoveryWindowEnd(source: String, _ end: Timestamp) async throws {
        try await writing("write cursor") { db in
            try db.execute(
                sql: """
                    INSERT INTO source_cursors (source, advisor_window_end) VALUES (?, ?)
                    ON CONFLICT (source) DO UPDATE SET advisor_window_end = excluded.advisor_window_end
                    """, arguments: [source, end.millisecondsSinceEpoch])
        }
    }
}
