public import ConvoBridgeCore
import ConvoBridgeKafka
public import Logging
public import ServiceLifecycle
public import UnixSignals

/// `convobridge deliver`: only the webhook deliverer, for running it apart from the pollers (more processes share
/// each subscription's partitions). No store: its state is Kafka's (committed offsets, the dead-letter topic).
/// Serves `/healthz`, `/readyz`, `/metrics` and the subscriptions' admin API on `listen`.
public final class WebhookDeliveryProcess: Sendable {
    let publisher: KafkaPublisher
    let deliverer: WebhookDeliverer
    let readiness: ReadinessCache
    let server: BridgeHTTPServer?
    public let metrics: BridgeMetrics
    private let configuration: BridgeConfiguration
    private let logger: Logger

    /// - Throws: ``ConfigurationError`` when the configuration has no `webhooks` section; a Kafka or URL error.
    public init(
        configuration: BridgeConfiguration, listen: BridgeConfiguration.Server.Address?, time: TimeSource = .system, logger: Logger
    ) throws {
        guard let settings = configuration.delivery else {
            throw ConfigurationError(problems: ["webhooks: deliver needs webhooks.subscriptions (name, url, secret_env) in the configuration"])
        }
        self.configuration = configuration
        self.logger = logger
        let metrics = BridgeMetrics()
        self.metrics = metrics
        var publisherSettings = configuration.kafka.publisher
        publisherSettings.clientID += "-deliver"
        let publisher = try KafkaPublisher(configuration: publisherSettings, logger: logger, observer: metrics)
        self.publisher = publisher
        let deliverer = try WebhookDeliverer(
            settings: settings, bootstrapServers: publisher.bootstrapServers, kafkaProperties: configuration.kafka.publisher.properties,
            eventsTopic: configuration.kafka.encoder.eventsTopic, publisher: publisher, metrics: metrics, time: time, logger: logger)
        self.deliverer = deliverer
        let readiness = ReadinessCache(store: nil, publisher: publisher)
        self.readiness = readiness
        server = listen.map { address in
            let admin = configuration.server?.adminToken.map { token in
                SubscriptionAdminAPI(
                    token: token, deliverer: deliverer, metrics: metrics, refusals: AdminTokenRefusals(), now: { time.wallClock },
                    logger: logger)
            }
            return BridgeHTTPServer(
                address: address, roles: [.metrics, .admin], limits: configuration.server?.limits ?? .init(), receiver: nil,
                probes: DeliveryProbes(readiness: readiness, deliverer: deliverer, metrics: metrics), admin: nil,
                subscriptionAdmin: admin, metrics: metrics, logger: logger)
        }
    }

    /// In start order; shut down in reverse (the deliverer before the publisher its dead letters go through).
    public var services: [any Service] { [publisher, deliverer, readiness] + (server.map { [$0] } ?? []) }

    /// The listener's port once it listens.
    public func port() async -> Int? { await server?.port() }

    public func run(gracefulShutdownSignals: [UnixSignal] = [.sigint, .sigterm]) async throws {
        let longestAttempt = configuration.delivery?.subscriptions.map(\.timeout).max() ?? .seconds(15)
        try await Bridge.run(
            services: services, gracefulShutdownSignals: gracefulShutdownSignals,
            maximumShutdown: longestAttempt + configuration.kafka.publisher.shutdownDeadline + Bridge.shutdownSlack, logger: logger
        ) {
            logger.info("deliverer stopped")
        }
    }
}
