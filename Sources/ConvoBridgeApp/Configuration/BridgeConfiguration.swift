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
    }

    public struct Server: Sendable {
        public var host: String
        public var port: Int
        public var maxBodyBytes: Int
        /// Enables the admin API (`/admin/…`, `Authorization: Bearer <token>`); nil leaves it off.
        public var adminToken: String?

        public init(host: String, port: Int, maxBodyBytes: Int = 256 * 1024, adminToken: String? = nil) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.adminToken = adminToken
        }
    }

    public struct Relay: Sendable {
        /// Outbox entries per publish call.
        public var batchSize: Int
        /// Above this many unpublished entries, polling pauses until Kafka catches up.
        public var maxBacklog: Int
        /// On shutdown, how long to keep publishing the outbox before leaving the rest for the next start.
        public var drainDeadline: Duration
    }

    public var storePath: String
    /// Below this much free space on the store's filesystem, the bridge stops writing (polling, discovery, ids)
    /// before SQLite has to refuse a write; 0 leaves it to SQLite.
    public var storeMinimumFreeBytes: Int64 = Self.defaultStoreMinimumFreeBytes
    public static let defaultStoreMinimumFreeBytes: Int64 = 64 << 20
    public var kafka: Kafka
    public var server: Server?
    public var relay: Relay
    public var sources: [Source]
    /// Every setting with its value and origin, secrets masked (what `convobridge check-config` prints).
    public var effectiveSettings: [EffectiveSetting] = []

    public var secrets: [String] { sources.flatMap(\.secrets) + kafka.publisher.secretValues + (server?.adminToken.map { [$0] } ?? []) }
}

extension KafkaPublisherConfiguration {
    /// Values of secret-looking properties (SASL passwords…), for the redactor.
    public var secretValues: [String] {
        properties.filter { SecretRedactor.isSecretKey($0.key) }.map(\.value)
    }
}
