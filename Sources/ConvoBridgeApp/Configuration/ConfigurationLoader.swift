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
        guard let address = BridgeConfiguration.Server.Address(parsing: text) else {
            reader.problem(path, "expected host:port (e.g. 0.0.0.0:8080), found \(text)")
            return nil
        }
        return address
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
            if let source = BridgeConfiguration.Source(reader: reader, at: "sources[\(index)]") { sources.append(source) }
        }
        var names: Set<String> = []
        for (index, source) in sources.enumerated() where !names.insert(source.name).inserted {
            reader.problem("sources[\(index)].name", "\(source.name) is used by another source; names must be unique")
        }
        if server == nil, let index = sources.firstIndex(where: { $0.webhook != nil }) {
            reader.problem("sources[\(index)].webhook", "webhooks need server.listen (host:port) to receive them")
        }
        let delivery = BridgeConfiguration.Delivery(reader: reader, at: TopLevelKey.webhooks.rawValue)
        for index in 0..<(reader.node("webhooks.subscriptions")?.arrayValue?.count ?? 0) {
            let path = "webhooks.subscriptions[\(index)].sources"
            for source in (reader.node(path)?.arrayValue ?? []).map({ $0.scalarText ?? "?" }) where !names.contains(source) {
                reader.problem(path, "\(source) is not a configured source; sources: \(names.sorted().joined(separator: ", "))")
            }
        }
        let coordination = BridgeConfiguration.Coordination(reader: reader, at: TopLevelKey.coordination.rawValue)
        if case .kafka(let group) = coordination {
            for topic in [group.watchTopic, group.stateTopic, group.handoffTopic]
            where topic == kafka.encoder.eventsTopic || topic == kafka.encoder.stateTopic {
                reader.problem("coordination", "\(topic) is also one of kafka's topics; the coordination topics are the bridge's own")
            }
            // A webhook reaches its conversation's owner as one record of the handoff topic.
            if let server, server.maxBodyBytes > WebhookHandoffRecord.maxBodyBytes {
                reader.problem(
                    "server.\(ServerKey.maxBodyBytes.rawValue)",
                    "must be at most \(WebhookHandoffRecord.maxBodyBytes) with coordination.mode kafka: each webhook is handed to the replica "
                        + "that owns its conversation as one Kafka record, under the broker's default message.max.bytes")
            }
        }
        var configuration = BridgeConfiguration(storePath: storePath, kafka: kafka, server: server, relay: relay, sources: sources)
        configuration.storeMinimumFreeBytes = minimumFree
        configuration.delivery = delivery
        configuration.coordination = coordination
        return configuration
    }

    static let platforms = Platform.allCases.map(\.rawValue)

    /// An http:// or https:// URL; plain http:// only to a loopback host unless the source says
    /// `allow_insecure_http: true` (its credentials would cross the network unencrypted).
    static func checkURL(
        _ reader: ConfigReader, _ path: String, _ url: String, allowInsecureHTTP: Bool, sending what: String = "this source's credentials",
        on owner: String = "the source"
    ) {
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
                "http:// would send \(what) unencrypted to \(host.isEmpty ? url : host); "
                    + "use https://, or set allow_insecure_http: true on \(owner) for a trusted network")
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
