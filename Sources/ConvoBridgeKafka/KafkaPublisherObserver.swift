/// Told what only the publisher sees, for metrics. Delivery outcomes are not here: every record's report is returned
/// by ``KafkaPublisher/publish(_:)``, and its caller counts them.
public protocol KafkaPublisherObserver: Sendable {
    /// A `publish` found librdkafka's queue full and waits for deliveries to make room.
    func publisherWaitedForQueueSpace()
    /// librdkafka raised a fatal producer error.
    func publisherFatalError()
    /// A new producer replaced one that raised a fatal error.
    func publisherReplacedProducer()
}
