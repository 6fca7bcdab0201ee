public import ConvoBridgeCore
import Foundation
import GRDB
import Synchronization

/// The bridge's durable state in one SQLite file (WAL, `synchronous=FULL`): each conversation's last snapshot,
/// sequence and schedule (`BridgeStore+Conversations`), each source's discovery cursor and topic positions
/// (`BridgeStore+Positions`), and the outbox of encoded records not yet acknowledged by Kafka
/// (`BridgeStore+Outbox`) with the records quarantined from it (`BridgeStore+Quarantine`). A snapshot and the
/// events it causes are written in one transaction, so a crash leaves either both or neither; writes that arrive
/// together share that transaction (``GroupCommit``).
///
/// Every call that touches SQLite is async and runs on GRDB's queues, never on Swift's cooperative threads.
public final class BridgeStore: Sendable {
    public let path: String
    let database: DatabasePool
    let commit: GroupCommit
    private let diskFull: CommitRecord
    private let lowSpaceCheck = Mutex<(at: ContinuousClock.Instant, free: Int64?)?>(nil)

    /// Below this many free bytes on the store's filesystem the store counts as full (0: only when SQLite says).
    public let minimumFreeBytes: Int64

    /// Replicas coordinated by Kafka: the record of a conversation's state for the internal state topic, added to
    /// the outbox after the records of every write that has some, so the relay publishes both in one transaction.
    public typealias StateRecordMaker = @Sendable (_ tracked: TrackedConversation, _ nextPollAt: Timestamp?) -> OutboundRecord
    let stateRecord: StateRecordMaker?

