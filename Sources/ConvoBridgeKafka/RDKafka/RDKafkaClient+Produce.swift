import ConvoBridgeCore
import Crdkafka

extension RDKafkaClient {
    /// The outcome of handing one record to librdkafka.
    enum ProduceResult {
        case enqueued
        /// `queue.buffering.max.messages`/`kbytes` reached: wait for deliveries, then try again.
        case queueFull
        /// The client has raised a fatal error: it must be recreated before anything more is produced.
        case fatal
        /// Not enqueued; `permanent` when the record itself is the reason (e.g. larger than `message.max.bytes`),
        /// so that sending the same bytes again cannot succeed.
        case failed(String, permanent: Bool)
    }

    /// Remembers the last topic handle used, so a run of records for one topic looks it up once.
    struct TopicCache {
        var name: String?
        var handle: OpaquePointer?
    }

    /// Enqueues `record`; `opaque` comes back in its delivery report.
    func produce(_ record: OutboundRecord, opaque: UInt, topics: inout TopicCache) -> ProduceResult {
        if topics.name != record.topic {
            topics = TopicCache(name: record.topic, handle: topic(record.topic))
        }
        guard let topic = topics.handle else {
            return .failed("librdkafka refused the topic name '\(record.topic)'", permanent: false)
        }
        var headers: OpaquePointer?
        if !record.headers.isEmpty {
            headers = rd_kafka_headers_new(record.headers.count)
            for header in record.headers {
                header.value.withUnsafeBytes { bytes in
                    _ = rd_kafka_header_add(headers, header.name, -1, bytes.baseAddress, bytes.count)
                }
            }
        }
        let error = Self.withOptionalBytes(record.key) { key, keyLength in
            Self.withOptionalBytes(record.value) { value, valueLength in
                convobridge_produce(
                    handle, topic, record.partition ?? -1 /* RD_KAFKA_PARTITION_UA */, key, keyLength, value, valueLength, headers,
                    record.timestamp ?? 0,
                    UnsafeMutableRawPointer(bitPattern: opaque)
                )
            }
        }
        guard let error else { return .enqueued }
        defer { rd_kafka_error_destroy(error) }
        if let headers { rd_kafka_headers_destroy(headers) }
        switch rd_kafka_error_code(error) {
        case RD_KAFKA_RESP_ERR__QUEUE_FULL: return .queueFull
        case RD_KAFKA_RESP_ERR__FATAL: return .fatal
        case let code: return .failed(RDKafkaConfig.string(rd_kafka_error_string(error)), permanent: Self.refusesRecordForGood(code))
        }
    }

    /// Errors that are about the record itself: publishing the same bytes again is refused again.
    static func refusesRecordForGood(_ code: rd_kafka_resp_err_t) -> Bool {
        switch code {
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_RECORD:
            return true
        default:
            return false
        }
    }

    private static func withOptionalBytes<T>(
        _ bytes: [UInt8]?,
        _ body: (UnsafeRawPointer?, Int) -> T
    ) -> T {
        guard let bytes else { return body(nil, 0) }
        if bytes.isEmpty {
            // A present-but-empty value must not become a NULL pointer: librdkafka would publish a null (tombstone).
            var marker: UInt8 = 0
            return withUnsafeBytes(of: &marker) { body($0.baseAddress, 0) }
        }
        return bytes.withUnsafeBytes { body($0.baseAddress, $0.count) }
    }
}
