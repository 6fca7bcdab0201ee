/// Turns contract events and snapshots into Kafka records, per the CloudEvents 1.0 Kafka binding.
public struct CloudEventEncoder: Sendable {
    /// Where and how events are written.
    public struct Configuration: Sendable, Hashable {
        /// The topic of transition events (`conversation-events`).
        public var eventsTopic: String
        /// The compacted topic of latest snapshots (`conversation-state`).
        public var stateTopic: String
        public var contentMode: EventContentMode
        /// Whether events carry the platform payload under `data.raw`.
        public var includeRaw: Bool
        /// The largest record (key, value and headers) the encoder writes. A larger event is trimmed (see
        /// ``CloudEventEncoder/trimmableFields``) so that its transition is still delivered: Kafka would refuse it
        /// for good, and the conversation's later events wait behind it.
        public var maxRecordBytes: Int
        /// Where the JSON Schemas of `data` are published: each event's `dataschema` is this, then
        /// `data/{type}.json` (`data/native.json` for a forwarded platform event). An absolute URI ending in `/` (or `:`).
        public var dataSchemaBase: String

        /// The schemas of this contract version in the project's repository (`deploy/schemas/v1/`).
        public static let defaultDataSchemaBase = "https://raw.githubusercontent.com/convobridge/convobridge/main/deploy/schemas/v1/"

        /// Under the producer's and the broker's default `message.max.bytes` (1,000,000 and 1,048,588 bytes),
        /// with room for the record's framing.
        public static let defaultMaxRecordBytes = 950_000

        public init(
            eventsTopic: String = "conversation-events",
            stateTopic: String = "conversation-state",
            contentMode: EventContentMode = .binary,
            includeRaw: Bool = true,
            maxRecordBytes: Int = Configuration.defaultMaxRecordBytes,
            dataSchemaBase: String = Configuration.defaultDataSchemaBase
        ) {
            self.eventsTopic = eventsTopic
            self.stateTopic = stateTopic
            self.contentMode = contentMode
            self.includeRaw = includeRaw
            self.maxRecordBytes = maxRecordBytes
            self.dataSchemaBase = dataSchemaBase
        }

        /// The `dataschema` of events of `type`.
        public func dataSchema(of type: EventType) -> String {
            dataSchemaBase + "data/" + (type.isDerived ? type.rawValue : "native") + ".json"
        }
    }

    /// What an oversized event loses, in this order, until it fits: the platform payload, a forwarded event's
    /// payload, then the snapshots. What was removed is listed in `data.truncated`; the transition, the changed
    /// fields, the sequence and the times always stay.
    public static let trimmableFields = ["raw", "native", "before", "after"]

    /// What an oversized state record loses: the snapshot's platform extras, listed in its `truncated`.
    public static let trimmableStateFields = ["attributes"]

    public static let specVersion = "1.0"

    public var configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// The `ce_source` of a configured source.
    public static func ceSource(_ source: String) -> String { "/sources/\(source)" }

    /// The record of one event on the events topic.
    public func eventRecord(_ event: ConversationEvent) -> OutboundRecord {
        eventRecord(event, data: event.dataJSON(includeRaw: configuration.includeRaw))
    }

    /// The records of the events of one observation, then the state record of `state` (the latest snapshot) when
    /// given. They share their `before` and `after` snapshots, whose JSON is built once for all of them.
    /// The state record is stamped with the events' observation time.
    public func records(
        for events: [ConversationEvent], state: (source: String, conversationID: String, snapshot: ConversationSnapshot)?
    ) -> [OutboundRecord] {
        var cache = SnapshotJSONCache()
        var records = events.map { event in
            eventRecord(
                event,
                data: event.dataJSON(
                    includeRaw: configuration.includeRaw,
                    before: cache.json(of: event.before), after: cache.json(of: event.after)))
        }
        if let state {
            records.append(
                stateRecord(
                    source: state.source, conversationID: state.conversationID, value: cache.json(of: state.snapshot),
                    observedAt: events.last?.observedAt))
        }
        return records
    }

    private func eventRecord(_ event: ConversationEvent, data: JSONValue) -> OutboundRecord {
        Self.trimmed(encode: { eventRecord(event, encoding: $0) }, data, fields: Self.trimmableFields, limit: configuration.maxRecordBytes)
    }