    /// Opens (creating if needed) and migrates the store at `path`.
    /// - Parameters:
    ///   - minimumFreeBytes: free space under which ``isDiskFull`` says so before SQLite has to refuse a write (a
    ///     checkpoint or a growing WAL needing a page it cannot have).
    ///   - stateRecord: with replicas coordinated by Kafka, the state record each write with records adds.
    public init(path: String, minimumFreeBytes: Int64 = 0, stateRecord: StateRecordMaker? = nil) throws {
        self.path = path
        self.minimumFreeBytes = minimumFreeBytes
        self.stateRecord = stateRecord
        var configuration = Configuration()
        configuration.label = "convobridge-store"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let database: DatabasePool
        do {
            // The store holds personal data: a new file is readable by its owner only, and SQLite gives the WAL and
            // shared-memory files the database file's permissions.
            if !FileManager.default.fileExists(atPath: path) {
                FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            database = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw StoreError(path: path, operation: "open", underlying: "\(error)")
        }
        self.database = database
        let diskFull = CommitRecord()
        self.diskFull = diskFull
        // A commit clears the refused-write flag; a refusal for lack of space sets it.
        self.commit = GroupCommit(database: database) { result in
            switch result {
            case .success(let writes): diskFull.committed(writes: writes)
            case .failure(let error): if (error as? DatabaseError)?.resultCode == .SQLITE_FULL { diskFull.set(true) }
            }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
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
            try db.execute(
                sql: """
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
        migrator.registerMigration("v5: quarantined outbox records") { db in
            // Columns untyped like the outbox's own values may turn out to be: a row that could not be read is
            // moved as it is.
            try db.execute(
                sql: """
                    CREATE TABLE outbox_quarantine (
                        id INTEGER PRIMARY KEY,
                        topic,
                        record_key,
                        value,
                        headers,
                        created_at,
                        reason TEXT NOT NULL,
                        quarantined_at INTEGER NOT NULL
                    );
                    CREATE INDEX outbox_quarantine_key ON outbox_quarantine (record_key);
                    """)
        }
        migrator.registerMigration("v6: webhook deliveries seen") { db in
            try db.execute(
                sql: """
                    CREATE TABLE webhook_seen (
                        source TEXT NOT NULL,
                        digest BLOB NOT NULL,
                        seen_at INTEGER NOT NULL,
                        PRIMARY KEY (source, digest)
                    ) WITHOUT ROWID;
                    CREATE INDEX webhook_seen_age ON webhook_seen (seen_at);
                    """)
        }
        migrator.registerMigration("v7: record times") { db in
            // NULL in rows written before: those records are stamped by the producer, as they were then.
            try db.execute(
                sql: """
                    ALTER TABLE outbox ADD COLUMN record_time INTEGER;
                    ALTER TABLE outbox_quarantine ADD COLUMN record_time;
                    """)
        }
        migrator.registerMigration("v8: webhook deliveries' conversations") { db in
            // So that a partition's restore forgets the deliveries its dropped outbox had forwarded (NULL before).
            try db.execute(sql: "ALTER TABLE webhook_seen ADD COLUMN conversation_id TEXT")
        }
        migrator.registerMigration("v9: partition checkpoints") { db in
            // A row with no next_offset: a release under way, not a checkpoint yet.
            try db.execute(
                sql: """
                    CREATE TABLE partition_checkpoints (
                        partition INTEGER PRIMARY KEY,
                        state_topic TEXT,
                        partitions INTEGER,
                        next_offset INTEGER,
                        written_at INTEGER
                    );
                    """)
        }
        return migrator
    }

    /// Closes the database (checkpointing the WAL). Call once, after everything that uses the store stopped.
    public func close() throws {
        do {
            try database.close()
        } catch {
            throw storeError("close", error)
        }
    }

    /// Whether the last write was refused because the disk is full (and none succeeded since), or free space is
    /// below ``minimumFreeBytes``. While it is, the bridge holds back what would write (polls, discovery, ids) until
    /// ``probeWritable(headroom:)`` succeeds.
    public var isDiskFull: Bool {
        if diskFull.isSet { return true }
        guard minimumFreeBytes > 0 else { return false }
        // Asked before every poll: the filesystem is asked at most twice a second.
        let now = ContinuousClock.now
        let free = lowSpaceCheck.withLock { check in
            if check.map({ now - $0.at < .milliseconds(500) }) != true { check = (now, freeBytes) }
            return check?.free
        }
        return free.map { $0 < minimumFreeBytes } ?? false
    }

    /// Transactions committed since the store was opened, and the writes they carried (group commit: many a
    /// transaction).
    public var commits: (transactions: Int, writes: Int) { diskFull.counts }

    /// Free space on the store's filesystem, when the system says.
    public var freeBytes: Int64? {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return ((try? FileManager.default.attributesOfFileSystem(forPath: directory))?[.systemFreeSize] as? NSNumber)?.int64Value
    }

    /// Whether the store can write again: at least `headroom` and ``minimumFreeBytes`` free (when the filesystem
    /// says) and a small write transaction commits. Clears the refused-write flag when it does.
    public func probeWritable(headroom: Int64 = 1 << 20) async -> Bool {
        let free = freeBytes
        lowSpaceCheck.withLock { $0 = (ContinuousClock.now, free) }
        if let free, free < max(headroom, minimumFreeBytes) { return false }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return
            (try? await writing("probe free space") { db in
                try db.execute(
                    sql: "INSERT INTO store_probe (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                    arguments: [now])
            }) != nil
    }

    /// Whether the database answers a query (the readiness probe's "store open").
    public func isReadable() async -> Bool {
        (try? await database.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    // MARK: Running statements

    /// A read on GRDB's reader pool; errors become ``StoreError``s naming `operation`.
    func reading<Value: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        do {
            return try await database.read(body)
        } catch {
            throw storeError(operation, error)
        }
    }

    /// A write in the next group-committed transaction; a refusal for lack of space marks the store full until a
    /// transaction commits again.
    func writing<Value: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> Value) async throws -> Value {
        do {
            return try await commit.write(body)
        } catch {
            throw storeError(operation, error)
        }
    }

    private func storeError(_ operation: String, _ error: any Error) -> any Error {
        if error is StoreError || error is DuplicateDelivery { return error }
        return StoreError(path: path, operation: operation, underlying: "\(error)", isDiskFull: (error as? DatabaseError)?.resultCode == .SQLITE_FULL)
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

/// Whether the last transaction was refused for lack of space (and none committed since), and how many
/// transactions and writes committed.
private final class CommitRecord: Sendable {
    private let state = Mutex((refused: false, transactions: 0, writes: 0))
    var isSet: Bool { state.withLock { $0.refused } }
    var counts: (transactions: Int, writes: Int) { state.withLock { ($0.transactions, $0.writes) } }
    func set(_ refused: Bool) { state.withLock { $0.refused = refused } }

    func committed(writes: Int) {
        state.withLock {
            $0.refused = false
            $0.transactions += 1
            $0.writes += writes
        }
    }
}
