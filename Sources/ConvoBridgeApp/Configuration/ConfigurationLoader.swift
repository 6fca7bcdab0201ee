import ConvoBridgeCore
import ConvoBridgeHTTP
import ConvoBridgeKafka
import ConvoBridgeServer
import ConvoBridgeSigning
public import Foundation

/// Loads `convobridge run --config FILE`: YAML, then environment overrides, then validation that reports every
/// problem with its key and the fix.
///
/// Overrides: any scalar already in the file, and `store.path`, `kafka.bootstrap_servers` and `server.listen`,
/// can be set by an environment variable named `CONVOBRIDGE_` + the key path in capitals with `.` and `[i]` as
/// `_` (`CONVOBRIDGE_KAFKA_BOOTSTRAP_SERVERS`, `CONVOBRIDGE_SOURCES_0_PROJECT_ID`).
public struct ConfigurationLoader: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    public func load(file: String) throws(ConfigurationError) -> BridgeConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw ConfigurationError(problems: ["cannot read \(file): \(error.localizedDescription)"])
        }
        return try load(yaml: text)
    }

    public func load(yaml: String) throws(ConfigurationError) -> BridgeConfiguration {
        try load(tree: try YAMLDocument.parse(yaml))
    }

    /// Loads an already parsed file (YAML's tree as JSON values).
    func load(tree: JSONValue) throws(ConfigurationError) -> BridgeConfiguration {
        var tree = tree
        guard tree.objectValue != nil else { throw ConfigurationError(problems: ["the file must be a YAML mapping at the top level"]) }
        let overrides = overrides(of: tree)
        for (path, variable) in overrides { tree = Self.setting(tree, ConfigReader.parts(path)[...], to: .string(environment[variable] ?? "")) }
        let reader = ConfigReader(
            root: tree, environment: environment, overrides: overrides,
            readFile: SecretFile.read)
        var configuration = Self.decode(reader)
        guard reader.problems.isEmpty else { throw ConfigurationError(problems: reader.problems) }
        configuration.effectiveSettings = reader.settings
        return configuration
    }

    static let topLevelOverrides = ["store.path", "kafka.bootstrap_servers", "server.listen"]

    static func environmentName(_ path: String) -> String {
        "CONVOBRIDGE_" + path.uppercased().map { $0 == "." || $0 == "[" ? "_" : $0 == "]" ? "" : String($0) }.joined()
    }

    /// The key paths an environment variable overrides, with the variable's name.
    func overrides(of tree: JSONValue) -> [String: String] {
        var paths = Set(Self.topLevelOverrides)
        func collect(_ value: JSONValue, _ path: String) {
            switch value {
            case .object(let object): for member in object.members { collect(member.value, ConfigReader.join(path, member.key)) }
            case .array(let items): for (index, item) in items.enumerated() { collect(item, "\(path)[\(index)]") }
            default: paths.insert(path)
            }
        }
        collect(tree, "")
        var overrides: [String: String] = [:]
        for path in paths where environment[Self.environmentName(path)] != nil {
            overrides[path] = Self.environmentName(path)
        }
        return overrides
    }

    static func setting(_ tree: JSONValue, _ parts: ArraySlice<ConfigReader.Part>, to value: JSONValue) -> JSONValue {
        guard let part = parts.first else { return value }
        switch part {
        case .key(let key):
            var object = tree.objectValue ?? JSONObject()
            object[key] = setting(object[key] ?? .null, parts.dropFirst(), to: value)
            return .object(object)
        case .index(let index):
            guard var items = tree.arrayValue, items.indices.contains(index) else { return tree }
            items[index] = setting(items[index], parts.dropFirst(), to: value)
            return .array(items)
        }
    }

    // MARK: Decoding

    /// A `host:port` setting, or nil (with a problem when present but malformed).
    static func address(_ reader: ConfigReader, _ path: String) -> BridgeConfiguration.Server.Address? {
        guard let text = reader.string(path) else { return nil }
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        guard pieces.count == 2, let port = Int(pieces[1]), (0...65535).contains(port), !pieces[0].isEmpty else {
            reader.problem(path, "expected host:port (e.g. 0.0.0.0:8080), found \(text)")
            return nil
        }
        return .init(host: String(pieces[0]), port: port)
    }

    static func decode(_ reader: ConfigReader) -> BridgeConfiguration {
        reader.rejectUnknownKeys("", known: ["store", "kafka", "server", "relay", "sources"])
        reader.rejectUnknownKeys("store", known: ["path", "min_free_space"])
        let storePath = reader.string("store.path", default: BridgeConfiguration.defaultStorePath)
        let minimumFree = reader.byteSize("store.min_free_space", default: BridgeConfiguration.defaultStoreMinimumFreeBytes)

        reader.rejectUnknownKeys(
            "kafka",
            known: [
                "bootstrap_servers", "client_id", "events_topic", "state_topic", "content_mode",
                "include_raw", "max_record_bytes", "message_timeout", "shutdown_deadline", "properties",
                "secret_properties_env", "dataschema_base",
            ])
        let bootstrap = reader.requiredString("kafka.bootstrap_servers", hint: "the brokers as host:port[,host:port]")
        if bootstrap.trimmingCharacters(in: .whitespaces).lowercased() == "embedded" {
            // Once accepted; the mock cluster is development code and no longer part of `run`.
            reader.problem(
                "kafka.bootstrap_servers",
                "embedded is not a broker address; for a development cluster run `convobridge kafka-dev` "
                    + "and use the address it prints, or `convobridge demo`")
        }
        var properties: [String: String] = [:]
        for member in reader.node("kafka.properties")?.objectValue?.members ?? [] {
            let path = "kafka.properties.\(member.key)"
            if SecretRedactor.isSecretKey(member.key) {
                reader.problem(
                    path, "secrets are not accepted as values; list it under kafka.secret_properties_env with an environment variable name")
            } else if let text = member.value.scalarText {
                if let problem = KafkaPublisherConfiguration.problem(withProperty: member.key, value: text) { reader.problem(path, problem) }
                properties[member.key] = text
                // Property names hold dots, so the origin cannot be looked up by path.
                reader.record(path, text, origin: reader.overrides[path].map(EffectiveSetting.Origin.environment) ?? .file)
            } else {
                reader.problem(path, "expected a text value")
            }
        }
        for member in reader.node("kafka.secret_properties_env")?.objectValue?.members ?? [] {
            guard let variable = member.value.stringValue, let value = reader.environment[variable], !value.isEmpty else {
                reader.problem("kafka.secret_properties_env.\(member.key)", "\(member.value.scalarText ?? "?") is not set")
                continue
            }
            properties[member.key] = value
            reader.record("kafka.properties.\(member.key)", EffectiveSetting.mask, origin: .secret("from $\(variable)"))
        }
        // Every default below is the type's own (its initializer's), so it is stated once, next to the type.
        let publisherDefaults = KafkaPublisherConfiguration(bootstrapServers: bootstrap)
        let encoderDefaults = CloudEventEncoder.Configuration()
        let contentModeText = reader.string("kafka.content_mode", default: encoderDefaults.contentMode.rawValue)
        let contentMode = EventContentMode(rawValue: contentModeText)
        if contentMode == nil { reader.problem("kafka.content_mode", "expected binary or structured, found \(contentModeText)") }
        let dataSchemaBase = reader.string("kafka.dataschema_base", default: CloudEventEncoder.Configuration.defaultDataSchemaBase)
        if let problem = Self.problem(withDataSchemaBase: dataSchemaBase) { reader.problem("kafka.dataschema_base", problem) }
        let kafka = BridgeConfiguration.Kafka(
            publisher: KafkaPublisherConfiguration(
                bootstrapServers: bootstrap,
                clientID: reader.string("kafka.client_id", default: publisherDefaults.clientID),
                messageTimeout: reader.duration("kafka.message_timeout", default: publisherDefaults.messageTimeout),
                shutdownDeadline: reader.duration("kafka.shutdown_deadline", default: publisherDefaults.shutdownDeadline),
                properties: properties
            ),
            encoder: CloudEventEncoder.Configuration(
                eventsTopic: reader.string("kafka.events_topic", default: encoderDefaults.eventsTopic),
                stateTopic: reader.string("kafka.state_topic", default: encoderDefaults.stateTopic),
                contentMode: contentMode ?? encoderDefaults.contentMode,
                includeRaw: reader.bool("kafka.include_raw", default: encoderDefaults.includeRaw),
                maxRecordBytes: reader.int(
                    "kafka.max_record_bytes", default: encoderDefaults.maxRecordBytes,
                    range: 4096...(1 << 30)),
                dataSchemaBase: dataSchemaBase.hasSuffix("/") || dataSchemaBase.hasSuffix(":") ? dataSchemaBase : dataSchemaBase + "/"
            )
        )

        reader.rejectUnknownKeys(
            "server",
            known: [
                "listen", "admin_listen", "metrics_listen", "max_body_bytes", "admin_token", "admin_token_env",
                "admin_token_file", "idle_timeout", "header_timeout", "body_timeout", "max_connections",
            ])
        var server: BridgeConfiguration.Server?
        if let listen = address(reader, "server.listen") {
            var limits = BridgeConfiguration.Server.Limits()
            limits.idleTimeout = reader.duration("server.idle_timeout", default: limits.idleTimeout)
            limits.headerTimeout = reader.duration("server.header_timeout", default: limits.headerTimeout)
            limits.bodyTimeout = reader.duration("server.body_timeout", default: limits.bodyTimeout)
            limits.maxConnections = reader.int(
                "server.max_connections", default: limits.maxConnections,
                range: 1...1_000_000)
            let token = reader.secret("server", key: "admin_token", required: false)
            if let token, token.utf8.count < BridgeConfiguration.Server.minimumAdminTokenBytes {
                reader.problem(
                    "server.admin_token",
                    "is \(token.utf8.count) bytes; at least \(BridgeConfiguration.Server.minimumAdminTokenBytes) are required (e.g. openssl rand -hex 32)"
                )
            }
            // Not set: with the webhooks when they are on loopback (a local set-up), else on loopback of its own.
            let admin = address(reader, "server.admin_listen") ?? (listen.isLoopback ? nil : BridgeConfiguration.Server.defaultAdminAddress)
            if reader.string("server.admin_listen") == nil && !listen.isLoopback {
                reader.record("server.admin_listen", "\(BridgeConfiguration.Server.defaultAdminAddress)", origin: .defaultValue)
            }
            server = .init(
                host: listen.host, port: listen.port, admin: admin,
                metrics: address(reader, "server.metrics_listen"),
                maxBodyBytes: reader.int(
                    "server.max_body_bytes", default: BridgeConfiguration.Server.defaultMaxBodyBytes, range: 1024...(16 << 20)),
                adminToken: token, limits: limits)
        }

        reader.rejectUnknownKeys("relay", known: ["batch_size", "max_backlog", "drain_deadline"])
        let relayDefaults = BridgeConfiguration.Relay()
        let relay = BridgeConfiguration.Relay(
            batchSize: reader.int("relay.batch_size", default: relayDefaults.batchSize, range: 1...100_000),
            maxBacklog: reader.int("relay.max_backlog", default: relayDefaults.maxBacklog, range: 1...100_000_000),
            drainDeadline: reader.duration("relay.drain_deadline", default: relayDefaults.drainDeadline)
        )

        var sources: [BridgeConfiguration.Source] = []
        let count = reader.node("sources")?.arrayValue?.count ?? 0
        if count == 0 { reader.problem("sources", "at least one source is required (see config/*-production.yaml)") }
        for index in 0..<count {
            if let source = decodeSource(reader, "sources[\(index)]") { sources.append(source) }
        }
        var names: Set<String> = []
        for (index, source) in sources.enumerated() where !names.insert(source.name).inserted {
            reader.problem("sources[\(index)].name", "\(source.name) is used by another source; names must be unique")
        }
        if server == nil, let index = sources.firstIndex(where: { $0.webhook != nil }) {
            reader.problem("sources[\(index)].webhook", "webhooks need server.listen (host:port) to receive them")
        }
        var configuration = BridgeConfiguration(storePath: storePath, kafka: kafka, server: server, relay: relay, sources: sources)
        configuration.storeMinimumFreeBytes = minimumFree
        return configuration
    }

    static let platforms = Platform.allCases.map(\.rawValue)

    static func decodeSource(_ reader: ConfigReader, _ path: String) -> BridgeConfiguration.Source? {
        let platformText = reader.string("\(path).platform", default: "jelou")
        guard let platform = Platform(rawValue: platformText) else {
            reader.problem("\(path).platform", "expected one of \(platforms.joined(separator: ", ")), found \(platformText)")
            return nil
        }
        let common: Set<String> = ["name", "platform", "base_url", "allow_insecure_http", "auth", "webhook", "conversations", "schedule", "http"]
        let specific: Set<String> =
            switch platform {
            case .jelou: ["project_id", "advisor"]
            case .chatvolt: ["discovery"]
            case .zild: ["ended_reasons", "ids_topic"]
            }
        reader.rejectUnknownKeys(path, known: common.union(specific))
        let name = reader.requiredString("\(path).name", hint: "a unique name such as \(platform.rawValue)-prod; it is part of every event key")
        if !name.isEmpty, !name.utf8.allSatisfy({ isNameByte($0) }) {
            reader.problem("\(path).name", "use letters, digits, '-', '_' and '.' only (it is part of Kafka keys and URLs), found \(name)")
        }
        let baseURL: String
        switch platform {
        case .jelou: baseURL = reader.requiredString("\(path).base_url", hint: "e.g. https://gateway.jelou.ai/jelouapi (or …/platform)")
        case .chatvolt: baseURL = reader.string("\(path).base_url", default: "https://api.chatvolt.ai")
        case .zild:
            baseURL = reader.requiredString(
                "\(path).base_url", hint: "your Zild API's address (Zild's docs give none), e.g. https://api.your-tenant.zild.ai")
        }
        let allowInsecureHTTP = reader.bool("\(path).allow_insecure_http", default: false)
        checkURL(reader, "\(path).base_url", baseURL, allowInsecureHTTP: allowInsecureHTTP)

        let connection: BridgeConfiguration.Connection?
        var discovery: BridgeConfiguration.Discovery?
        switch platform {
        case .jelou: (connection, discovery) = decodeJelou(reader, path, baseURL: baseURL, allowInsecureHTTP: allowInsecureHTTP)
        case .chatvolt: (connection, discovery) = decodeChatvolt(reader, path, baseURL: baseURL)
        case .zild: connection = decodeZild(reader, path, baseURL: baseURL)
        }
        let idsTopic = platform == .zild ? reader.string("\(path).ids_topic") : nil
        if idsTopic?.isEmpty == true { reader.problem("\(path).ids_topic", "expected a Kafka topic name") }

        let webhook = decodeWebhook(reader, "\(path).webhook", platform: platform, name: name)
        var conversationIDs: [String] = []
        if let items = reader.node("\(path).conversations") {
            if let array = items.arrayValue {
                for (index, item) in array.enumerated() {
                    guard let id = item.scalarText, !id.isEmpty else {
                        reader.problem("\(path).conversations[\(index)]", "expected a conversation id")
                        continue
                    }
                    if let problem = ConversationIDRule.problem(id, platform: platform) {
                        reader.problem("\(path).conversations[\(index)]", problem)
                    }
                    conversationIDs.append(id)
                }
            } else {
                reader.problem("\(path).conversations", "expected a list of conversation ids")
            }
        }
        reader.record("\(path).conversations", "[" + conversationIDs.joined(separator: ", ") + "]")

        let schedulePath = "\(path).schedule"
        reader.rejectUnknownKeys(
            schedulePath,
            known: [
                "open_interval", "closed_interval", "closed_grace", "not_found_recheck", "failure_backoff", "max_failure_backoff", "jitter",
                "vanish_after",
            ])
        let scheduleDefaults = PollSchedule()
        let schedule = PollSchedule(
            openInterval: reader.duration("\(schedulePath).open_interval", default: scheduleDefaults.openInterval),
            closedInterval: reader.duration("\(schedulePath).closed_interval", default: scheduleDefaults.closedInterval),
            closedGrace: reader.duration("\(schedulePath).closed_grace", default: scheduleDefaults.closedGrace),
            notFoundRecheck: reader.duration("\(schedulePath).not_found_recheck", default: scheduleDefaults.notFoundRecheck),
            failureBackoff: reader.duration("\(schedulePath).failure_backoff", default: scheduleDefaults.failureBackoff),
            maxFailureBackoff: reader.duration("\(schedulePath).max_failure_backoff", default: scheduleDefaults.maxFailureBackoff),
            jitter: reader.double("\(schedulePath).jitter", default: scheduleDefaults.jitter, minimum: 0)
        )

        let httpPath = "\(path).http"
        reader.rejectUnknownKeys(
            httpPath,
            known: [
                "requests_per_second", "burst", "max_concurrent", "timeout", "max_response_bytes", "max_attempts", "max_retry_after",
                "auth_failure_threshold",
                "auth_probe_interval",
            ])
        let httpDefaults = SourceHTTPPolicy()
        let http = SourceHTTPPolicy(
            requestsPerSecond: reader.double("\(httpPath).requests_per_second", default: httpDefaults.requestsPerSecond, minimum: 0.01),
            burst: reader.int("\(httpPath).burst", default: httpDefaults.burst, range: 1...10_000),
            maxConcurrentRequests: reader.int("\(httpPath).max_concurrent", default: httpDefaults.maxConcurrentRequests, range: 1...256),
            requestTimeout: reader.duration("\(httpPath).timeout", default: httpDefaults.requestTimeout),
            maxResponseBytes: reader.int("\(httpPath).max_response_bytes", default: httpDefaults.maxResponseBytes, range: 1024...(256 << 20)),
            retry: RetryPolicy(
                maxAttempts: reader.int("\(httpPath).max_attempts", default: httpDefaults.retry.maxAttempts, range: 1...20),
                maxRetryAfter: reader.duration("\(httpPath).max_retry_after", default: httpDefaults.retry.maxRetryAfter)),
            authFailureThreshold: reader.int("\(httpPath).auth_failure_threshold", default: httpDefaults.authFailureThreshold, range: 1...100),
            authProbeInterval: reader.duration("\(httpPath).auth_probe_interval", default: httpDefaults.authProbeInterval)
        )
        guard let connection else { return nil }
        return BridgeConfiguration.Source(
            name: name, connection: connection, discovery: discovery, webhook: webhook, conversationIDs: conversationIDs,
            idsTopic: idsTopic, schedule: schedule,
            vanishAfterNotFound: reader.int(
                "\(schedulePath).vanish_after", default: BridgeConfiguration.Source.defaultVanishAfterNotFound, range: 1...100),
            http: http
        )
    }

    /// An http:// or https:// URL; plain http:// only to a loopback host unless the source says
    /// `allow_insecure_http: true` (its credentials would cross the network unencrypted).
    static func checkURL(_ reader: ConfigReader, _ path: String, _ url: String, allowInsecureHTTP: Bool) {
        guard !url.isEmpty else { return }
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            return reader.problem(path, "expected an http:// or https:// URL, found \(url)")
        }
        guard url.hasPrefix("http://"), !allowInsecureHTTP else { return }
        let host = URLComponents(string: url)?.host ?? ""
        let loopback = host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
        if !loopback {
            reader.problem(
                path,
                "http:// would send this source's credentials unencrypted to \(host.isEmpty ? url : host); "
                    + "use https://, or set allow_insecure_http: true on the source for a trusted network")
        }
    }

    /// `lookback`, `overlap`, `max_span`, `page_size`, `max_pages` and `interval` of a list endpoint's walk.
    static func decodeWindow(
        _ reader: ConfigReader, _ path: String, pageSize: (default: Int, range: ClosedRange<Int>)
    ) -> BridgeConfiguration.Discovery {
        let defaults = BridgeConfiguration.Discovery(pageSize: pageSize.default)
        return BridgeConfiguration.Discovery(
            interval: reader.duration("\(path).interval", default: defaults.interval),
            window: SlidingWindow(
                lookback: reader.duration("\(path).lookback", default: defaults.window.lookback),
                overlap: reader.duration("\(path).overlap", default: defaults.window.overlap),
                maxSpan: reader.duration("\(path).max_span", default: defaults.window.maxSpan)),
            pageSize: reader.int("\(path).page_size", default: defaults.pageSize, range: pageSize.range),
            maxPages: reader.int("\(path).max_pages", default: defaults.maxPages, range: 1...100_000)
        )
    }

    static func decodeJelou(
        _ reader: ConfigReader, _ path: String, baseURL: String,
        allowInsecureHTTP: Bool
    ) -> (BridgeConfiguration.Connection?, BridgeConfiguration.Discovery?) {
        let projectID = reader.requiredString("\(path).project_id", hint: "the Jelou project id")
        let authPath = "\(path).auth"
        reader.rejectUnknownKeys(
            authPath,
            known: ["scheme", "api_key", "api_key_env", "api_key_file", "client_id", "client_secret", "client_secret_env", "client_secret_file"])
        let scheme = reader.string("\(authPath).scheme", default: "api_key")
        var credentials: JelouCredentials?
        var basic: JelouCredentials?
        let clientID = reader.string("\(authPath).client_id")
        let clientSecret = clientID == nil ? nil : reader.secret(authPath, key: "client_secret", required: scheme == "basic")
        if let clientID, let clientSecret { basic = .basic(clientID: clientID, clientSecret: clientSecret) }
        switch scheme {
        case "api_key":
            credentials = reader.secret(authPath, key: "api_key", required: true).map(JelouCredentials.apiKey)
        case "basic":
            if clientID == nil { reader.problem("\(authPath).client_id", "missing; Basic auth needs client_id and client_secret_env") }
            credentials = basic
        default:
            reader.problem("\(authPath).scheme", "expected api_key or basic, found \(scheme)")
        }

        var discovery: BridgeConfiguration.Discovery?
        var advisorBaseURL: String?
        let advisorPath = "\(path).advisor"
        reader.rejectUnknownKeys(
            advisorPath, known: ["enabled", "api_base_url", "interval", "lookback", "overlap", "max_span", "page_size", "max_pages"])
        if reader.node(advisorPath) != nil, reader.bool("\(advisorPath).enabled", default: true) {
            advisorBaseURL = reader.requiredString("\(advisorPath).api_base_url", hint: "e.g. https://api.jelou.ai")
            checkURL(reader, "\(advisorPath).api_base_url", advisorBaseURL ?? "", allowInsecureHTTP: allowInsecureHTTP)
            if basic == nil {
                reader.problem("\(authPath).client_id", "Advisor Conversations needs Basic credentials: set client_id and client_secret_env")
            }
            discovery = decodeWindow(reader, advisorPath, pageSize: (50, 1...1000))
        }
        guard let credentials else { return (nil, discovery) }
        return (
            .jelou(baseURL: baseURL, projectID: projectID, credentials: credentials, advisorBaseURL: advisorBaseURL, advisorCredentials: basic),
            discovery
        )
    }

    static func decodeChatvolt(
        _ reader: ConfigReader, _ path: String, baseURL: String
    ) -> (BridgeConfiguration.Connection?, BridgeConfiguration.Discovery?) {
        reader.rejectUnknownKeys("\(path).auth", known: ["api_key", "api_key_env", "api_key_file"])
        let key = reader.secret("\(path).auth", key: "api_key", required: true)
        let discoveryPath = "\(path).discovery"
        reader.rejectUnknownKeys(
            discoveryPath, known: ["enabled", "status", "interval", "lookback", "overlap", "max_span", "page_size", "max_pages"])
        var discovery: BridgeConfiguration.Discovery?
        var status: String?
        if reader.node(discoveryPath) != nil, reader.bool("\(discoveryPath).enabled", default: true) {
            discovery = decodeWindow(reader, discoveryPath, pageSize: (100, 1...100))
            status = reader.string("\(discoveryPath).status")
            if let status, !ChatvoltStatus.documented.contains(status) {
                reader.problem(
                    "\(discoveryPath).status", "expected one of \(ChatvoltStatus.documented.sorted().joined(separator: ", ")), found \(status)")
            }
        }
        guard let key else { return (nil, discovery) }
        return (.chatvolt(baseURL: baseURL, token: BearerToken(key), statusFilter: status), discovery)
    }

    static func decodeZild(_ reader: ConfigReader, _ path: String, baseURL: String) -> BridgeConfiguration.Connection? {
        reader.rejectUnknownKeys("\(path).auth", known: ["token", "token_env", "token_file"])
        let token = reader.secret("\(path).auth", key: "token", required: true)
        var labels: [Int64: String] = [:]
        if let node = reader.node("\(path).ended_reasons") {
            guard let object = node.objectValue else {
                reader.problem("\(path).ended_reasons", "expected a mapping of conversationEndedReasonId to label, e.g. {4: resolved}")
                return nil
            }
            for member in object.members {
                guard let id = Int64(member.key), let label = member.value.scalarText, !label.isEmpty else {
                    reader.problem("\(path).ended_reasons.\(member.key)", "expected an integer id and a text label")
                    continue
                }
                labels[id] = label
                reader.record("\(path).ended_reasons.\(member.key)", label, origin: .file)
            }
        }
        guard let token else { return nil }
        return .zild(baseURL: baseURL, token: BearerToken(token), endedReasonLabels: labels)
    }

    /// Jelou: `signing_secret_*` (HMAC in `X-Jelou-Signature`). Chatvolt and Zild: `secret_*` in `header`, compared as
    /// a shared secret, or `verify: hmac_sha256` for a signature in that header.
    static func decodeWebhook(_ reader: ConfigReader, _ path: String, platform: Platform, name: String) -> BridgeConfiguration.Webhook? {
        guard reader.node(path) != nil else { return nil }
        let webhookPath = reader.string("\(path).path", default: "/webhooks/\(name)")
        var format = WebhookEventFormat.for(platform)
        let common = ["path", "conversation_id_path", "remember_for"]
        if platform == .jelou {
            reader.rejectUnknownKeys(path, known: Set(common + ["signing_secret", "signing_secret_env", "signing_secret_file", "replay_window"]))
        } else {
            reader.rejectUnknownKeys(path, known: Set(common + ["secret", "secret_env", "secret_file", "header", "verify"]))
        }
        if let idPath = reader.string("\(path).conversation_id_path") { format = format.withConversationIDPath(idPath) }
        // Only Jelou's payloads carry their time.
        let window = platform == .jelou ? reader.duration("\(path).replay_window", default: WebhookEndpoint.defaultReplayWindow) : nil
        let rememberFor = reader.duration(
            "\(path).remember_for",
            default: BridgeConfiguration.Webhook.defaultRememberFor(replayWindow: window.flatMap { $0 > .zero ? $0 : nil }))
        func webhook(_ verification: WebhookVerification, _ secret: String) -> BridgeConfiguration.Webhook {
            .init(
                path: webhookPath, verification: verification, format: format, secret: secret,
                replayWindow: window.flatMap { $0 > .zero ? $0 : nil }, rememberFor: rememberFor)
        }
        if platform == .jelou {
            guard let secret = reader.secret(path, key: "signing_secret", required: true) else { return nil }
            return webhook(.hmacSHA256(header: WebhookSignature.jelouHeader, WebhookSignature(secret: secret)), secret)
        }
        let header = reader.string("\(path).header", default: "X-Webhook-Secret")
        let verify = reader.string("\(path).verify", default: "shared_secret")
        guard let secret = reader.secret(path, key: "secret", required: true) else { return nil }
        switch verify {
        case "shared_secret": return webhook(.sharedSecret(header: header, secret: secret), secret)
        case "hmac_sha256": return webhook(.hmacSHA256(header: header, WebhookSignature(secret: secret)), secret)
        default:
            reader.problem("\(path).verify", "expected shared_secret or hmac_sha256, found \(verify)")
            return nil
        }
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: ".")
    }

    /// Why `base` cannot prefix the events' `dataschema`, an absolute URI (RFC 3986): nil when it can.
    static func problem(withDataSchemaBase base: String) -> String? {
        let bytes = Array(base.utf8)
        guard bytes.count <= 1024 else { return "longer than 1024 bytes" }
        guard bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }) else {
            return "a URI has no spaces, quotes, control or non-ASCII characters (percent-encode them)"
        }
        // scheme ":" rest, the scheme a letter then letters, digits, "+", "-" or ".".
        let scheme = bytes.prefix { $0 != UInt8(ascii: ":") }
        let isLetter = { (byte: UInt8) in (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20) }
        guard let first = scheme.first, isLetter(first), scheme.count + 1 < bytes.count,
            scheme.allSatisfy({ isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || "+-.".utf8.contains($0) })
        else { return "expected an absolute URI such as https://schemas.example.com/convobridge/v1/, found \(base.debugDescription)" }
        return nil
    }
}
