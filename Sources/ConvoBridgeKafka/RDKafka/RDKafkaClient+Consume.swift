import ConvoBridgeCore
import Crdkafka

extension RDKafkaClient {
    /// Up to `maxRecords` messages from the consumer queue: waits up to `timeoutMilliseconds` for the first, then takes
    /// what is already there. Error events (a partition's EOF, a transient fetch error) are skipped. Blocks: call on a
    /// thread of its own or the blocking pool.
    /// - Parameter topic: the topic the records come from; nil when the consumer reads several (each record then
    ///   names its message's).
    func consume(maxRecords: Int, timeoutMilliseconds: Int32, topic: String?) -> [ConsumedRecord] {
        var records: [ConsumedRecord] = []
        var wait = timeoutMilliseconds
        while records.count < maxRecords {
            guard let message = rd_kafka_consumer_poll(handle, wait) else { break }
            defer { rd_kafka_message_destroy(message) }
            wait = 0
            guard message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            records.append(ConsumedRecord(message: message, topic: topic ?? RDKafkaConfig.string(rd_kafka_topic_name(message.pointee.rkt))))
        }
        return records
    }
}