    /// `encode(value)`, or, when that is over `limit`, `encode` of `value` without the first of `fields` it has,
    /// then the next, until it fits or none is left; the removed ones listed under `truncated`.
    private static func trimmed(encode: (JSONValue) -> OutboundRecord, _ value: JSONValue, fields: [String], limit: Int) -> OutboundRecord {
        var record = encode(value)
        guard record.encodedSize > limit, case .object(let object) = value else { return record }
        var members = object.members
        var removed: [String] = []
        for field in fields where members.contains(where: { $0.key == field }) {
            members.removeAll { $0.key == field }
            removed.append(field)
            var trimmed = JSONObject(members)
            trimmed.append("truncated", .array(removed.map(JSONValue.string)))
            record = encode(.object(trimmed))
            if record.encodedSize <= limit { break }
        }
        return record
    }

    private func eventRecord(_ event: ConversationEvent, encoding data: JSONValue) -> OutboundRecord {
        let key = event.key
        let timestamp = event.observedAt.millisecondsSinceEpoch
        let dataSchema = configuration.dataSchema(of: event.type)
        switch configuration.contentMode {
        case .binary:
            return OutboundRecord(
                topic: configuration.eventsTopic,
                key: Array(key.utf8),
                value: JSONWriter.encode(data),
                headers: [
                    .init(name: "ce_specversion", value: Self.specVersion),
                    .init(name: "ce_id", value: event.id),
                    .init(name: "ce_source", value: Self.ceSource(event.source)),
                    .init(name: "ce_type", value: event.type.rawValue),
                    .init(name: "ce_dataschema", value: dataSchema),
                    .init(name: "ce_subject", value: event.conversationID),
                    .init(name: "ce_time", value: event.observedAt.rfc3339),
                    .init(name: "ce_sequence", value: String(event.sequence)),
                    .init(name: "ce_partitionkey", value: key),
                    .init(name: "content-type", value: "application/json"),
                ],
                timestamp: timestamp
            )
        case .structured:
            let envelope: JSONObject = [
                "specversion": .string(Self.specVersion),
                "id": .string(event.id),
                "source": .string(Self.ceSource(event.source)),
                "type": .string(event.type.rawValue),
                "dataschema": .string(dataSchema),
                "subject": .string(event.conversationID),
                "time": .string(event.observedAt.rfc3339),
                "sequence": .string(String(event.sequence)),
                "partitionkey": .string(key),
                "datacontenttype": .string("application/json"),
                "data": data,
            ]
            return OutboundRecord(
                topic: configuration.eventsTopic,
                key: Array(key.utf8),
                value: JSONWriter.encode(.object(envelope)),
                headers: [.init(name: "content-type", value: "application/cloudevents+json")],
                timestamp: timestamp
            )
        }
    }

    /// The record of a conversation's latest snapshot on the compacted state topic; a tombstone (nil value) when
    /// `snapshot` is nil, i.e. the conversation vanished. Stamped with `observedAt`, the time of the observation
    /// the snapshot (or its vanishing) comes from.
    public func stateRecord(source: String, conversationID: String, snapshot: ConversationSnapshot?, observedAt: Timestamp?) -> OutboundRecord {
        let key = ConversationEvent.key(source: source, conversationID: conversationID)
        guard let snapshot else {
            return OutboundRecord(
                topic: configuration.stateTopic, key: Array(key.utf8), value: nil, headers: [],
                timestamp: observedAt?.millisecondsSinceEpoch)
        }
        return stateRecord(source: source, conversationID: conversationID, value: snapshot.jsonValue, observedAt: observedAt)
    }

    private func stateRecord(source: String, conversationID: String, value: JSONValue, observedAt: Timestamp?) -> OutboundRecord {
        Self.trimmed(
            encode: { stateRecord(source: source, conversationID: conversationID, encoding: $0, observedAt: observedAt) }, value,
            fields: Self.trimmableStateFields, limit: configuration.maxRecordBytes)
    }

    private func stateRecord(source: String, conversationID: String, encoding value: JSONValue, observedAt: Timestamp?) -> OutboundRecord {
        OutboundRecord(
            topic: configuration.stateTopic,
            key: Array(ConversationEvent.key(source: source, conversationID: conversationID).utf8),
            value: JSONWriter.encode(value),
            headers: [.init(name: "content-type", value: "application/json")],
            timestamp: observedAt?.millisecondsSinceEpoch
        )
    }
}

/// The JSON of the last few snapshots asked for: the events of one observation carry the same two.
private struct SnapshotJSONCache {
    private var entries: [(snapshot: ConversationSnapshot, json: JSONValue)] = []

    mutating func json(of snapshot: ConversationSnapshot?) -> JSONValue {
        guard let snapshot else { return .null }
        if let hit = entries.first(where: { $0.snapshot == snapshot }) { return hit.json }
        let json = snapshot.jsonValue
        entries.append((snapshot, json))
        return json
    }
}
