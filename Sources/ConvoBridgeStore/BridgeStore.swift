public import ConvoBridgeCore
import Foundation
import GRDB
import Synchronization

/// The bridge's durable state in one SQLite file (WAL, `synchronous=FULL`): each conversation's last snapshot,
/// sequence and schedule, each source's discovery cursor, and the outbox of encoded records not yet acknowledged
/// by Kafka. A snapshot and the events it causes are written in one transaction, so a crash leaves either both
/// or neither.
public final class BridgeStore: Sendable {
    public let path: String
    private let database: DatabasePool
    private let diskFull = Mutex(false)
    private let lowSpaceCheck = Mutex<(at: ContinuousClock.Instant, free: Int64?)?>(nil)

    /// Below this many free bytes on the store's filesystem the store counts as full (0: only when SQLite says).
    public let minimumFreeBytes: Int64

    /// Opens (creating if needed) and migrates the store at `path`.
    /// - Parameter minimumFreeBytes: free space under which ``isDiskFull`` says so before SQLite has to refuse a
    ///   write (a checkpoint or a growing WAL needing a page it cannot have).
    public init(path: String, minimumFreeBytes: Int64 = 0) throws {
        self.path = path
        self.minimumFreeBytes = minimumFreeBytes
        var configuration = Configuration()
        configuration.label = "convobridge-store"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw StoreError(path: path, operation: "open", underlying: "\(error)")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE conversations (
                    source TEXT NOT NULL,
                    conversation_id TEXT NOT NULL,
                    snapshot TEXT,
                    last_sequence INTEGER NOT NULL DEFAULT 0,
                    consecutive_not_found INTEGER NOT NULL DEFAULT 0,
                    consecutive_failures INTEGER NOT NULL DEFAULT 0,
                    closed_since INTEGER,
                    vanished INTEGER NOT NULL DEFAULT 0,
                    next_poll_at INTEGER,
                    discovered_by TEXT NOT NULL,
                    first_seen_at INTEGER NOT NULL,
                    PRIMARY KEY (source, conversation_id)
                );
                CREATE INDEX conversations_due ON conversations (source, next_poll_at) WHERE next_poll_at IS NOT NULL;
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    topic TEXT NOT NULL,
                    record_key BLOB,
                    value BLOB,
                    headers BLOB NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE source_cursors (
                    source TEXT PRIMARY KEY,
                    advisor_window_end INTEGER
                );
                """)
        }
        migrator.registerMigration("v2: last observed request time") { db in
            try db.execute(sql: "ALTER TABLE conversations ADD COLUMN last_observed_at INTEGER")
        }
        migrator.registerMigration("v3: positions in topics of ids to watch") { db in
            try db.execute(sql: """
                CREATE TABLE topic_positions (
                    source TEXT NOT NULL,
                    topic TEXT NOT NULL,
                    partition INTEGER NOT NULL,
                    next_offset INTEGER NOT NULL,
                    PRIMARY KEY (source, topic, partition)
                );
                """)
        }
        migrator.registerMigration("v4: a row to probe for free space") { db in
            try db.execute(sql: "CREATE TABLE store_probe (id INTEGER PRIMARY KEY, checked_at INTEGER NOT NULL)")
        }
        return migrator
    }

    /// Closes the database (checkpointing the WAL). Call once, after everything that uses the store stopped.
    public func close() throws {
        try perform("close") { try database.close() }
    }

    // MARK: Conversations

    /// Runs `body` on the conversation's current state (a fresh one if it is new) and saves what it returns, its
    /// outbox records included, in one transaction.
    @discardableResult
    /// - Parameter position: a record of a topic of ids to watch that this write consumes; its next offset is
    ///   stored in the same transaction, so after a crash the record is either applied and passed, or neither.
    public func write(source: String, conversationID: String, discoveredBy: String, now: Timestamp, position: TopicPosition? = nil,
                      _ body: (TrackedConversation) throws -> ConversationWrite) throws -> ConversationWrite {
        try writing("write \(source)/\(conversationID)") { db in
            if let position { try Self.store(position, source: source, db) }
            let row = try Row.fetchOne(db, sql: "SELECT * FROM conversations WHERE source = ? AND conversation_id = ?",
                                       arguments: [source, conversationID])
            let current = try row.map { try Self.tracked(from: $0, source: source, conversationID: conversationID) }
                ?? TrackedConversation(source: source, conversationID: conversationID)
            let result = try body(current)
            let existingPoll: Int64? = row?["next_poll_at"]
            let nextPoll: Int64? = switch result.poll {
            case .keep: existingPoll
            case .at(let at): at.millisecondsSinceEpoch
            case .noLaterThan(let at): min(existingPoll ?? .max, at.millisecondsSinceEpoch)
            case .retire: nil
            }
            let tracked = result.tracked
            try db.execute(sql: """
                INSERT INTO conversations (source, conversation_id, snapshot, last_sequence, consecutive_not_found,
                    consecutive_failures, closed_since, vanished, next_poll_at, discovered_by, first_seen_at, last_observed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (source, conversation_id) DO UPDATE SET
                    snapshot = excluded.snapshot, last_sequence = excluded.last_sequence,
                    consecutive_not_found = excluded.consecutive_not_found, consecutive_failures = excluded.consecutive_failures,
                    closed_since = excluded.closed_since, vanished = excluded.vanished, next_poll_at = excluded.next_poll_at,
                    last_observed_at = excluded.last_observed_at
                """, arguments: [
                    source, conversationID, tracked.snapshot.map { JSONWriter.string($0.jsonValue) }, tracked.lastSequence,
                    tracked.consecutiveNotFound, tracked.consecutiveFailures, tracked.closedSince?.millisecondsSinceEpoch,
                    tracked.vanished, tracked.vanished ? nil : nextPoll, discoveredBy, now.millisecondsSinceEpoch,
                    tracked.lastObservedAt?.millisecondsSinceEpoch,
                ])
            for record in result.records {
                try db.execute(sql: "INSERT INTO outbox (topic, record_key, value, headers, created_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [record.topic, record.key.map { Data($0) }, record.value.map { Data($0) }, Data(Self.encode(record.headers)),
                                           now.millisecondsSinceEpoch])
            }
            return result
        }
    }

    public func conversation(source: String, conversationID: String) throws -> TrackedConversation? {
        try perform("read \(source)/\(conversationID)") {
            try database.read { db in
                try Row.fetchOne(db, sql: "SELECT * FROM conversations WHERE source = ? AND conversation_id = ?",
                                 arguments: [source, conversationID])
                    .map { try Self.tracked(from: $0, source: source, conversationID: conversationID) }
            }
        }
    }

    /// Conversations of `source` whose poll is due at `now`, most overdue first.
    public func duePolls(source: String, now: Timestamp, limit: Int) throws -> [String] {
        try perform("read due polls") {
            try database.read { db in
                try String.fetchAll(db, sql: """
                    SELECT conversation_id FROM conversations
                    WHERE source = ? AND next_poll_at IS NOT NULL AND next_poll_at <= ?
                    ORDER BY next_poll_at LIMIT ?
                    """, arguments: [source, now.millisecondsSinceEpoch, limit])
            }
        }
    }

    /// When the next poll of `source` is due; nil when nothing is scheduled.
    public func nextPollTime(source: String) throws -> Timestamp? {
        try perform("read next poll") {
            try database.read { db in
                try Int64.fetchOne(db, sql: "SELECT MIN(next_poll_at) FROM conversations WHERE source = ? AND next_poll_at IS NOT NULL",
                                   arguments: [source]).map(Timestamp.init(millisecondsSinceEpoch:))
            }
        }
    }

    /// Conversations of `source` by state: watched (scheduled), retired, vanished.
    public func counts(source: String) throws -> (watched: Int, retired: Int, vanished: Int) {
        try perform("count conversations") {
            try database.read { db in
                let row = try Row.fetchOne(db, sql: """
                    SELECT SUM(next_poll_at IS NOT NULL), SUM(next_poll_at IS NULL AND vanished = 0), SUM(vanished)
                    FROM conversations WHERE source = ?
                    """, arguments: [source])
                return (row?[0] ?? 0, row?[1] ?? 0, row?[2] ?? 0)
            }
        }
    }

    /// One watched conversation, as the admin API lists it.
    public struct WatchEntry: Sendable, Hashable {
        public var conversationID: String
        /// nil once retired (closed past its grace period, or removed by an operator).
        public var nextPollAt: Timestamp?
        public var status: String?
        public var state: String?
        public var lastSequence: Int64
        public var vanished: Bool
    }

    /// Every conversation of `source` the store knows, by id.
    public func watchList(source: String) throws -> [WatchEntry] {
        try perform("read watch list") {
            try database.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT conversation_id, next_poll_at, json_extract(snapshot, '$.status'), json_extract(snapshot, '$.state'),
                           last_sequence, vanished
                    FROM conversations WHERE source = ? ORDER BY conversation_id
                    """, arguments: [source]).map { row in
                    let next: Int64? = row[1]
                    return WatchEntry(conversationID: row[0], nextPollAt: next.map(Timestamp.init(millisecondsSinceEpoch:)),
                                      status: row[2], state: row[3], lastSequence: row[4], vanished: row[5])
                }
            }
        }
    }

    /// Schedules every watched conversation of `source` for `now` (an operator's "re-poll the source").
    @discardableResult
    public func pollAll(source: String, now: Timestamp) throws -> Int {
        try writing("schedule source") { db in
            try db.execute(sql: "UPDATE conversations SET next_poll_at = ? WHERE source = ? AND next_poll_at IS NOT NULL",
                           arguments: [now.millisecondsSinceEpoch, source])
            return db.changesCount
        }
    }

    /// Conversations not vanished, by source, platform, status and raw state (for the conversations gauge).
    public func conversationCounts() throws -> [(source: String, platform: String, status: String, state: String, count: Int)] {
        try perform("count conversations by state") {
            try database.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT source, json_extract(snapshot, '$.platform'), json_extract(snapshot, '$.status'),
                           COALESCE(json_extract(snapshot, '$.state'), ''), COUNT(*)
                    FROM conversations WHERE vanished = 0 AND snapshot IS NOT NULL GROUP BY 1, 2, 3, 4
                    """).map { row in (row[0], row[1] ?? "", row[2] ?? "", row[3] ?? "", row[4]) }
            }
        }
    }

    /// Per source, when its longest-open conversation started (open, not vanished, start time known): what the
    /// "conversation open too long" alert needs. `started_at` is fixed-width RFC 3339 UTC, so text order is time order.
    public func oldestOpenStart() throws -> [(source: String, startedAt: Timestamp)] {
        try perform("find the oldest open conversation") {
            try database.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT source, MIN(json_extract(snapshot, '$.started_at'))
                    FROM conversations WHERE vanished = 0 AND json_extract(snapshot, '$.status') = 'open'
                      AND json_extract(snapshot, '$.started_at') IS NOT NULL GROUP BY source
                    """).compactMap { row in
                    let text: String? = row[1]
                    return text.flatMap(Timestamp.init(iso8601:)).map { (source: row[0], startedAt: $0) }
                }
            }
        }
    }

    // MARK: Topics of ids to watch

    /// Where reading a topic of ids resumes: per partition, the offset after the last record consumed.
    public func topicPositions(source: String, topic: String) throws -> [Int32: Int64] {
        try perform("read topic positions") {
            try database.read { db in
                var positions: [Int32: Int64] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT partition, next_offset FROM topic_positions WHERE source = ? AND topic = ?",
                                            arguments: [source, topic]) {
                    positions[row[0]] = row[1]
                }
                return positions
            }
        }
    }

    /// Moves past a record that names nothing to watch (a malformed one), so it is not read again.
    public func advance(source: String, to position: TopicPosition) throws {
        try writing("write topic position") { db in try Self.store(position, source: source, db) }
    }

    private static func store(_ position: TopicPosition, source: String, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO topic_positions (source, topic, partition, next_offset) VALUES (?, ?, ?, ?)
            ON CONFLICT (source, topic, partition) DO UPDATE SET next_offset = MAX(next_offset, excluded.next_offset)
            """, arguments: [source, position.topic, position.partition, position.nextOffset])
    }

    // MARK: Discovery cursor

    public func discoveryWindowEnd(source: String) throws -> Timestamp? {
        try perform("read cursor") {
            try database.read { db in
                try Int64.fetchOne(db, sql: "SELECT advisor_window_end FROM source_cursors WHERE source = ?", arguments: [source])
                    .map(Timestamp.init(millisecondsSinceEpoch:))
            }
        }
    }

    public func setDiscoveryWindowEnd(source: String, _ end: Timestamp) throws {
        try writing("write cursor") { db in
            try db.execute(sql: """
                INSERT INTO source_cursors (source, advisor_window_end) VALUES (?, ?)
                ON CONFLICT (source) DO UPDATE SET advisor_window_end = excluded.advisor_window_end
                """, arguments: [source, end.millisecondsSinceEpoch])
        }
    }

    // MARK: Outbox

    /// The oldest `limit` outbox entries, in the order they were written.
    public func pendingOutbox(limit: Int) throws -> [OutboxEntry] {
        try perform("read outbox") {
            try database.read { db in
                try Row.fetchAll(db, sql: "SELECT id, topic, record_key, value, headers FROM outbox ORDER BY id LIMIT ?", arguments: [limit])
                    .map { row in
                        let key: Data? = row["record_key"]
                        let value: Data? = row["value"]
                        let headers: Data = row["headers"]
                        return OutboxEntry(id: row["id"], record: OutboundRecord(
                            topic: row["topic"], key: key.map { Array($0) }, value: value.map { Array($0) },
                            headers: try Self.decodeHeaders(Array(headers))))
                    }
            }
        }
    }

    /// Removes entries Kafka acknowledged.
    public func removeOutbox(ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try writing("trim outbox") { db in
            for chunk in stride(from: 0, to: ids.count, by: 500) {
                let slice = Array(ids[chunk..<min(ids.count, chunk + 500)])
                let marks = Array(repeating: "?", count: slice.count).joined(separator: ",")
                try db.execute(sql: "DELETE FROM outbox WHERE id IN (\(marks))", arguments: StatementArguments(slice))
            }
        }
    }

    /// When the oldest outbox record was written; nil when the outbox is empty.
    public func oldestOutboxTime() throws -> Timestamp? {
        try perform("read outbox age") {
            try database.read { db in
                try Int64.fetchOne(db, sql: "SELECT MIN(created_at) FROM outbox").map(Timestamp.init(millisecondsSinceEpoch:))
            }
        }
    }

    /// Whether the last write was refused because the disk is full (and none succeeded since), or free space is
    /// below ``minimumFreeBytes``. While it is, the bridge holds back what would write (polls, discovery, ids) until
    /// ``probeWritable(headroom:)`` succeeds.
    public var isDiskFull: Bool {
        if diskFull.withLock({ $0 }) { return true }
        guard minimumFreeBytes > 0 else { return false }
        // Asked before every poll: the filesystem is asked at most twice a second.
        let now = ContinuousClock.now
        let free = lowSpaceCheck.withLock { check in
            if check.map({ now - $0.at < .milliseconds(500) }) != true { check = (now, freeBytes) }
            return check?.free
        }
        return free.map { $0 < minimumFreeBytes } ?? false
    }

    /// Free space on the store's filesystem, when the system says.
    public var freeBytes: Int64? {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return ((try? FileManager.default.attributesOfFileSystem(forPath: directory))?[.systemFreeSize] as? NSNumber)?.int64Value
    }

    /// Whether the store can write again: at least `headroom` and ``minimumFreeBytes`` free (when the filesystem
    /// says) and a small write transaction commits. Clears the refused-write flag when it does.
    public func probeWritable(headroom: Int64 = 1 << 20) -> Bool {
        let free = freeBytes
        lowSpaceCheck.withLock { $0 = (ContinuousClock.now, free) }
        if let free, free < max(headroom, minimumFreeBytes) { return false }
        return (try? writing("probe free space") { db in
            try db.execute(sql: "INSERT INTO store_probe (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                           arguments: [Int64(Date().timeIntervalSince1970 * 1000)])
        }) != nil
    }

    /// Whether the database answers a query (the readiness probe's "store open").
    public func isReadable() -> Bool {
        (try? database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    public func outboxCount() throws -> Int {
        try perform("count outbox") { try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox") ?? 0 } }
    }

    // MARK: Encoding

    private func perform<Result>(_ operation: String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(path: path, operation: operation, underlying: "\(error)", isDiskFull: (error as? DatabaseError)?.resultCode == .SQLITE_FULL)
        }
    }

    /// One write transaction; a refusal for lack of space marks the store full until a write succeeds again.
    private func writing<Result>(_ operation: String, _ body: (Database) throws -> Result) throws -> Result {
        do {
            let result = try perform(operation) { try database.write(body) }
            diskFull.withLock { $0 = false }
            return result
        } catch let error as StoreError where error.isDiskFull {
            diskFull.withLock { $0 = true }
            throw error
        }
    }

    static func tracked(from row: Row, source: String, conversationID: String) throws -> TrackedConversation {
        let snapshotText: String? = row["snapshot"]
        let snapshot = try snapshotText.map { try ConversationSnapshot(json: JSONParser.parse($0)) }
        let closedSince: Int64? = row["closed_since"]
        let lastObservedAt: Int64? = row["last_observed_at"]
        let nextPollAt: Int64? = row["next_poll_at"]
        var tracked = TrackedConversation(
            source: source, conversationID: conversationID, snapshot: snapshot, lastSequence: row["last_sequence"],
            consecutiveNotFound: row["consecutive_not_found"], consecutiveFailures: row["consecutive_failures"],
            closedSince: closedSince.map(Timestamp.init(millisecondsSinceEpoch:)), vanished: row["vanished"],
            lastObservedAt: lastObservedAt.map(Timestamp.init(millisecondsSinceEpoch:))
        )
        tracked.isScheduled = nextPollAt != nil
        return tracked
    }

    /// Headers as a JSON array of `[name, value]` pairs (the contract's header values are UTF-8 text).
    static func encode(_ headers: [OutboundRecord.Header]) -> [UInt8] {
        JSONWriter.encode(.array(headers.map { .array([.string($0.name), .string(String(decoding: $0.value, as: UTF8.self))]) }))
    }

    static func decodeHeaders(_ bytes: [UInt8]) throws -> [OutboundRecord.Header] {
        guard let pairs = try JSONParser.parse(bytes).arrayValue else { return [] }
        return pairs.compactMap { pair in
            guard let items = pair.arrayValue, items.count == 2, let name = items[0].stringValue, let value = items[1].stringValue else { return nil }
            return OutboundRecord.Header(name: name, value: Array(value.utf8))
        }
    }
}
