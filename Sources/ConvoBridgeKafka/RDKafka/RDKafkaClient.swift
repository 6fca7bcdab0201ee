import Crdkafka
import Synchronization

/// Owns one librdkafka client handle, its main event queue and its topic handles.
///
/// `@unchecked Sendable`: librdkafka handles are thread-safe; the only Swift state, the topic-handle cache, is
/// behind a `Mutex`.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind {
        case producer
        case consumer
    }

    let handle: OpaquePointer
    /// The main queue, where delivery reports, errors and logs arrive as events.
    let queue: OpaquePointer
    private let topics = Mutex<[String: OpaquePointer]>([:])

    /// Creates a client. `events` is librdkafka's event mask (`RD_KAFKA_EVENT_*`); logs are routed to the main
    /// queue when it includes `RD_KAFKA_EVENT_LOG`.
    init(kind: Kind, properties: [(String, String)], events: Int32) throws(KafkaError) {
        var properties = properties
        if events & RD_KAFKA_EVENT_LOG != 0 { properties.append(("log.queue", "true")) }
        let conf = try RDKafkaConfig.make(properties)
        if events != 0 { rd_kafka_conf_set_events(conf, events) }
        var errorText = [CChar](repeating: 0, count: 512)
        let type = kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER
        guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            let reason = RDKafkaConfig.string(buffer: errorText)
            throw KafkaError(code: .clientCreation, message: reason)
        }
        self.handle = handle
        if events & RD_KAFKA_EVENT_LOG != 0 {
            rd_kafka_set_log_queue(handle, nil)
        }
        self.queue = rd_kafka_queue_get_main(handle)
    }

    deinit {
        topics.withLock { cache in
            for topic in cache.values { rd_kafka_topic_destroy(topic) }
            cache.removeAll()
        }
        rd_kafka_queue_destroy(queue)
        rd_kafka_destroy(handle)
    }

    /// A cached topic handle (a topic-name lookup per message would cost a hash and a lock in librdkafka).
    func topic(_ name: String) -> OpaquePointer? {
        topics.withLock { cache in
            if let cached = cache[name] { return cached }
            guard let created = rd_kafka_topic_new(handle, name, nil) else { return nil }
            cache[name] = created
            return created
        }
    }

    /// Messages not yet acknowledged or failed: queued, in flight, or awaiting their delivery report.
    var outQueueLength: Int32 { rd_kafka_outq_len(handle) }

    /// Wakes a thread blocked in `rd_kafka_queue_poll` on the main queue.
    func wake() { rd_kafka_queue_yield(queue) }
}
