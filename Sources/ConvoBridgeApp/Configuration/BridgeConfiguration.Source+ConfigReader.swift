import ConvoBridgeCore
import ConvoBridgeHTTP

extension BridgeConfiguration.Source {
    /// One entry of `sources`; nil (with its problems on `reader`) when it cannot make a source.
    init?(reader: ConfigReader, at path: String) {
        // Read first: which keys the source takes depends on it.
        let platformPath = ConfigReader.join(path, ConfigurationLoader.SourceKey.platform.rawValue)
        let platformText = reader.string(platformPath, default: "jelou")
        guard let platform = Platform(rawValue: platformText) else {
            reader.problem(platformPath, "expected one of \(ConfigurationLoader.platforms.joined(separator: ", ")), found \(platformText)")
            return nil
        }
        let source = ConfigSection(reader, path, keys: ConfigurationLoader.SourceKey.self) { $0.platform == nil || $0.platform == platform }
        let name = reader.requiredString(source[.name], hint: "a unique name such as \(platform.rawValue)-prod; it is part of every event key")
        if !name.isEmpty, !name.utf8.allSatisfy({ ConfigurationLoader.isNameByte($0) }) {
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
        ConfigurationLoader.checkURL(reader, source[.baseURL], baseURL, allowInsecureHTTP: allowInsecureHTTP)

        let connection: BridgeConfiguration.Connection?
        var discovery: BridgeConfiguration.Discovery?
        switch platform {
        case .jelou:
            (connection, discovery) = BridgeConfiguration.Connection.decodeJelou(reader, path, baseURL: baseURL, allowInsecureHTTP: allowInsecureHTTP)
        case .chatvolt: (connection, discovery) = BridgeConfiguration.Connection.decodeChatvolt(reader, path, baseURL: baseURL)
        case .zild: connection = BridgeConfiguration.Connection.decodeZild(reader, path, baseURL: baseURL)
        }
        let idsTopic = platform == .zild ? reader.string(source[.idsTopic]) : nil
        if idsTopic?.isEmpty == true { reader.problem(source[.idsTopic], "expected a Kafka topic name") }

        let webhook = BridgeConfiguration.Webhook.decode(reader, source[.webhook], platform: platform, name: name)
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
        self.init(
            name: name, connection: connection, discovery: discovery, webhook: webhook, conversationIDs: conversationIDs,
            idsTopic: idsTopic, schedule: schedule,
            vanishAfterNotFound: reader.int(
                ConfigReader.join(source[.schedule], ConfigurationLoader.ScheduleKey.vanishAfter.rawValue),
                default: Self.defaultVanishAfterNotFound, range: 1...100),
            http: http
        )
    }
}
