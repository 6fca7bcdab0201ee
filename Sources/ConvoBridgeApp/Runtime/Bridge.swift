public import ConvoBridgeCore
public import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeServer
public import ConvoBridgeStore
import Hummingbird
public import Logging
public import ServiceLifecycle
import Synchronization
public import UnixSignals

/// The whole bridge, built from a configuration: the Kafka publisher, the outbox relay, one poller per source and
/// the webhook server, as services in shutdown order (the server and pollers stop first, the relay drains the
/// outbox, the publisher flushes last).
public final class Bridge: Sendable {
    public let configuration: BridgeConfiguration
    public let store: BridgeStore
    let publisher: KafkaPublisher
    /// The outbox relay: ``OutboxRelay`` standalone, ``TransactionalOutboxRelay`` with replicas.
    let relay: any Service
    /// With `coordination.mode: kafka`: this replica's part in the group.
    let coordinator: ReplicaCoordinator?
    let pollers: [SourcePoller]
    let idsWatchers: [IdsTopicWatcher]
    let http: SharedHTTPClient
    let servers: [BridgeHTTPServer]
    let readiness: ReadinessCache
    /// Outbound webhooks, when `webhooks.subscriptions` are configured.
    let deliverer: WebhookDeliverer?
    public let metrics: BridgeMetrics
    private let logger: Logger

