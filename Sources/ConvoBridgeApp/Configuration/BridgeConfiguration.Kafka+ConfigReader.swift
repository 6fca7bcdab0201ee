import ConvoBridgeCore
import ConvoBridgeKafka
import Foundation

extension BridgeConfiguration.Kafka {
    /// The `kafka` section: the publisher's connection and the encoder's topics and format, each default the
    /// type's own. Every problem goes to `reader`.
    init(reader: ConfigReader, at path: String) {
        let kafkaKeys = ConfigSection(reader, path, keys: ConfigurationLoader.KafkaKey.self)
        let bootstrap = reader.requiredString(kafkaKeys[.bootstrapServers], hint: "the brokers as host:port[,host:port]")
        if bootstrap.trimmingCharacters(in: .whitespaces).lowercased() == "embedded" {
            // Once accepted; the mock cluster is development code and no longer part of `run`.
            reader.problem(
                kafkaKeys[.bootstrapServers],
                "embedded is not a broker address; for a development cluster run `convobridge kafka-dev` "
                    + "and use the address it prints, or `convobridge demo`")
        }
        var properties: [String: String] = [:]
        for member in reader.node(kafkaKeys[.properties])?.objectValue?.members ?? [] {
            let path = "\(kafkaKeys[.properties]).\(member.key)"
            if SecretRedactor.isSecretKey(member.key) {
                reader.problem(
                    path, "secrets are not accepted as values; list it under \(kafkaKeys[.secretPropertiesEnv]) with an environment variable name")
            } else if let text = member.value.scalarText {
                if let problem = KafkaPublisherConfiguration.problem(withProperty: member.key, value: text) { reader.problem(path, problem) }
                properties[member.key] = text
                // Property names hold dots, so the origin cannot be looked up by path.
                reader.record(path, text, origin: reader.overrides[path].map(EffectiveSetting.Origin.environment) ?? .file)
            } else {
                reader.problem(path, "expected a text value")
            }
        }
        for member in reader.node(kafkaKeys[.secretPropertiesEnv])?.objectValue?.members ?? [] {
            guard let variable = member.value.stringValue, let value = reader.environment[variable], !value.isEmpty else {
                reader.problem("\(kafkaKeys[.secretPropertiesEnv]).\(member.key)", "\(member.value.scalarText ?? "?") is not set")
                continue
            }
            properties[member.key] = value
            reader.record("\(kafkaKeys[.properties]).\(member.key)", EffectiveSetting.mask, origin: .secret("from $\(variable)"))
        }
        // Every default below is the type's own (its initializer's), so it is stated once, next to the type.
        let publisherDefaults = KafkaPublisherConfiguration(bootstrapServers: bootstrap)
        let encoderDefaults = CloudEventEncoder.Configuration()
        let contentModeText = reader.string(kafkaKeys[.contentMode], default: encoderDefaults.contentMode.rawValue)
        let contentMode = EventContentMode(rawValue: contentModeText)
        if contentMode == nil { reader.problem(kafkaKeys[.contentMode], "expected binary or structured, found \(contentModeText)") }
        let dataSchemaBase = reader.string(kafkaKeys[.dataSchemaBase], default: CloudEventEncoder.Configuration.defaultDataSchemaBase)
        if let problem = ConfigurationLoader.problem(withDataSchemaBase: dataSchemaBase) { reader.problem(kafkaKeys[.dataSchemaBase], problem) }
        self.init(
            publisher: KafkaPublisherConfiguration(
                bootstrapServers: bootstrap,
                clientID: reader.string(kafkaKeys[.clientID], default: publisherDefaults.clientID),
                messageTimeout: reader.duration(kafkaKeys[.messageTimeout], default: publisherDefaults.messageTimeout),
                shutdownDeadline: reader.duration(kafkaKeys[.shutdownDeadline], default: publisherDefaults.shutdownDeadline),
                properties: properties
            ),
            encoder: CloudEventEncoder.Configuration(
                eventsTopic: reader.string(kafkaKeys[.eventsTopic], default: encoderDefaults.eventsTopic),
                stateTopic: reader.string(kafkaKeys[.stateTopic], default: encoderDefaults.stateTopic),
                contentMode: contentMode ?? encoderDefaults.contentMode,
                includeRaw: reader.bool(kafkaKeys[.includeRaw], default: encoderDefaults.includeRaw),
                maxRecordBytes: reader.int(
                    kafkaKeys[.maxRecordBytes], default: encoderDefaults.maxRecordBytes,
                    range: 4096...(1 << 30)),
                dataSchemaBase: dataSchemaBase.hasSuffix("/") || dataSchemaBase.hasSuffix(":") ? dataSchemaBase : dataSchemaBase + "/"
            )
        )
    }
}
