public import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
public import Logging
public import ServiceLifecycle

/// Delivers the events topic to every configured webhook subscription (``SubscriptionDeliverer``: one consumer group
/// each), dead-lettering through `publisher`. Started by `convobridge run` when subscriptions are configured and by
/// `convobridge deliver`; several processes with the same configuration share each subscription's partitions.
public final class WebhookDeliverer: Service, Sendable {
    let deliverers: [SubscriptionDeliverer]
    private let logger: Logger

    /// - Parameters:
    ///   - kafkaProperties: extra librdkafka properties of the `kafka` section (SASL, SSL…), for the consumers.
    /// - Throws: ``WebhookDeliveryClient/InvalidURL`` for a subscription URL that cannot be sent to.
    public init(
        settings: BridgeConfiguration.Delivery, bootstrapServers: String, kafkaProperties: [String: String], eventsTopic: String,
        publisher: any RecordPublisher, metrics: BridgeMetrics, time: TimeSource = .system, logger: Logger
    ) throws {
        // Producer-only settings mean nothing to a consumer (librdkafka warns about each).
        let consumerProperties = kafkaProperties.filter { !Self.producerOnlyProperties.contains($0.key) }
        deliverers = try settings.subscriptions.map { subscription in
            let client = try WebhookDeliveryClient(
                url: subscription.url, allowPrivateNetwork: subscription.allowPrivateNetwork, maxConnections: subscription.concurrency)
            let group = "\(settings.groupID).\(subscription.name)"
            return SubscriptionDeliverer(
                subscription: subscription, settings: settings, client: client,
                makeConsumer: {
                    try KafkaGroupConsumer(
                        bootstrapServers: bootstrapServers, groupID: group, topic: eventsTopic, properties: consumerProperties)
                },
                makeReader: { try KafkaTopicReader(bootstrapServers: bootstrapServers, topic: eventsTopic, properties: consumerProperties) },
                publisher: publisher, metrics: metrics, time: time, logger: logger)
        }
        self.logger = logger
    }

    static let producerOnlyProperties: Set<String> = [
        "acks", "enable.idempotence", "linger.ms", "compression.type", "compression.codec", "message.timeout.ms", "retries",
        "queue.buffering.max.messages", "queue.buffering.max.kbytes", "batch.num.messages", "max.in.flight.requests.per.connection",
    ]

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for deliverer in deliverers {
                group.addTask { try await deliverer.run() }
            }
        }
        for deliverer in deliverers { await deliverer.shutdownClient() }
    }

    /// The subscription named `name`.
    func deliverer(_ name: String) -> SubscriptionDeliverer? { deliverers.first { $0.subscription.name == name } }

    /// Refreshes the scrape-time gauges (pending, retrying, oldest age) of every subscription.
    func updateGauges() {
        for deliverer in deliverers { deliverer.updateGauges() }
    }
}
