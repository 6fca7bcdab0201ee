import ConvoBridgeCore

/// The keys each mapping of the file accepts: the reads name them through ``ConfigSection`` and the unknown-key
/// check lists the same cases, so this is the one table of them.
extension ConfigurationLoader {
    enum TopLevelKey: String, CaseIterable {
        case store, kafka, server, relay, sources, webhooks, coordination
    }

    /// `coordination`: standalone, or replicas coordinated by Kafka.
    enum CoordinationKey: String, CaseIterable {
        case mode
        case groupID = "group_id"
        case partitions
        case watchTopic = "watch_topic"
        case stateTopic = "state_topic"
        case handoffTopic = "handoff_topic"
        case replicaID = "replica_id"
        case sessionTimeout = "session_timeout"
        case staticMembership = "static_membership"
    }

    /// `webhooks`: outbound delivery to HTTP subscribers.
    enum DeliveryKey: String, CaseIterable {
        case subscriptions
        case groupID = "group_id"
        case deadLetterTopic = "dead_letter_topic"
        case retrySchedule = "retry_schedule"
        case maxRetryAfter = "max_retry_after"
        case maxPending = "max_pending"
        case commitInterval = "commit_interval"
    }

    /// `webhooks.subscriptions[]`.
    enum SubscriptionKey: String, CaseIterable {
        case name, url, types, sources, headers, timeout, concurrency
        case secretHeadersEnv = "secret_headers_env"
        case allowPrivateNetwork = "allow_private_network"
        case allowInsecureHTTP = "allow_insecure_http"
        case secret
        case secretEnv = "secret_env"
        case secretFile = "secret_file"
        case previousSecret = "previous_secret"
        case previousSecretEnv = "previous_secret_env"
        case previousSecretFile = "previous_secret_file"
    }

    enum StoreKey: String, CaseIterable {
        case path
        case minFreeSpace = "min_free_space"
    }

    enum KafkaKey: String, CaseIterable {
        case bootstrapServers = "bootstrap_servers"
        case clientID = "client_id"
        case eventsTopic = "events_topic"
        case stateTopic = "state_topic"
        case contentMode = "content_mode"
        case includeRaw = "include_raw"
        case maxRecordBytes = "max_record_bytes"
        case messageTimeout = "message_timeout"
        case shutdownDeadline = "shutdown_deadline"
        case properties
        case secretPropertiesEnv = "secret_properties_env"
        case dataSchemaBase = "dataschema_base"
    }

    enum ServerKey: String, CaseIterable {
        case listen
        case adminListen = "admin_listen"
        case metricsListen = "metrics_listen"
        case maxBodyBytes = "max_body_bytes"
        /// Read as a secret: `admin_token_env` or `admin_token_file` (a value is refused).
        case adminToken = "admin_token"
        case adminTokenEnv = "admin_token_env"
        case adminTokenFile = "admin_token_file"
        case idleTimeout = "idle_timeout"
        case headerTimeout = "header_timeout"
        case bodyTimeout = "body_timeout"
        case maxConnections = "max_connections"
    }

    enum RelayKey: String, CaseIterable {
        case batchSize = "batch_size"
        case maxBacklog = "max_backlog"
        case drainDeadline = "drain_deadline"
    }

    /// `sources[].schedule`.
    enum ScheduleKey: String, CaseIterable {
        case openInterval = "open_interval"
        case closedInterval = "closed_interval"
        case closedGrace = "closed_grace"
        case notFoundRecheck = "not_found_recheck"
        case failureBackoff = "failure_backoff"
        case maxFailureBackoff = "max_failure_backoff"
        case jitter
        case vanishAfter = "vanish_after"
    }

    /// `sources[].http`.
    enum HTTPKey: String, CaseIterable {
        case requestsPerSecond = "requests_per_second"
        case burst
        case maxConcurrent = "max_concurrent"
        case timeout
        case maxResponseBytes = "max_response_bytes"
        case maxAttempts = "max_attempts"
        case maxRetryAfter = "max_retry_after"
        case authFailureThreshold = "auth_failure_threshold"
        case authProbeInterval = "auth_probe_interval"
    }

    /// `sources[]`: the keys every platform takes, and each platform's own.
    enum SourceKey: String, CaseIterable {
        case name, platform, auth, webhook, conversations, schedule, http
        case baseURL = "base_url"
        case allowInsecureHTTP = "allow_insecure_http"
        case projectID = "project_id"
        case advisor
        case discovery
        case endedReasons = "ended_reasons"
        case idsTopic = "ids_topic"

        /// The platform whose key this is; nil for the keys of every platform.
        var platform: Platform? {
            switch self {
            case .projectID, .advisor: .jelou
            case .discovery: .chatvolt
            case .endedReasons, .idsTopic: .zild
            default: nil
            }
        }
    }

    /// `sources[].auth` of a Jelou source. Secrets are read as `NAME_env` or `NAME_file` (a value is refused).
    enum JelouAuthKey: String, CaseIterable {
        case scheme
        case apiKey = "api_key"
        case apiKeyEnv = "api_key_env"
        case apiKeyFile = "api_key_file"
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case clientSecretEnv = "client_secret_env"
        case clientSecretFile = "client_secret_file"
    }

    /// `sources[].auth` of a Chatvolt source.
    enum ChatvoltAuthKey: String, CaseIterable {
        case apiKey = "api_key"
        case apiKeyEnv = "api_key_env"
        case apiKeyFile = "api_key_file"
    }

    /// `sources[].auth` of a Zild source.
    enum ZildAuthKey: String, CaseIterable {
        case token
        case tokenEnv = "token_env"
        case tokenFile = "token_file"
    }

    /// The walk of a list endpoint: Jelou's `advisor`, Chatvolt's `discovery`.
    enum WindowKey: String, CaseIterable {
        case interval, lookback, overlap
        case maxSpan = "max_span"
        case pageSize = "page_size"
        case maxPages = "max_pages"
    }

    /// `sources[].advisor` (Jelou), besides the ``WindowKey`` ones.
    enum AdvisorKey: String, CaseIterable {
        case enabled
        case apiBaseURL = "api_base_url"
    }

    /// `sources[].discovery` (Chatvolt), besides the ``WindowKey`` ones.
    enum ChatvoltDiscoveryKey: String, CaseIterable {
        case enabled, status
    }

    /// `sources[].webhook`: Jelou's signing secret and replay window, the others' shared secret or signature header.
    enum WebhookKey: String, CaseIterable {
        case path
        case conversationIDPath = "conversation_id_path"
        case rememberFor = "remember_for"
        case signingSecret = "signing_secret"
        case signingSecretEnv = "signing_secret_env"
        case signingSecretFile = "signing_secret_file"
        case replayWindow = "replay_window"
        case secret
        case secretEnv = "secret_env"
        case secretFile = "secret_file"
        case header, verify

        /// Whether a `platform` source's webhook takes this key.
        func applies(to platform: Platform) -> Bool {
            switch self {
            case .path, .conversationIDPath, .rememberFor: true
            case .signingSecret, .signingSecretEnv, .signingSecretFile, .replayWindow: platform == .jelou
            case .secret, .secretEnv, .secretFile, .header, .verify: platform != .jelou
            }
        }
    }
}
