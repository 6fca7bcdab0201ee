import ConvoBridgeCore

/// How the publisher connects to Kafka and what it guarantees.
///
/// The guarantees of the event contract (`enable.idempotence=true`, `acks=all`) are always set and cannot be
/// overridden; any other librdkafka property (SASL, SSL, compression, batching…) passes through ``properties``.
public struct KafkaPublisherConfiguration: Sendable, Hashable {
    /// Comma-separated `host:port` list.
    public var bootstrapServers: String
    public var clientID: String
    /// How long librdkafka keeps retrying a record before reporting it failed. Long, so a broker outage of that
    /// length loses nothing; `.zero` means forever.
    public var messageTimeout: Duration
    /// How long a graceful shutdown keeps delivering what is queued before giving up on it.
    public var shutdownDeadline: Duration
    /// Extra librdkafka properties, passed as they are.
    public var properties: [String: String]

    public init(
        bootstrapServers: String,
        clientID: String = "convobridge",
        messageTimeout: Duration = .seconds(900),
        shutdownDeadline: Duration = .seconds(30),
        properties: [String: String] = [:]
    ) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.messageTimeout = messageTimeout
        self.shutdownDeadline = shutdownDeadline
        self.properties = properties
    }

    /// Properties the no-loss guarantee depends on, with the values it needs.
    static let guaranteedProperties: [String: Set<String>] = [
        "enable.idempotence": ["true"],
        "acks": ["all", "-1"],
        "request.required.acks": ["all", "-1"],
        "delivery.report.only.error": ["false"],
        // A batch failing permanently while later ones succeed would leave a gap in a conversation's sequence;
        // with this, librdkafka raises a fatal error instead and nothing after the failure is persisted.
        "enable.gapless.guarantee": ["true"],
    ]

    /// Why a pass-through property cannot be set to `value`, or nil when it can: it would weaken the no-loss
    /// guarantee, or it is set elsewhere. (The configuration loader asks this too, so `check-config` refuses it.)
    public static func problem(withProperty name: String, value: String) -> String? {
        if let allowed = guaranteedProperties[name], !allowed.contains(value.lowercased()) {
            return "would allow lost or reordered events; ConvoBridge always sets \(name)=\(allowed.sorted().first!)"
        }
        if name == "bootstrap.servers" { return "is set by kafka.bootstrap_servers; remove it from the properties" }
        return nil
    }

    /// The librdkafka properties of a producer, in the order they are applied.
    /// - Throws: ``KafkaError/Code/invalidConfiguration`` when a pass-through property would weaken the guarantee.
    func producerProperties(bootstrap: String) throws(KafkaError) -> [(String, String)] {
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            if let problem = Self.problem(withProperty: name, value: value) {
                throw KafkaError(code: .invalidConfiguration, message: "property '\(name)=\(value)' \(problem)")
            }
        }
        let timeoutMilliseconds = messageTimeout.wholeMilliseconds
        var result: [(String, String)] = [
            ("bootstrap.servers", bootstrap),
            ("client.id", clientID),
            ("enable.idempotence", "true"),
            ("acks", "all"),
            ("enable.gapless.guarantee", "true"),
            ("message.timeout.ms", String(timeoutMilliseconds)),
            ("linger.ms", "5"),
        ]
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            if let index = result.firstIndex(where: { $0.0 == name }) {
                result[index].1 = value
            } else {
                result.append((name, value))
            }
        }
        return result
    }

    /// Properties ConvoBridge sets itself, which the operator did not choose.
    var ownDefaults: Set<String> {
        Set(["enable.idempotence", "acks", "enable.gapless.guarantee", "message.timeout.ms", "linger.ms"])
            .subtracting(properties.keys)
    }
}
