import ConvoBridgeCore
import ConvoBridgeHTTP

/// Each platform's connection: its `auth`, and Jelou's `advisor` or Chatvolt's `discovery` walk.
extension BridgeConfiguration.Connection {
    static func decodeJelou(
        _ reader: ConfigReader, _ path: String, baseURL: String,
        allowInsecureHTTP: Bool
    ) -> (Self?, BridgeConfiguration.Discovery?) {
        let projectID = reader.requiredString(ConfigReader.join(path, ConfigurationLoader.SourceKey.projectID.rawValue), hint: "the Jelou project id")
        let auth = ConfigSection(
            reader, ConfigReader.join(path, ConfigurationLoader.SourceKey.auth.rawValue), keys: ConfigurationLoader.JelouAuthKey.self)
        let authPath = auth.path
        let scheme = reader.string(auth[.scheme], default: "api_key")
        var credentials: JelouCredentials?
        var basic: JelouCredentials?
        let clientID = reader.string(auth[.clientID])
        let clientSecret =
            clientID == nil ? nil : reader.secret(authPath, key: ConfigurationLoader.JelouAuthKey.clientSecret.rawValue, required: scheme == "basic")
        if let clientID, let clientSecret { basic = .basic(clientID: clientID, clientSecret: clientSecret) }
        switch scheme {
        case "api_key":
            credentials = reader.secret(authPath, key: ConfigurationLoader.JelouAuthKey.apiKey.rawValue, required: true).map(JelouCredentials.apiKey)
        case "basic":
            if clientID == nil { reader.problem("\(authPath).client_id", "missing; Basic auth needs client_id and client_secret_env") }
            credentials = basic
        default:
            reader.problem("\(authPath).scheme", "expected api_key or basic, found \(scheme)")
        }

        var discovery: BridgeConfiguration.Discovery?
        var advisorBaseURL: String?
        let advisor = ConfigSection(
            reader, ConfigReader.join(path, ConfigurationLoader.SourceKey.advisor.rawValue), keys: ConfigurationLoader.AdvisorKey.self,
            alsoKnown: ConfigurationLoader.WindowKey.allCases.map(\.rawValue))
        let advisorPath = advisor.path
        if reader.node(advisorPath) != nil, reader.bool(advisor[.enabled], default: true) {
            advisorBaseURL = reader.requiredString(advisor[.apiBaseURL], hint: "e.g. https://api.jelou.ai")
            ConfigurationLoader.checkURL(reader, advisor[.apiBaseURL], advisorBaseURL ?? "", allowInsecureHTTP: allowInsecureHTTP)
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
    ) -> (Self?, BridgeConfiguration.Discovery?) {
        let auth = ConfigSection(
            reader, ConfigReader.join(path, ConfigurationLoader.SourceKey.auth.rawValue), keys: ConfigurationLoader.ChatvoltAuthKey.self)
        let key = reader.secret(auth.path, key: ConfigurationLoader.ChatvoltAuthKey.apiKey.rawValue, required: true)
        let walk = ConfigSection(
            reader, ConfigReader.join(path, ConfigurationLoader.SourceKey.discovery.rawValue), keys: ConfigurationLoader.ChatvoltDiscoveryKey.self,
            alsoKnown: ConfigurationLoader.WindowKey.allCases.map(\.rawValue))
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

    static func decodeZild(_ reader: ConfigReader, _ path: String, baseURL: String) -> Self? {
        let auth = ConfigSection(
            reader, ConfigReader.join(path, ConfigurationLoader.SourceKey.auth.rawValue), keys: ConfigurationLoader.ZildAuthKey.self)
        let token = reader.secret(auth.path, key: ConfigurationLoader.ZildAuthKey.token.rawValue, required: true)
        let reasonsPath = ConfigReader.join(path, ConfigurationLoader.SourceKey.endedReasons.rawValue)
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
}