    public init(configuration: BridgeConfiguration, time: TimeSource = .system, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        let redactor = SecretRedactor(secrets: configuration.secrets)
        var group: BridgeConfiguration.Coordination.KafkaGroup?
        if case .kafka(let settings) = configuration.coordination { group = settings }
        let partitioner = group.map { CoordinationPartitioner(partitions: Int32($0.partitions)) }
        var stateRecord: BridgeStore.StateRecordMaker?
        if let stateTopic = group?.stateTopic, let partitioner {
            stateRecord = { tracked, nextPollAt in
                ConversationStateRecord(tracked: tracked, nextPollAt: nextPollAt).record(topic: stateTopic, partitioner: partitioner, observedAt: nil)
            }
        }
        let store = try BridgeStore(
            path: configuration.storePath, minimumFreeBytes: configuration.storeMinimumFreeBytes, stateRecord: stateRecord)
        let metrics = BridgeMetrics(sources: configuration.sources.map(\.name))
        self.metrics = metrics
        let publisher = try KafkaPublisher(configuration: configuration.kafka.publisher, logger: logger, observer: metrics)
        let relayWake: WakeSignal
        let ownership: ReplicaOwnership?
        let fencedReports = FencedReports()
        var transactionalRelay: TransactionalOutboxRelay?
        if let group, let partitioner {
            ownership = ReplicaOwnership(partitioner: partitioner, watchTopic: group.watchTopic, handoffTopic: group.handoffTopic) { records in
                let reports = try await publisher.publish(records)
                if let failed = reports.first(where: { $0.status != .persisted }) {
                    throw KafkaError(code: .produce, message: "the watch topic did not take a record: \(failed.status)")
                }
                let watches = records.count { $0.topic == group.watchTopic }
                if watches > 0 { metrics.watchRecords("handed_off", count: watches) }
            }
            let relay = TransactionalOutboxRelay(
                store: store, partitioner: partitioner, stateTopic: group.stateTopic, handoffTopic: group.handoffTopic,
                batchSize: configuration.relay.batchSize,
                drainDeadline: configuration.relay.drainDeadline, metrics: metrics, logger: logger, fenced: { fencedReports.report($0) })
            transactionalRelay = relay
            self.relay = relay
            relayWake = relay.wake
        } else {
            ownership = nil
            let relay = OutboxRelay(
                store: store, publisher: publisher, batchSize: configuration.relay.batchSize,
                drainDeadline: configuration.relay.drainDeadline, spaceGate: StoreSpaceGate(store: store, time: time),
                metrics: metrics, now: { time.wallClock }, logger: logger)
            self.relay = relay
            relayWake = relay.wake
        }
        // Enough connections per platform host for every request a source may have in flight.
        let http = SharedHTTPClient(maxConnectionsPerHost: max(8, configuration.sources.map(\.http.maxConcurrentRequests).max() ?? 0))
        self.store = store
        self.publisher = publisher
        self.http = http
        let encoder = CloudEventEncoder(configuration: configuration.kafka.encoder)
        let pollers = configuration.sources.map { source in
            SourcePoller(
                settings: source,
                http: SourceHTTPClient(
                    sourceName: source.name, http: http, policy: source.http, time: time, redactor: redactor,
                    logger: logger, observer: metrics),
                redactor: redactor, store: store, encoder: encoder, time: time, maxBacklog: configuration.relay.maxBacklog,
                ownership: ownership, outboxWritten: { relayWake.signal() }, metrics: metrics, logger: logger
            )
        }
        self.pollers = pollers
        let pollersBySource = Dictionary(uniqueKeysWithValues: pollers.map { ($0.source, $0) })
        let webhookSink = BridgeEventSink(
            store: store, encoder: encoder, pollers: pollersBySource, relayWake: relayWake, metrics: metrics,
            rememberDeliveries: Dictionary(
                uniqueKeysWithValues: configuration.sources.compactMap { source in source.webhook.map { (source.name, $0.rememberFor) } }),
            now: { time.wallClock })
        if let group, let ownership, let relay = transactionalRelay {
            let coordinator = ReplicaCoordinator(
                group: group, ownership: ownership, bootstrapServers: publisher.bootstrapServers,
                kafkaProperties: configuration.kafka.publisher.properties, store: store, relay: relay, pollers: pollers,
                webhooks: webhookSink, configuredIDs: configuration.sources.map { ($0.name, $0.conversationIDs) },
                releaseDeadline: configuration.relay.drainDeadline,
                metrics: metrics, time: time, logger: logger)
            fencedReports.deliver(to: coordinator)
            relay.useLease(coordinator.lease)
            self.coordinator = coordinator
        } else {
            coordinator = nil
        }
        idsWatchers = zip(configuration.sources, pollers).compactMap { source, poller in
            source.idsTopic.map {
                IdsTopicWatcher(
                    topic: $0, poller: poller, store: store, bootstrapServers: publisher.bootstrapServers,
                    kafkaProperties: configuration.kafka.publisher.properties,
                    now: { time.wallClock }, logger: logger)
            }
        }
        let endpoints = configuration.sources.compactMap { source in
            source.webhook.map {
                WebhookEndpoint(
                    source: source.name, verification: $0.verification, format: $0.format, path: $0.path,
                    replayWindow: $0.replayWindow)
            }
        }
        let readiness = ReadinessCache(store: store, publisher: publisher)
        self.readiness = readiness
        let deliverer = try configuration.delivery.map { settings in
            try WebhookDeliverer(
                settings: settings, bootstrapServers: publisher.bootstrapServers, kafkaProperties: configuration.kafka.publisher.properties,
                eventsTopic: configuration.kafka.encoder.eventsTopic, publisher: publisher, metrics: metrics, time: time, logger: logger)
        }
        self.deliverer = deliverer
        if let settings = configuration.server {
            let receiver = WebhookReceiver(
                endpoints: endpoints, sink: webhookSink, maxBodyBytes: settings.maxBodyBytes, now: { time.wallClock },
                logger: logger, observer: metrics)
            var probes = BridgeProbes(
                store: store, readiness: readiness, pollers: pollers, metrics: metrics, publisherInFlight: { publisher.recordsInFlight },
                deliverer: deliverer, now: { time.wallClock })
            probes.coordinator = coordinator
            let admin = settings.adminToken.map { token in
                AdminAPI(
                    token: token, store: store, pollers: pollersBySource, relayWake: relayWake, metrics: metrics,
                    now: { time.wallClock }, logger: logger)
            }
            var subscriptionAdmin: SubscriptionAdminAPI?
            if let admin, let deliverer {
                subscriptionAdmin = SubscriptionAdminAPI(
                    token: admin.token, deliverer: deliverer, metrics: metrics, refusals: admin.refusals, now: { time.wallClock },
                    logger: logger)
            }
            servers = Self.listeners(settings).map { address, roles in
                BridgeHTTPServer(
                    address: address, roles: roles, limits: settings.limits, receiver: receiver, probes: probes, admin: admin,
                    subscriptionAdmin: subscriptionAdmin, metrics: metrics, logger: logger)
            }
        } else {
            servers = []
        }
    }

    /// One listener per distinct address, with what it serves: the admin API on the webhook listener when it has no
    /// address of its own, the metrics on the admin API's (an ephemeral port 0 is never shared).
    static func listeners(
        _ settings: BridgeConfiguration.Server
    ) -> [(address: BridgeConfiguration.Server.Address, roles: Set<BridgeHTTPServer.Role>)] {
        var listeners: [(address: BridgeConfiguration.Server.Address, roles: Set<BridgeHTTPServer.Role>)] = [(settings.webhooks, [.webhooks])]
        func place(_ role: BridgeHTTPServer.Role, at address: BridgeConfiguration.Server.Address?, otherwise fallback: Int) -> Int {
            guard let address else {
                listeners[fallback].roles.insert(role)
                return fallback
            }
            if address.port != 0, let index = listeners.firstIndex(where: { $0.address == address }) {
                listeners[index].roles.insert(role)
                return index
            }
            listeners.append((address, [role]))
            return listeners.count - 1
        }
        let admin = place(.admin, at: settings.admin, otherwise: 0)
        _ = place(.metrics, at: settings.metrics, otherwise: admin)
        return listeners
    }

