import ConvoBridgeCore
import Crdkafka

extension ConsumedRecord {
    /// Copies a message librdkafka returned (the caller destroys it).
    init(message: UnsafeMutablePointer<rd_kafka_message_t>, topic: String) {
        let pointee = message.pointee
        let key = pointee.key.map { Array(UnsafeRawBufferPointer(start: $0, count: pointee.key_len)) }
        let value = pointee.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: pointee.len)) }
        var headers: [OutboundRecord.Header] = []
        var headerList: OpaquePointer?
        if rd_kafka_message_headers(message, &headerList) == RD_KAFKA_RESP_ERR_NO_ERROR, let headerList {
            var index = 0
            var name: UnsafePointer<CChar>?
            var valuePointer: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(headerList, index, &name, &valuePointer, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let bytes = valuePointer.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                headers.append(OutboundRecord.Header(name: RDKafkaConfig.string(name), value: bytes))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(message, &timestampType)
        self.init(
            topic: topic,
            partition: pointee.partition,
            offset: pointee.offset,
            key: key,
            value: value,
            headers: headers,
            timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
        )
    }
}
