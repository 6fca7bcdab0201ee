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
        _ = ConfigSection(reader, "", keys: TopLevelKey.self)
        let store = ConfigSection(reader, "store", keys: StoreKey.self)
        let storePath = reader.string(store[.path], default: BridgeConfiguration.defaultStorePath)
        let minimumFree = reader.byteSize(store[.minFreeSpace], default: BridgeConfiguration.defaultStoreMinimumFreeBytes)

        // Each section decodes itself next to its type (`…+ConfigReader.swift`), in the order the report lists them.
        let kafka = BridgeConfiguration.Kafka(reader: reader, at: TopLevelKey.kafka.rawValue)
        let server = BridgeConfiguration.Server(reader: reader, at: TopLevelKey.server.rawValue)
        let relay = BridgeConfiguration.Relay(reader: reader, at: TopLevelKey.relay.rawValue)

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
        // Read first: which keys the source takes depends on it.
        let platformPath = ConfigReader.join(path, SourceKey.platform.rawValue)
        let platformText = reader.string(platformPath, default: "jelou")
        guard let platform = Platform(rawValue: platformText) else {
            reader.problem(platformPath, "expected one of \(platforms.joined(separator: ", ")), found \(platformText)")
            return nil
        }
        let source = ConfigSection(reader, path, keys: SourceKey.self) { $0.platform == nil || $0.platform == platform }
        let name = reader.requiredString(source[.name], hint: "a unique name such as \(platform.rawValue)-prod; it is part of every event key")
        if !name.isEmpty, !name.utf8.allSatisfy({ isNameByte($0) }) {
            reader.problem(source[.name], "use letters, digits, '-', '_' and '.' only (it is part of Kafka keys and URLs), found \(name)")
        }
        let baseURL: String
        switch platform {
        case .jelou: baseURL = reader.requiredString(source[.baseURL], hint: "e.g. https://gateway.jelou.ai/jelouapi (or …/platform)")
        case .chatvolt: baseURL = reader.string(source[.baseURL], default: "https://api.chatvolt.ai")
        case .zild:
            baseURL = reader.requiredString(
                source[.baseURL], hint: "your Zild API's address (Zild's docs give none), e.g. https://api.your-tenant.zild.ai")
        }
        let allowInsecureHTTP = reader.bool(source[.allowInsecureHTTP], default: false)
        checkURL(reader, source[.baseURL], baseURL, allowInsecureHTTP: allowInsecureHTTP)

        let connection: BridgeConfiguration.Connection?
        var discovery: BridgeConfiguration.Discovery?
        switch platform {
        case .jelou: (connection, discovery) = decodeJelou(reader, path, baseURL: baseURL, allowInsecureHTTP: allowInsecureHTTP)
        case .chatvolt: (connection, discovery) = decodeChatvolt(reader, path, baseURL: baseURL)
        case .zild: connection = decodeZild(reader, path, baseURL: baseURL)
        }
        let idsTopic = platform == .zild ? reader.string(source[.idsTopic]) : nil
        if idsTopic?.isEmpty == true { reader.problem(source[.idsTopic], "expected a Kafka topic name") }

        let webhook = decodeWebhook(reader, source[.webhook], platform: platform, name: name)
        var conversationIDs: [String] = []
        if let items = reader.node(source[.conversations]) {
            if let array = items.arrayValue {
                for (index, item) in array.enumerated() {
                    guard let id = item.scalarText, !id.isEmpty else {
                        reader.problem("\(source[.conversations])[\(index)]", "expected a conversation id")
                        continue
                    }
                    if let problem = ConversationIDRule.problem(id, platform: platform) {
                        reader.problem("\(source[.conversations])[\(index)]", problem)
                    }
                    conversationIDs.append(id)
                }
            } else {
                reader.problem(source[.conversations], "expected a list of conversation ids")
            }
        }
        reader.record(source[.conversations], "[" + conversationIDs.joined(separator: ", ") + "]")

        let schedule = PollSchedule(reader: reader, at: source[.schedule])

        let http = SourceHTTPPolicy(reader: reader, at: source[.http])
        guard let connection else { return nil }
        return BridgeConfiguration.Source(
            name: name, connection: connection, discovery: discovery, webhook: webhook, conversationIDs: conversationIDs,
            idsTopic: idsTopic, schedule: schedule,
            vanishAfterNotFound: reader.int(
                ConfigReader.join(source[.schedule], ScheduleKey.vanishAfter.rawValue),
                default: BridgeConfiguration.Source.defaultVanishAfterNotFound, range: 1...100),
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

    static func decodeJelou(
        _ reader: ConfigReader, _ path: String, baseURL: String,
        allowInsecureHTTP: Bool
    ) -> (BridgeConfiguration.Connection?, BridgeConfiguration.Discovery?) {
        let projectID = reader.requiredString(ConfigReader.join(path, SourceKey.projectID.rawValue), hint: "the Jelou project id")
        let auth = ConfigSection(reader, ConfigReader.join(path, SourceKey.auth.rawValue), keys: JelouAuthKey.self)
        let authPath = auth.path
        let scheme = reader.string(auth[.scheme], default: "api_key")
        var credentials: JelouCredentials?
        var basic: JelouCredentials?
        let clientID = reader.string(auth[.clientID])
        let clientSecret = clientID == nil ? nil : reader.secret(authPath, key: JelouAuthKey.clientSecret.rawValue, required: scheme == "basic")
        if let clientID, let clientSecret { basic = .basic(clientID: clientID, clientSecret: clientSecret) }
        switch scheme {
        case "api_key":
            credentials = reader.secret(authPath, key: JelouAuthKey.apiKey.rawValue, required: true).map(JelouCredentials.apiKey)
        case "basic":
            if clientID == nil { reader.problem("\(authPath).client_id", "missing; Basic auth needs client_id and client_secret_env") }
            credentials = basic
        default:
            reader.problem("\(authPath).scheme", "expected api_key or basic, found \(scheme)")
        }

        var discovery: BridgeConfiguration.Discovery?
        var advisorBaseURL: String?
        let advisor = ConfigSection(
            reader, ConfigReader.join(path, SourceKey.advisor.rawValue), keys: AdvisorKey.self, alsoKnown: WindowKey.allCases.map(\.rawValue))
        let advisorPath = advisor.path
        if reader.node(advisorPath) != nil, reader.bool(advisor[.enabled], default: true) {
            advisorBaseURL = reader.requiredString(advisor[.apiBaseURL], hint: "e.g. https://api.jelou.ai")
            checkURL(reader, advisor[.apiBaseURL], advisorBaseURL ?? "", allowInsecureHTTP: allowInsecureHTTP)
            if basic == nil {
                reader.problem("\(authPath).client_id", "Advisor Conversations needs Basic credentials: set client_id and client_secret_env")
            }
            discovery = BridgeConfiguration.Discovery(reader: reader, at: advisorPath, pageSize: (50, 1...1000))
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
        let auth = ConfigSection(reader, ConfigReader.join(path, SourceKey.auth.rawValue), keys: ChatvoltAuthKey.self)
        let key = reader.secret(auth.path, key: ChatvoltAuthKey.apiKey.rawValue, required: true)
        let walk = ConfigSection(
            reader, ConfigReader.join(path, SourceKey.discovery.rawValue), keys: ChatvoltDiscoveryKey.self,
            alsoKnown: WindowKey.allCases.map(\.rawValue))
        var discovery: BridgeConfiguration.Discovery?
        var status: String?
        if reader.node(walk.path) != nil, reader.bool(walk[.enabled], default: true) {
            discovery = BridgeConfiguration.Discovery(reader: reader, at: walk.path, pageSize: (100, 1...100))
            status = reader.string(walk[.status])
            if let status, !ChatvoltStatus.documented.contains(status) {
                reader.problem(
                    walk[.status], "expected one of \(ChatvoltStatus.documented.sorted().joined(separator: ", ")), found \(status)")
            }
        }
        guard let key else { return (nil, discovery) }
        return (.chatvolt(baseURL: baseURL, token: BearerToken(key), statusFilter: status), discovery)
    }

    static func decodeZild(_ reader: ConfigReader, _ path: String, baseURL: String) -> BridgeConfiguration.Connection? {
        let auth = ConfigSection(reader, ConfigReader.join(path, SourceKey.auth.rawValue), keys: ZildAuthKey.self)
        let token = reader.secret(auth.path, key: ZildAuthKey.token.rawValue, required: true)
        let reasonsPath = ConfigReader.join(path, SourceKey.endedReasons.rawValue)
        var labels: [Int64: String] = [:]
        if let node = reader.node(reasonsPath) {
            guard let object = node.objectValue else {
                reader.problem(reasonsPath, "expected a mapping of conversationEndedReasonId to label, e.g. {4: resolved}")
                return nil
            }
            for member in object.members {
                guard let id = Int64(member.key), let label = member.value.scalarText, !label.isEmpty else {
                    reader.problem("\(reasonsPath).\(member.key)", "expected an integer id and a text label")
                    continue
                }
                labels[id] = label
                reader.record("\(reasonsPath).\(member.key)", label, origin: .file)
            }
        }
        guard let token else { return nil }
        return .zild(baseURL: baseURL, token: BearerToken(token), endedReasonLabels: labels)
    }

    /// Jelou: `signing_secret_*` (HMAC in `X-Jelou-Signature`). Chatvolt and Zild: `secret_*` in `header`, compared as
    /// a shared secret, or `verify: hmac_sha256` for a signature in that header.
    static func decodeWebhook(_ reader: ConfigReader, _ path: String, platform: Platform, name: String) -> BridgeConfiguration.Webhook? {
        guard reader.node(path) != nil else { return nil }
        let keys = ConfigSection(reader, path, keys: WebhookKey.self) { $0.applies(to: platform) }
        let webhookPath = reader.string(keys[.path], default: "/webhooks/\(name)")
        var format = WebhookEventFormat.for(platform)
        if let idPath = reader.string(keys[.conversationIDPath]) { format = format.withConversationIDPath(idPath) }
        // Only Jelou's payloads carry their time.
        let window = platform == .jelou ? reader.duration(keys[.replayWindow], default: WebhookEndpoint.defaultReplayWindow) : nil
        let rememberFor = reader.duration(
            keys[.rememberFor],
            default: BridgeConfiguration.Webhook.defaultRememberFor(replayWindow: window.flatMap { $0 > .zero ? $0 : nil }))
        func webhook(_ verification: WebhookVerification, _ secret: String) -> BridgeConfiguration.Webhook {
            .init(
                path: webhookPath, verification: verification, format: format, secret: secret,
                replayWindow: window.flatMap { $0 > .zero ? $0 : nil }, rememberFor: rememberFor)
        }
        if platform == .jelou {
            guard let secret = reader.secret(path, key: WebhookKey.signingSecret.rawValue, required: true) else { return nil }
            return webhook(.hmacSHA256(header: WebhookSignature.jelouHeader, WebhookSignature(secret: secret)), secret)
        }
        let header = reader.string(keys[.header], default: "X-Webhook-Secret")
        let verify = reader.string(keys[.verify], default: "shared_secret")
        guard let secret = reader.secret(path, key: WebhookKey.secret.rawValue, required: true) else { return nil }
        switch verify {
        case "shared_secret": return webhook(.sharedSecret(header: header, secret: secret), secret)
        case "hmac_sha256": return webhook(.hmacSHA256(header: header, WebhookSignature(secret: secret)), secret)
        default:
            reader.problem(keys[.verify], "expected shared_secret or hmac_sha256, found \(verify)")
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
