extension BridgeConfiguration.Relay {
    /// The `relay` section, each default the type's own.
    init(reader: ConfigReader, at path: String) {
        let relayKeys = ConfigSection(reader, path, keys: ConfigurationLoader.RelayKey.self)
        let relayDefaults = Self()
        self.init(
            batchSize: reader.int(relayKeys[.batchSize], default: relayDefaults.batchSize, range: 1...100_000),
            maxBacklog: reader.int(relayKeys[.maxBacklog], default: relayDefaults.maxBacklog, range: 1...100_000_000),
            drainDeadline: reader.duration(relayKeys[.drainDeadline], default: relayDefaults.drainDeadline)
        )
    }
}
