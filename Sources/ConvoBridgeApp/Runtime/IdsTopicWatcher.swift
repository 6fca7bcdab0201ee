import ConvoBridgeCore
import ConvoBridgeKafka
import ConvoBridgeStore
import Foundation
import Logging
import ServiceLifecycle

/// Watches the conversations an upstream system names on a Kafka topic (`sources[].ids_topic`): each record's
/// value is a conversation id, as text or as `{"id": …}` / `{"conversation_id": …}`. Zild has no list endpoint,
/// so this is how a user connects the system that knows which conversations exist.
///
/// Positions are kept in the bridge's store, in the same transaction as the watch they cause: after a crash a
/// record is either applied and passed, or read again. A record that names no valid id is logged and passed.
final class IdsTopicWatcher: Service, Sendable {
    let topic: String
    private let poller: SourcePoller
    private let store: BridgeStore
    private let bootstrapServers: String
    private let properties: [String: String]
    private let now: @Sendable () -> Timestamp
    private let logger: Logger

    /// - Parameters:
    ///   - bootstrapServers: the publisher's.
    ///   - kafkaProperties: the publisher's librdkafka properties, of which the security ones are used.
    init(
        topic: String, poller: SourcePoller, store: BridgeStore, bootstrapServers: String, kafkaProperties: [String: String],
        now: @escaping @Sendable () -> Timestamp, logger: Logger
    ) {
        self.topic = topic
        self.poller = poller
        self.store = store
        self.bootstrapServers = bootstrapServers
        // Only what a consumer needs to reach and authenticate to the cluster; producer settings do not apply.
        self.properties = kafkaProperties.filter { key, _ in ["security.", "sasl.", "ssl."].contains { key.hasPrefix($0) } }
        self.now = now
        var logger = logger
        logger[metadataKey: "source"] = "\(poller.source)"
        logger[metadataKey: "ids_topic"] = "\(topic)"
        self.logger = logger
    }

    func run() async throws {
        let source = poller.source
        let reader = try KafkaTopicReader(
            bootstrapServers: bootstrapServers, topic: topic,
            from: .offsets(try await store.topicPositions(source: source, topic: topic)), properties: properties)
        try await untilGracefulShutdown {
            for try await record in reader.records() {
                try await self.consumeWhenWritable(record)
            }
        }
    }

    /// Consumes a record, waiting while the store's disk is full or the store fails: the record is retried, never
    /// skipped, and the reader behind it waits (its buffer is bounded).
    private func consumeWhenWritable(_ record: ConsumedRecord) async throws {
        var failures = 0
        while true {
            try await poller.spaceGate.waitUntilWritable("reading \(topic)", logger: logger)
            do {
                return try await consume(record)
            } catch let error as StoreError where error.isDiskFull {
                continue
            } catch let error as StoreError {
                failures += 1
                let delay = DoublingDelay.storeRetry.delay(afterFailures: failures)
                logger.error(
                    "could not record an id from the topic; retrying",
                    metadata: [
                        "offset": "\(record.offset)", "error": "\(error)",
                        "retry_in": "\(delay)",
                    ])
                try await Task.sleep(for: delay)
            }
        }
    }

    func consume(_ record: ConsumedRecord) async throws {
        let position = TopicPosition(topic: topic, partition: record.partition, nextOffset: record.offset + 1)
        guard let id = Self.conversationID(in: record.value) else {
            logger.warning("record names no conversation id; skipped", metadata: ["partition": "\(record.partition)", "offset": "\(record.offset)"])
            try await store.advance(source: poller.source, to: position)
            return
        }
        if let problem = poller.reader.problem(withConversationID: id) {
            logger.warning("record names an invalid conversation id; skipped", metadata: ["offset": "\(record.offset)", "problem": "\(problem)"])
            try await store.advance(source: poller.source, to: position)
            return
        }
        if try await poller.handsOff(id, origin: .idsTopic, pollNow: false) {
            try await store.advance(source: poller.source, to: position)
            return
        }
        let at = now()
        let write = try await store.write(source: poller.source, conversationID: id, discoveredBy: .idsTopic, now: at, position: position) {
            tracked in
            ConversationWrite(tracked: tracked, poll: tracked.vanished ? .keep : .noLaterThan(at))
        }
        poller.scheduled(id, by: write)
    }

    /// The id in a record's value: the text itself, or the `id` / `conversation_id` / `conversationId` of a JSON object.
    static func conversationID(in value: [UInt8]?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        if let json = try? JSONParser.parse(value) {
            if let object = json.objectValue {
                return ["id", "conversation_id", "conversationId"].lazy.compactMap { object[$0]?.scalarText }.first { !$0.isEmpty }
            }
            return json.scalarText.flatMap { $0.isEmpty ? nil : $0 }
        }
        let text = String(decoding: value, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty || text.count > 256 ? nil : text
    }
}