    /// In start order; a `ServiceGroup` shuts them down in reverse.
    public var services: [any Service] {
        var services: [any Service] = [publisher, relay]
        // Stops after the pollers: it gives its partitions up (publishing what is pending) and leaves the group.
        if let coordinator { services.append(coordinator) }
        // Stops after the pollers and before the publisher its dead letters go through.
        if let deliverer { services.append(deliverer) }
        services.append(contentsOf: pollers)
        services.append(contentsOf: idsWatchers)
        services.append(readiness)
        services.append(contentsOf: servers)
        return services
    }

    /// With replicas coordinated by Kafka: this replica's id, whether its first assignment is restored, and the
    /// partitions it polls; nil standalone.
    public var replica: (id: String, ready: Bool, owned: Set<Int32>)? {
        coordinator.map { coordinator in
            let readiness = coordinator.readiness
            return (coordinator.group.replicaID, readiness.ready, readiness.owned)
        }
    }

    /// The webhook listener's port once it listens (nil without a server).
    public func serverPort() async -> Int? {
        await servers.first?.port()
    }

    /// The port of the listener that serves the admin API.
    public func adminPort() async -> Int? {
        await servers.first { $0.roles.contains(.admin) }?.port()
    }

    /// The port of the listener that serves `/metrics`.
    public func metricsPort() async -> Int? {
        await servers.first { $0.roles.contains(.metrics) }?.port()
    }

    /// The publisher's bootstrap servers.
    public var kafkaBootstrapServers: String { publisher.bootstrapServers }

    /// Runs until SIGINT/SIGTERM (or cancellation), then shuts down gracefully and closes the HTTP client.
    public func run(gracefulShutdownSignals: [UnixSignal] = [.sigint, .sigterm]) async throws {
        try await Self.run(
            services: services, gracefulShutdownSignals: gracefulShutdownSignals, maximumShutdown: maximumShutdown,
            logger: logger
        ) {
            try await self.close()
        }
    }

    /// The longest a graceful shutdown may take before the services are cancelled: the relay's drain deadline, the
    /// publisher's shutdown deadline, and room for the purge and the rest (pollers end their polls at their request
    /// deadline). With the defaults 20 s + 30 s + 15 s = 65 s, under the 75 s `deploy/` gives before SIGKILL.
    public var maximumShutdown: Duration {
        configuration.relay.drainDeadline + configuration.kafka.publisher.shutdownDeadline + Self.shutdownSlack
    }

    static let shutdownSlack: Duration = .seconds(15)
    /// After the graceful part, how long cancelled services have to end before the group gives up on them.
    static let cancellationLimit: Duration = .seconds(5)

    /// Runs `services` (the bridge's, with any others around them) in one group until a signal or cancellation,
    /// then runs `cleanup` whatever happened. A graceful shutdown longer than `maximumShutdown` is cut short by
    /// cancellation.
    public static func run(
        services: [any Service], gracefulShutdownSignals: [UnixSignal], maximumShutdown: Duration,
        logger: Logger, cleanup: @Sendable () async throws -> Void
    ) async throws {
        var configuration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
        configuration.maximumGracefulShutdownDuration = maximumShutdown
        configuration.maximumCancellationDuration = cancellationLimit
        let group = ServiceGroup(configuration: configuration)
        do {
            try await group.run()
        } catch {
            try? await cleanup()
            throw error
        }
        try await cleanup()
    }

    /// Closes the HTTP connection pool and the store; call once the services stopped, when running them in your
    /// own group.
    public func close() async throws {
        try await http.shutdown()
        try store.close()
        logger.info("bridge stopped")
    }
}

/// The relay's reports of fenced producers, for the coordinator, which is made after the relay.
final class FencedReports: Sendable {
    private let coordinator = Mutex<ReplicaCoordinator?>(nil)

    func deliver(to coordinator: ReplicaCoordinator) { self.coordinator.withLock { $0 = coordinator } }

    func report(_ partition: Int32) { coordinator.withLock { $0 }?.fenced(partition) }
}
