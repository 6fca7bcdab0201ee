public import ConvoBridgeCore
public import ConvoBridgeHTTP
public import ConvoBridgeKafka
public import ConvoBridgeServer

/// Everything `convobridge run` needs, validated. Secrets are resolved from the environment or files named in the
/// YAML; the YAML itself never holds them.
public struct BridgeConfiguration: Sendable {
    public struct Kafka: Sendable {
        public var publisher: KafkaPublisherConfiguration
        public var encoder: CloudEventEncoder.Configuration

        public init(publisher: KafkaPublisherConfiguration, encoder: CloudEventEncoder.Configuration) {
            self.publisher = publisher
            self.encoder = encoder
        }
    }

    public struct Server: Sendable {
        /// A `host:port` to listen on.
        public struct Address: Sendable, Hashable, CustomStringConvertible {
            public var host: String
            public var port: Int

            public init(host: String, port: Int) {
                self.host = host
                self.port = port
            }

            /// `host:port`, the port 0…65535; nil for anything else.
            public init?(parsing text: String) {
                let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
                guard pieces.count == 2, let port = Int(pieces[1]), (0...65535).contains(port), !pieces[0].isEmpty else { return nil }
                self.init(host: String(pieces[0]), port: port)
            }

            public var description: String { "\(host):\(port)" }
            public var isLoopback: Bool { ["127.0.0.1", "::1", "localhost"].contains(host) || host.hasPrefix("127.") }
        }

        /// How long a client may take, and how many may be connected at once, per listener.
        public struct Limits: Sendable, Hashable {
            /// A connection with no traffic for this long is closed.
            public var idleTimeout: Duration = .seconds(60)
            /// From connecting (or the previous response) to the end of the request head.
            public var headerTimeout: Duration = .seconds(10)
            /// From the request head to the end of its body.
            public var bodyTimeout: Duration = .seconds(30)
            /// Beyond this many open connections, new ones wait in the kernel's queue. By default half the process's
            /// file-descriptor limit (``BridgeConfiguration/Server/defaultMaxConnections()``).
            public var maxConnections: Int = BridgeConfiguration.Server.defaultMaxConnections()

            public init() {}
        }

        /// Webhooks (`POST /webhooks/<source>`), `/healthz` and `/readyz`: the one listener platforms must reach.
        public var host: String
        public var port: Int
        /// The admin API's own listener (with `/healthz`, `/readyz`); nil: on the webhook listener.
        public var admin: Address?
        /// `/metrics`' own listener (with `/healthz`, `/readyz`); nil: on the admin API's listener.
        public var metrics: Address?
        public var maxBodyBytes: Int
        public static let defaultMaxBodyBytes = 256 * 1024
        /// Enables the admin API (`/admin/…`, `Authorization: Bearer <token>`, at least 32 bytes); nil leaves it off.
        public var adminToken: String?
        public var limits: Limits

        public init(
            host: String, port: Int, admin: Address? = nil, metrics: Address? = nil, maxBodyBytes: Int = Self.defaultMaxBodyBytes,
            adminToken: String? = nil, limits: Limits = Limits()
        ) {
            self.host = host
            self.port = port
            self.admin = admin
            self.metrics = metrics
            self.maxBodyBytes = maxBodyBytes
            self.adminToken = adminToken
            self.limits = limits
        }

        /// Where the admin API and the metrics go when `server.admin_listen` is not set and the webhook listener is
        /// not on loopback: the admin API is never on a public listener unless configured so.
        public static let defaultAdminAddress = Address(host: "127.0.0.1", port: 8081)
        /// The shortest admin token accepted: 32 bytes, e.g. `openssl rand -hex 32` (64).
        public static let minimumAdminTokenBytes = 32

        public var webhooks: Address { Address(host: host, port: port) }
    }

    public struct Relay: Sendable {
        /// Outbox entries per publish call.
        public var batchSize: Int
        /// Above this many unpublished entries, polling pauses until Kafka catches up.
        public var maxBacklog: Int
        /// On shutdown, how long to keep publishing the outbox before leaving the rest for the next start.
        public var drainDeadline: Duration

        public init(batchSize: Int = 1000, maxBacklog: Int = 100_000, drainDeadline: Duration = .seconds(20)) {
            self.batchSize = batchSize
            self.maxBacklog = maxBacklog
            self.drainDeadline = drainDeadline
        }
    }

    public var storePath: String
    /// Below this much free space on the store's filesystem, the bridge stops writing (polling, discovery, ids)
    /// before SQLite has to refuse a write; 0 leaves it to SQLite.
    public var storeMinimumFreeBytes: Int64 = Self.defaultStoreMinimumFreeBytes
    public static let defaultStoreMinimumFreeBytes: Int64 = 64 << 20
    /// The store's file when `store.path` is not set: in the working directory.
    public static let defaultStorePath = "convobridge.sqlite"
    public var kafka: Kafka
    public var server: Server?
    public var relay: Relay
    public var sources: [Source]
    /// `webhooks:`: subscribers the event stream is delivered to; nil when none is configured.
    public var delivery: Delivery?
    /// `coordination:`: standalone (the default) or replicas coordinated by Kafka.
    public var coordination: Coordination = .standalone
    /// Every setting with its value and origin, secrets masked (what `convobridge check-config` prints).
    public var effectiveSettings: [EffectiveSetting] = []

    public init(storePath: String, kafka: Kafka, server: Server?, relay: Relay, sources: [Source]) {
        self.storePath = storePath
        self.kafka = kafka
        self.server = server
        self.relay = relay
        self.sources = sources
    }

    public var secrets: [String] {
        sources.flatMap(\.secrets) + kafka.publisher.secretValues + (server?.adminToken.map { [$0] } ?? []) + (delivery?.secrets ?? [])
    }
}

extension KafkaPublisherConfiguration {
    /// Values of secret-looking properties (SASL passwords…), for the redactor.
    public var secretValues: [String] {
        properties.filter { SecretRedactor.isSecretKey($0.key) }.map(\.value)
    }
}
