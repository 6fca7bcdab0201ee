public import ConvoBridgeCore
import Foundation
import GRDB

extension BridgeStore {
    /// Runs `body` on the conversation's current state (a fresh one if it is new) and saves what it returns, its
    /// outbox records included, in the next group-committed transaction. Returns once that transaction committed:
    /// the records are durable before anything can publish them.
    ///
    /// A write that changes nothing (the same state, no records, the same schedule) writes no row.
    ///
    /// - Parameter position: a record of a topic of ids to watch that this write consumes; its next offset is
    ///   stored in the same transaction, so after a crash the record is either applied and passed, or neither.
    @discardableResult
    public func write(
        source: String, conversationID: String, discoveredBy: DiscoveredBy, now: Timestamp, position: TopicPosition? = nil,
        delivery: WebhookDelivery? = nil,
        _ body: @escaping @Sendable (TrackedConversation) throws -> ConversationWrite
    ) async throws -> ConversationWrite {
        try await write(
            source: source, conversationID: conversationID, discoveredBy: discoveredBy, now: now, position: position,
            delivery: delivery
        ) { tracked in
            (try body(tracked), ())
        }.write
    }

    /// The same, with a value of the caller's that `body` computed beside the write (what it applied, say).
    public func write<Detail: Sendable>(
        source: String, conversationID: String, discoveredBy: DiscoveredBy, now: Timestamp,
        position: TopicPosition? = nil, delivery: WebhookDelivery? = nil,
        _ body: @escaping @Sendable (TrackedConversation) throws -> (ConversationWrite, Detail)
    ) async throws
        -> (write: ConversationWrite, detail: Detail)
    {
        try await writing("write \(source)/\(conversationID)") { db in
            if let delivery { try Self.remember(delivery, source: source, conversationID: conversationID, db) }
            if let position { try Self.store(position, source: source, db) }
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM conversations WHERE source = ? AND conversation_id = ?"),
                arguments: [source, conversationID])
            let current =
                try row.map { try Self.tracked(from: $0, source: source, conversationID: conversationID) }
                ?? TrackedConversation(source: source, conversationID: conversationID)
            let (result, detail) = try body(current)
            let existingPoll: Int64? = row?["next_poll_at"]
            let planned: Int64? =
                switch result.poll {
                case .keep: existingPoll
                case .at(let at): at.millisecondsSinceEpoch
                case .noLaterThan(let at): min(existingPoll ?? .max, at.millisecondsSinceEpoch)
                case .retire: nil
                }
            let tracked = result.tracked
            let nextPoll = tracked.vanished ? nil : planned
            var unchanged = tracked
            unchanged.lastObservedAt = current.lastObservedAt
            unchanged.isScheduled = current.isScheduled
            if row != nil, result.records.isEmpty, unchanged == current, nextPoll == existingPoll {
                // The request time of an unchanged answer matters only while the process runs (the poll engine keeps it).
                return (result, detail)
            }
            try db.cachedStatement(sql: Self.upsertConversation).execute(arguments: [
                source, conversationID, tracked.snapshot.map { JSONWriter.string($0.jsonValue) }, tracked.lastSequence,
                tracked.consecutiveNotFound, tracked.consecutiveFailures, tracked.closedSince?.millisecondsSinceEpoch,
                tracked.vanished, nextPoll, discoveredBy.rawValue, now.millisecondsSinceEpoch,
                tracked.lastObservedAt?.millisecondsSinceEpoch,
            ])
            let insert = try db.cachedStatement(
                sql: "INSERT INTO outbox (topic, record_key, value, headers, created_at, record_time) VALUES (?, ?, ?, ?, ?, ?)")
            var records = result.records
            if !records.isEmpty, let stateRecord = self.stateRecord {
                records.append(stateRecord(tracked, nextPoll.map(Timestamp.init(millisecondsSinceEpoch:))))
            }
            for record in records {
                try insert.execute(arguments: [
                    record.topic, record.key.map { Data($0) }, record.value.map { Data($0) },
                    Data(Self.encode(record.headers)), now.millisecondsSinceEpoch, record.timestamp,
                ])
            }
            var written = result
            if !records.isEmpty { written.outboxThrough = db.lastInsertedRowID }
            return (written, detail)
        }
    }

    /// A conversation's row, inserted or updated: source, conversation_id, snapshot, last_sequence,
    /// consecutive_not_found, consecutive_failures, closed_since, vanished, next_poll_at, discovered_by and
    /// first_seen_at (both kept from the first insert), last_observed_at.
    static let upsertConversation = """
        INSERT INTO conversations (source, conversation_id, snapshot, last_sequence, consecutive_not_found,
            consecutive_failures, closed_since, vanished, next_poll_at, discovered_by, first_seen_at, last_observed_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (source, conversation_id) DO UPDATE SET
            snapshot = excluded.snapshot, last_sequence = excluded.last_sequence,
            consecutive_not_found = excluded.consecutive_not_found, consecutive_failures = excluded.consecutive_failures,
            closed_since = excluded.closed_since, vanished = excluded.vanished, next_poll_at = excluded.next_poll_at,
            last_observed_at = excluded.last_observed_at
        """

    public func conversation(source: String, conversationID: String) async throws -> TrackedConversation? {
        try await reading("read \(source)/\(conversationID)") { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM conversations WHERE source = ? AND conversation_id = ?",
                arguments: [source, conversationID]
            )
            .map { try Self.tracked(from: $0, source: source, conversationID: conversationID) }
        }
    }

    /// What the poll engine loads at start: every conversation of `source` that is not vanished, with its next
    /// poll (nil: retired) and what its schedule depends on.
    public func scheduledConversations(source: String) async throws -> [ScheduledConversation] {
        try await reading("read the schedule") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT conversation_id, next_poll_at, snapshot IS NOT NULL, json_extract(snapshot, '$.status') = 'closed',
                           closed_since, consecutive_not_found, consecutive_failures
                    FROM conversations WHERE source = ? AND vanished = 0
                    """, arguments: [source]
            ).map { row in
                let next: Int64? = row[1]
                let closedSince: Int64? = row[4]
                let closed: Bool? = row[3]
                return ScheduledConversation(
                    conversationID: row[0], nextPollAt: next.map(Timestamp.init(millisecondsSinceEpoch:)), hasSnapshot: row[2],
                    facts: PollFacts(
                        isClosed: closed ?? false, closedSince: closedSince.map(Timestamp.init(millisecondsSinceEpoch:)),
                        consecutiveNotFound: row[5]),
                    consecutiveFailures: row[6])
            }
        }
    }

    /// Saves the schedule the poll engine holds in memory (polls whose answers changed nothing write no row): in one
    /// transaction, for existing rows only.
    public func persistSchedule(source: String, _ schedule: [(conversationID: String, nextPollAt: Timestamp?)]) async throws {
        guard !schedule.isEmpty else { return }
        try await writing("persist the schedule") { db in
            let update = try db.cachedStatement(
                sql: "UPDATE conversations SET next_poll_at = ? WHERE source = ? AND conversation_id = ? AND vanished = 0")
            for entry in schedule {
                try update.execute(arguments: [entry.nextPollAt?.millisecondsSinceEpoch, source, entry.conversationID])
            }
        }
    }

    /// When the next poll of `source` is due; nil when nothing is scheduled.
    public func nextPollTime(source: String) async throws -> Timestamp? {
        try await reading("read next poll") { db in
            try Int64.fetchOne(
                db, sql: "SELECT MIN(next_poll_at) FROM conversations WHERE source = ? AND next_poll_at IS NOT NULL",
                arguments: [source]
            ).map(Timestamp.init(millisecondsSinceEpoch:))
        }
    }

    /// Conversations of `source` by state: watched (scheduled), retired, vanished.
    public func counts(source: String) async throws -> (watched: Int, retired: Int, vanished: Int) {
        try await reading("count conversations") { db in
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT SUM(next_poll_at IS NOT NULL), SUM(next_poll_at IS NULL AND vanished = 0), SUM(vanished)
                    FROM conversations WHERE source = ?
                    """, arguments: [source])
            return (row?[0] ?? 0, row?[1] ?? 0, row?[2] ?? 0)
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
    public func watchList(source: String) async throws -> [WatchEntry] {
        try await reading("read watch list") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT conversation_id, next_poll_at, json_extract(snapshot, '$.status'), json_extract(snapshot, '$.state'),
                           last_sequence, vanished
                    FROM conversations WHERE source = ? ORDER BY conversation_id
                    """, arguments: [source]
            ).map { row in
                let next: Int64? = row[1]
                return WatchEntry(
                    conversationID: row[0], nextPollAt: next.map(Timestamp.init(millisecondsSinceEpoch:)),
                    status: row[2], state: row[3], lastSequence: row[4], vanished: row[5])
            }
        }
    }

    /// Schedules every watched conversation of `source` for `now` (an operator's "re-poll the source").
    @discardableResult
    public func pollAll(source: String, now: Timestamp) async throws -> Int {
        try await writing("schedule source") { db in
            try db.execute(
                sql: "UPDATE conversations SET next_poll_at = ? WHERE source = ? AND next_poll_at IS NOT NULL",
                arguments: [now.millisecondsSinceEpoch, source])
            return db.changesCount
        }
    }

    /// Conversations not vanished, by source, platform, status and raw state (for the conversations gauge).
    public func conversationCounts() async throws -> [ConversationCount] {
        try await reading("count conversations by state") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT source, json_extract(snapshot, '$.platform'), json_extract(snapshot, '$.status'),
                           COALESCE(json_extract(snapshot, '$.state'), ''), COUNT(*)
                    FROM conversations WHERE vanished = 0 AND snapshot IS NOT NULL GROUP BY 1, 2, 3, 4
                    """
            ).map { row in ConversationCount(source: row[0], platform: row[1] ?? "", status: row[2] ?? "", state: row[3] ?? "", count: row[4]) }
        }
    }

    /// Per source, when its longest-open conversation started (open, not vanished, start time known): what the
    /// "conversation open too long" alert needs. `started_at` is fixed-width RFC 3339 UTC, so text order is time order.
    public func oldestOpenStart() async throws -> [(source: String, startedAt: Timestamp)] {
        try await reading("find the oldest open conversation") { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT source, MIN(json_extract(snapshot, '$.started_at'))
                    FROM conversations WHERE vanished = 0 AND json_extract(snapshot, '$.status') = 'open'
                      AND json_extract(snapshot, '$.started_at') IS NOT NULL GROUP BY source
                    """
            ).compactMap { row in
                let text: String? = row[1]
                return text.flatMap(Timestamp.init(iso8601:)).map { (source: row[0], startedAt: $0) }
            }
        }
    }
}

/// One conversation of the schedule the poll engine loads at start.
public struct ScheduledConversation: Sendable, Hashable {
    public var conversationID: String
    /// nil: retired (still owned: a webhook or an operator may schedule it again).
    public var nextPollAt: Timestamp?
    public var hasSnapshot: Bool
    public var facts: PollFacts
    public var consecutiveFailures: Int

    public init(conversationID: String, nextPollAt: Timestamp?, hasSnapshot: Bool, facts: PollFacts, consecutiveFailures: Int) {
        self.conversationID = conversationID
        self.nextPollAt = nextPollAt
        self.hasSnapshot = hasSnapshot
        self.facts = facts
        self.consecutiveFailures = consecutiveFailures
    }
}

/// Conversations of one source, platform, status and raw state.
public struct ConversationCount: Sendable, Hashable {
    public var source: String
    public var platform: String
    public var status: String
    public var state: String
    public var count: Int
}
